"""A signed-in client of the review app, for the review tests."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from consult.review.app import create_app


def client(ws: Path, name: str = "Asha") -> TestClient:
    """A TestClient of workspace ``ws``'s review app, reviewing as ``name``."""
    c = TestClient(create_app(ws), headers={"Origin": "http://testserver"})
    assert c.post("/reviewer", data={"name": name, "next": "/"}).status_code == 200
    return c
