"""The HTML summary passes axe-core's WCAG 2.2 AA checks in headless Chromium, filled and empty."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_report import build_workspace

from chromium import AXE, AXE_RUN, TAGS, executable

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(executable() is None, reason="Chromium is not installed"),
    pytest.mark.skipif(not AXE.is_file(), reason="axe-core is not installed (run npm ci)"),
]


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from consult.report import render

    full = build_workspace(tmp_path_factory.mktemp("full"))
    empty = build_workspace(tmp_path_factory.mktemp("empty"), fill=False)
    return {"full": render(full, "html"), "empty": render(empty, "html")}


def run_axe(browser, path: Path, width: int = 1280) -> dict:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        # Nothing leaves the machine: the page is self-contained, so block any request beyond it.
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        page.goto(path.resolve().as_uri())
        page.add_script_tag(path=str(AXE))
        return page.evaluate(AXE_RUN, TAGS)
    finally:
        page.close()


def describe(violations: list[dict]) -> str:
    return json.dumps(
        [{"id": v["id"], "help": v["help"], "nodes": [n["html"][:200] for n in v["nodes"][:3]]} for v in violations],
        indent=1,
    )


@pytest.mark.parametrize("which", ["full", "empty"])
def test_summary_has_no_axe_violations(browser, pages, which):
    result = run_axe(browser, pages[which])
    assert result["violations"] == [], describe(result["violations"])
    # axe really ran its checks (an empty run would also have no violations).
    assert result["testEngine"]["name"] == "axe-core"


def test_summary_has_no_axe_violations_on_a_phone(browser, pages):
    result = run_axe(browser, pages["full"], width=320)
    assert result["violations"] == [], describe(result["violations"])


def test_page_structure(browser, pages):
    page = browser.new_page()
    try:
        page.goto(pages["full"].resolve().as_uri())
        assert page.locator("html").get_attribute("lang") == "en-GB"
        assert page.locator("h1").count() == 1
        for landmark in ("header", "main", "footer", "nav"):
            assert page.locator(landmark).count() >= 1, landmark
        levels = page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "els => els.map(e => +e.tagName[1])")
        assert levels[0] == 1
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
        # The skip link is the first thing a keyboard reaches, and it becomes visible.
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.className")
        assert focused == "skip-link"
        assert page.locator(".skip-link").bounding_box()["x"] >= 0
        # Charts are images with a title and description, and every chart has its table.
        charts = page.locator("svg[role=img]")
        assert charts.count() == 2
        for i in range(charts.count()):
            ids = charts.nth(i).get_attribute("aria-labelledby").split()
            assert [page.locator(f"[id='{x}']").count() for x in ids] == [1, 1]
        # No script runs and nothing external is loaded.
        assert page.locator("script").count() == 0
        assert page.locator("[src], link[href]").count() == 0
    finally:
        page.close()


def test_axe_harness_catches_a_violation(browser, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><title>x</title></head><body><main><h1>x</h1>'
                   '<p style="color:#bbb">faint</p><img src="data:,"></main></body></html>', encoding="utf-8")
    ids = {v["id"] for v in run_axe(browser, bad)["violations"]}
    assert {"html-has-lang", "image-alt", "color-contrast"} <= ids
