from __future__ import annotations

import os
import shutil

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `pytest -n 2`: one thread per worker, else each worker's BLAS and numba pools take every core and fight
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(_var, "1")
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the small wide-layout consultation fixture."""
    dst = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", dst)
    return dst


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (skips when Chromium or Playwright is missing); one per test module."""
    from chromium import launch

    with launch() as b:
        yield b


@pytest.fixture(autouse=True)
def _loading_the_model_needs_the_slow_marker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Keep the fast lane (`pytest -m "not slow"`) fast: only tests marked slow may load the embedding model."""
    if request.node.get_closest_marker("slow"):
        yield
        return
    import consult.embed

    def refuse(path, device="cpu"):  # noqa: ANN001
        raise AssertionError(f"{request.node.nodeid} loads the embedding model: mark it @pytest.mark.slow")

    monkeypatch.setattr(consult.embed, "load_model", refuse)
    yield
