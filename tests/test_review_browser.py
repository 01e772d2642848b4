"""The review app in headless Chromium: filter, correct, reload; conflicts; untrusted text."""

from __future__ import annotations

import pytest

from chromium import serving
from consult.workspace import answers
from consult.review.demo import build_demo_workspace
from consult.workspace.db import connect

EVIL = 'Fine. <script>alert("pwned")</script><img src=x onerror="alert(2)"> <b>bold</b> & done'

pytestmark = pytest.mark.browser


@pytest.fixture()
def server(tmp_path):
    build_demo_workspace(tmp_path, questions=1, answers_per_question=25, random_state=5, texts={1: EVIL})
    with serving(tmp_path) as url:
        yield url, tmp_path


def sign_in(browser, base: str, name: str):
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{base}/reviewer")
    page.fill("#name", name)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return ctx, page


def test_filter_low_confidence_correct_reload_audit(browser, server):
    base, ws = server
    ctx, page = sign_in(browser, base, "Ann")
    page.goto(f"{base}/q/q1/answers")
    page.fill("input[name=conf]", "0.5")
    page.check("input[name=unreviewed]")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**conf=0.5**")
    conn = connect(ws / "consult.db")
    expected = answers.list_answers(conn, answers.AnswerFilter("q1", max_confidence=0.5, unreviewed=True)).rows
    assert page.locator("a.open").count() == len(expected) > 0
    page.locator("a.open").first.click()
    rid = expected[0]["id"]
    page.wait_for_url(f"{base}/a/{rid}?**")
    before = answers.answer_state(conn, rid).final_codes
    box = page.locator('input[name=codes][value="other"]')
    target = "other" if "other" not in before else "non-substantive"
    page.locator(f'input[name=codes][value="{target}"]').check()
    page.click("#save")
    page.wait_for_selector("#saved")
    page.reload()
    assert page.locator(f'input[name=codes][value="{target}"]').is_checked()
    assert target in answers.answer_state(conn, rid).final_codes
    # keyboard: "r" marks reviewed and saves
    page.keyboard.press("r")
    page.wait_for_selector("#saved")
    assert answers.answer_state(conn, rid).reviewed
    page.goto(f"{base}/audit")
    rows = page.locator("#events tbody tr")
    assert rows.count() == 2
    assert "Ann changed answer" in rows.nth(1).inner_text() and "+ " in rows.nth(1).inner_text()
    assert box.count() == 0  # we are on the audit page now
    ctx.close()


def test_two_reviewers_conflict(browser, server):
    base, ws = server
    ctx_a, ann = sign_in(browser, base, "Ann")
    ctx_b, bob = sign_in(browser, base, "Bob")
    ann.goto(f"{base}/a/5")
    bob.goto(f"{base}/a/5")
    ann.locator('input[name=codes][value="other"]').check()
    ann.click("#save")
    ann.wait_for_selector("#saved")
    bob.locator('input[name=codes][value="non-substantive"]').check()
    bob.click("#save")
    bob.wait_for_selector("#conflict")
    text = bob.locator("#conflict").inner_text()
    assert "Ann" in text and "Someone else changed this answer" in text
    assert bob.locator('input[name=codes][value="non-substantive"]').is_checked()  # Bob's intent kept
    assert "non-substantive" not in answers.answer_state(connect(ws / "consult.db"), 5).final_codes
    bob.click("#save")  # re-apply on top of Ann's change
    bob.wait_for_selector("#saved")
    final = answers.answer_state(connect(ws / "consult.db"), 5).final_codes
    assert "non-substantive" in final and "other" in final
    ctx_a.close()
    ctx_b.close()


def test_script_in_an_answer_renders_as_text(browser, server):
    base, _ = server
    ctx, page = sign_in(browser, base, "Ann")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/a/1")
    assert page.locator("#answer-text").inner_text() == EVIL
    assert page.locator("#answer-text script, #answer-text img, #answer-text b").count() == 0
    page.goto(f"{base}/q/q1/answers?search=script")
    assert "<script>" in page.locator("#answer-list").inner_text()
    page.wait_for_timeout(200)
    assert dialogs == []
    ctx.close()
