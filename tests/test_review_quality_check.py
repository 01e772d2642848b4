"""The quality check in the review app: sampled answers are coded blind, in the sample's order, and the
estimate is shown with its status."""

from __future__ import annotations

import re

import pytest

from reviewing import client
from consult.review.demo import build_demo_workspace
from consult.settings import QualitySettings
from consult.workspace import answers, codes, connect
from consult.workspace import quality as ws_quality


@pytest.fixture()
def ws(tmp_path):
    build_demo_workspace(tmp_path, questions=1, answers_per_question=400, random_state=2)
    conn = connect(tmp_path / "consult.db")
    try:
        ws_quality.draw(conn, "q1", QualitySettings())
    finally:
        conn.close()
    return tmp_path



def _version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def test_a_sampled_answer_is_coded_blind_and_the_model_shown_after_saving(ws):
    c = client(ws)
    conn = connect(ws / "consult.db")
    first = ws_quality.next_to_check(conn, "q1")
    model = set(answers.answer_state(conn, first).final_codes)
    assert model, "the demo model coded the first sampled answer"
    page = c.get(f"/a/{first}?from=check&question=q1")
    assert page.status_code == 200 and 'id="blind"' in page.text
    # nothing of the model's shows: no Model column, no ticked box, no "suggested" hint
    assert ">Model<" not in page.text and " checked>" not in page.text.replace('id="reviewed" checked', "")
    assert "suggested" not in page.text
    mine = sorted({c["id"] for c in codes.codes(conn, "q1")} - model)[:1]
    r = c.post(f"/a/{first}", data={"version": _version(page.text), "back": "from=check&question=q1",
                                    "quality_check": "1", "codes": mine, "op": "save"}, follow_redirects=True)
    assert r.status_code == 200 and 'id="checked"' in r.text and ">Model<" in r.text
    assert 'id="blind"' not in r.text
    state = answers.answer_state(conn, first)
    assert state.decided and state.final_codes == mine and state.reviewed
    assert not ws_quality.awaiting_check(conn, first)
    # the check is kept out of training: the estimate compares the model's codes with the person's
    result = ws_quality.assess(conn, "q1", QualitySettings())
    assert result.checked == 1 and result.estimate is not None and result.estimate.fn + result.estimate.fp >= 1
    conn.close()


def test_save_and_next_follows_the_sample_order(ws):
    c = client(ws)
    conn = connect(ws / "consult.db")
    order = [r["response_id"] for r in ws_quality.sample(conn, "q1")][:3]
    rid = order[0]
    for expected_next in order[1:]:
        page = c.get(f"/a/{rid}?from=check&question=q1")
        assert 'id="blind"' in page.text
        r = c.post(f"/a/{rid}", data={"version": _version(page.text), "back": "from=check&question=q1",
                                      "quality_check": "1", "codes": ["other"], "op": "save-next"},
                   follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith(f"/a/{expected_next}?") and "from=check" in r.headers["location"]
        rid = expected_next
    assert ws_quality.next_to_check(conn, "q1") == order[2]
    conn.close()


def test_an_answer_opened_outside_the_check_is_still_blind_until_checked(ws):
    c = client(ws)
    conn = connect(ws / "consult.db")
    rid = ws_quality.next_to_check(conn, "q1")
    assert 'id="blind"' in c.get(f"/a/{rid}").text
    conn.close()


def test_the_quality_page_shows_status_progress_and_the_estimate(ws):
    c = client(ws)
    conn = connect(ws / "consult.db")
    sampled = len(ws_quality.sample(conn, "q1"))
    page = c.get("/q/q1/check")
    assert page.status_code == 200 and "Status: draft" in page.text
    assert f"0 of {sampled} sampled answers checked" in page.text and 'id="no-estimate"' in page.text
    start = re.search(r'href="(/a/\d+\?from=check[^"]*)" id="start-check"', page.text).group(1).replace("&amp;", "&")
    assert start.startswith(f"/a/{ws_quality.next_to_check(conn, 'q1')}?")
    for rid in [r["response_id"] for r in ws_quality.sample(conn, "q1")][:5]:
        answers.update_answer(conn, rid, "Asha", codes=answers.answer_state(conn, rid).final_codes, quality_check=True)
    page = c.get("/q/q1/check")
    assert f"5 of {sampled} sampled answers checked" in page.text and 'id="quality-estimate"' in page.text
    assert "1.00" in page.text  # the person agreed with the model on all five
    assert "Quality check: <strong>draft</strong>, 5 of" in c.get("/q/q1").text
    assert c.get("/q/nope/check").status_code == 404
    conn.close()


@pytest.mark.browser
def test_the_quality_pages_have_no_axe_violations(ws, browser):
    from chromium import axe_violations, serving

    conn = connect(ws / "consult.db")
    rid = ws_quality.next_to_check(conn, "q1")
    conn.close()
    with serving(ws) as base:
        for path in ("/q/q1/check", f"/a/{rid}?from=check&question=q1"):
            assert axe_violations(browser, base + path) == [], path


def test_a_copy_says_where_its_codes_came_from(ws):
    c = client(ws)
    conn = connect(ws / "consult.db")
    copy, canon = conn.execute(
        "SELECT c.response_id, c.canonical_id FROM answer_copies c WHERE NOT c.own_words LIMIT 1").fetchone()
    assert 'id="inherited"' not in c.get(f"/a/{copy}").text
    answers.set_codes(conn, canon, ["funding"], "Asha")
    page = c.get(f"/a/{copy}").text
    group = conn.execute("SELECT group_id FROM response_dedupe WHERE response_id = ?", (canon,)).fetchone()[0]
    assert f'codes from <a href="/a/{canon}">answer {canon}</a> (group {group}), reviewed by Asha' in page
    assert answers.answer_state(conn, copy).final_codes == ["funding"]
    conn.close()
