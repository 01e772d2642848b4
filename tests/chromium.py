"""Headless Debian Chromium for the browser tests: launching it, serving the review app, axe-core."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_RUN = "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"


def executable() -> str | None:
    """Debian's Chromium, or None when it is not installed."""
    return str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")


@contextmanager
def launch() -> Iterator:
    """A headless Chromium browser through Playwright; skips the test when either is missing."""
    path = executable()
    if path is None:
        pytest.skip("/usr/bin/chromium is not installed")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def serving(outdir: Path) -> Iterator[str]:
    """The review app of workspace ``outdir`` on a free local port, for as long as the block runs."""
    import uvicorn

    from consult.review.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(outdir), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 10
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


def axe_violations(browser, url: str) -> list[dict]:
    """axe-core's WCAG 2.2 AA violations on a review app page (id and a few offending nodes each)."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed (run npm ci)")
    # The app's CSP allows only its own scripts; bypass it so axe can be injected.
    ctx = browser.new_context(bypass_csp=True)
    try:
        page = ctx.new_page()
        page.goto(url)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(AXE_RUN, TAGS)
        return [{"id": v["id"], "nodes": [n["html"][:160] for n in v["nodes"][:3]]} for v in result["violations"]]
    finally:
        ctx.close()
