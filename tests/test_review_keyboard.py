"""A reviewer's throughput: 50 answers coded from the review queue with the keyboard alone, in Chromium.

Digits tick the first nine codes, ``n`` "No substantive answer", ``/`` opens the finder for the rest, and
``r`` marks the answer reviewed, saves it and opens the next one in the queue. The test checks every
answer was saved with the codes on screen and that the answers came in the order the server's queue
gave; it prints the wall time per answer (``pytest -s``).
"""

from __future__ import annotations

import time

import pytest

from chromium import serving
from consult.review.demo import build_demo_workspace
from consult.workspace import answers, code_edits
from consult.workspace.db import connect

pytestmark = pytest.mark.browser

ANSWERS = 50


@pytest.fixture()
def server(tmp_path):
    build_demo_workspace(tmp_path, questions=1, answers_per_question=160, random_state=7)
    conn = connect(tmp_path / "consult.db")
    for i in range(9):  # 14 codes: five of them have no digit
        code_edits.add_code(conn, "q1", f"Extra point {i + 1}", "Setup")
    conn.close()
    with serving(tmp_path) as url:
        yield url, tmp_path


def checked(page) -> set[str]:
    return set(page.eval_on_selector_all('input[name="codes"]:checked', "els => els.map(e => e.value)"))


def shown_id(page) -> int:
    return int(page.inner_text("h1").removeprefix("Answer "))


# What the reviewer types on each answer, in turn: digits, the finder for a code without a digit, "n".
STROKES = (
    [("key", "1"), ("key", "3")],
    [("key", "/"), ("type", "extra point 8"), ("key", "Enter")],
    [("key", "n")],
    [("key", "/"), ("type", "extra 9"), ("key", "Enter"), ("key", "2")],
    [("key", "/"), ("type", "point"), ("key", "ArrowDown"), ("key", "ArrowDown"), ("key", "Enter")],
)


@pytest.mark.slow  # a timed run of 50 answers (10-16 s): the fast lane keeps the axe check below
def test_fifty_answers_from_the_queue_by_keyboard(browser, server, capsys):
    base, ws = server
    conn = connect(ws / "consult.db")
    labels = {cid: label for cid, label in conn.execute("SELECT id, label FROM codes WHERE question_id = 'q1'")}
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{base}/reviewer?next=/q/q1")
    page.keyboard.type("Asha")  # the name field has the focus
    with page.expect_navigation():
        page.keyboard.press("Enter")
    start = page.get_attribute("#start-queue", "href")
    page.goto(base + start)
    visited: list[int] = []
    saved: dict[int, set[str]] = {}
    t0 = time.perf_counter()
    for i in range(ANSWERS):
        rid = shown_id(page)
        head = answers.review_queue(conn, "q1", 1)[0]["id"]  # what the server's queue says comes next
        assert rid == head, f"answer {i + 1}: the page shows {rid}, the queue's next is {head}"
        visited.append(rid)
        for kind, what in STROKES[i % len(STROKES)]:
            before = checked(page)
            if kind == "type":
                page.keyboard.type(what)
                continue
            page.keyboard.press(what)
            if what == "n":
                assert checked(page) ^ before == {"non-substantive"}
            elif what.isdigit():
                assert len(checked(page) ^ before) == 1
            elif what == "Enter":
                (toggled,) = checked(page) ^ before  # exactly one code, found by typing
                assert toggled in labels and page.evaluate("document.activeElement.id") != "code-filter"
        saved[rid] = checked(page)
        with page.expect_navigation():
            page.keyboard.press("r")  # reviewed, save, next in the queue
        assert page.is_visible("#saved")
    seconds = time.perf_counter() - t0
    ctx.close()
    assert len(set(visited)) == ANSWERS
    for rid, codes in saved.items():
        state = answers.answer_state(conn, rid)
        assert state.reviewed and state.decided and set(state.final_codes) == codes and state.reviewer == "Asha", rid
    reviewed = conn.execute("SELECT COUNT(*) FROM review_state WHERE reviewed = 1 AND reviewer = 'Asha'").fetchone()[0]
    assert reviewed == ANSWERS
    # the finder reached codes with no digit
    assert any(c.startswith("extra-point-") and c not in ("extra-point-1", "extra-point-2", "extra-point-3", "extra-point-4")
               for codes in saved.values() for c in codes)
    with capsys.disabled():
        print(f"\nkeyboard review: {ANSWERS} answers from the queue in {seconds:.1f} s, "
              f"{1000 * seconds / ANSWERS:.0f} ms per answer (page load, keys and save)")


def test_review_pages_have_no_axe_violations(browser, server):
    from chromium import axe_violations

    base, ws = server
    conn = connect(ws / "consult.db")
    head = answers.review_queue(conn, "q1", 1)[0]["id"]
    answers.set_codes(conn, head, ["funding", "other"], "Asha")
    code_edits.merge_codes(conn, "q1", ["choice"], "independence", "Asha")
    campaign = conn.execute("SELECT canonical_response_id FROM dedupe_groups WHERE campaign_id IS NOT NULL").fetchone()[0]
    for path in ("/q/q1", f"/a/{head}?from=queue&question=q1", f"/a/{campaign}", "/q/q1/answers?unreviewed=1",
                 "/audit", "/q/q1/codebook"):
        assert axe_violations(browser, base + path) == [], path
