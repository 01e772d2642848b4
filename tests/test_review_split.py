"""Splitting a code in the codebook editor, choosing answer by answer: keep A, move to B, or both."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from chromium import axe_violations, serving

from consult.errors import ConsultError
from consult.review import app as review_app
from consult.workspace import answers, code_edits
from consult.review.app import create_app
from consult.review.demo import build_demo_workspace
from consult.workspace.db import connect

EVIL = 'Fine. <script>alert("pwned")</script><img src=x onerror="alert(2)"> <b>bold</b> & done'
CODE = "funding"


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    build_demo_workspace(tmp_path, questions=2, answers_per_question=30, random_state=4, texts={1: EVIL})
    c = connect(tmp_path / "consult.db")
    if CODE not in answers.answer_state(c, 1).final_codes:  # answer 1 (the hostile text) is coded A
        c.execute("INSERT INTO suggestions VALUES (1, ?, 0.9, 'demo-1')", (CODE,))
    c.close()
    return tmp_path


@pytest.fixture()
def conn(ws: Path):
    c = connect(ws / "consult.db")
    yield c
    c.close()


def coded(conn, code: str = CODE) -> list[int]:
    f = answers.AnswerFilter(question_id="q1", code=code)
    return [r["id"] for r in answers.list_answers(conn, f, limit=1000).rows]


def code_row(conn, cid: str) -> dict:
    return dict(conn.execute("SELECT * FROM codes WHERE question_id = 'q1' AND id = ?", (cid,)).fetchone())


def code_events(conn) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in conn.execute("SELECT entity_id, action FROM events WHERE entity = 'code' ORDER BY id")]


# --------------------------------------------------------------------------- library


def test_split_keeps_moves_or_doubles_each_answer(conn):
    ids = coded(conn)
    assert len(ids) >= 4
    keep, move, both, human = ids[:4]
    answers.set_codes(conn, human, [CODE, "other"], "Ann")  # a person's decision, moved too
    untouched = {rid: answers.answer_state(conn, rid).final_codes for rid in ids}
    new = code_edits.split_code_answers(conn, "q1", CODE, "Funding for training", "Bob",
                                     {keep: "keep", move: "move", both: "both", human: "move"},
                                     expected_version=1)
    assert new == "funding-for-training"
    b = code_row(conn, new)
    assert b["label"] == "Funding for training" and b["description"] == "Split from Worried about funding."
    assert b["parent"] == code_row(conn, CODE)["parent"] and b["source"] == "reviewer"
    assert code_row(conn, CODE)["status"] == "active" and code_row(conn, CODE)["version"] == 2
    final = {rid: answers.answer_state(conn, rid) for rid in ids}
    assert final[keep].final_codes == untouched[keep] and not final[keep].decided
    assert final[move].final_codes == sorted((set(untouched[move]) - {CODE}) | {new}) and final[move].decided
    assert final[both].final_codes == sorted(set(untouched[both]) | {new})
    assert final[human].final_codes == sorted({"other", new}) and final[human].reviewer == "Bob"
    assert all(final[r].final_codes == untouched[r] for r in ids[4:])
    assert code_events(conn) == [(f"q1:{new}", "add"), ("q1:funding", "split")]
    split = json.loads(conn.execute("SELECT after_json FROM events WHERE action = 'split'").fetchone()[0])
    assert split["split_into"] == [new] and split["answers_moved"] == 2 and split["answers_both"] == 1
    answer_events = conn.execute("SELECT entity_id, reviewer FROM events WHERE entity = 'answer' AND reviewer = 'Bob'")
    assert sorted(int(r[0]) for r in answer_events) == sorted([move, both, human])


def test_a_stale_answer_rolls_the_whole_split_back(conn):
    a, b = coded(conn)[:2]
    versions = {a: answers.answer_state(conn, a).version, b: answers.answer_state(conn, b).version}
    answers.set_quote(conn, b, "Ann", True)  # someone else touches answer b meanwhile
    n_events = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    with pytest.raises(answers.VersionConflict) as err:
        code_edits.split_code_answers(conn, "q1", CODE, "New one", "Bob", {a: "move", b: "both"}, versions=versions)
    assert err.value.changed_by == "Ann" and err.value.entity_id == b
    assert conn.execute("SELECT COUNT(*) FROM codes WHERE id = 'new-one'").fetchone()[0] == 0
    assert CODE in answers.answer_state(conn, a).final_codes and not answers.answer_state(conn, a).decided
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == n_events
    with pytest.raises(answers.VersionConflict):
        code_edits.split_code_answers(conn, "q1", CODE, "New one", "Bob", {}, expected_version=99)


def test_bad_splits_are_refused(conn):
    a = coded(conn)[0]
    with pytest.raises(ConsultError, match="unknown choice"):
        code_edits.split_code_answers(conn, "q1", CODE, "New", "Bob", {a: "drop"})
    with pytest.raises(ConsultError, match="needs a label"):
        code_edits.split_code_answers(conn, "q1", CODE, "  ", "Bob", {a: "move"})
    with pytest.raises(ConsultError, match="already has a code"):
        code_edits.split_code_answers(conn, "q1", CODE, "Worried about funding", "Bob", {a: "move"})
    with pytest.raises(ConsultError, match="name"):
        code_edits.split_code_answers(conn, "q1", CODE, "New", "", {a: "move"})
    not_coded = next(r for r in range(1, 31) if CODE not in answers.answer_state(conn, r).final_codes)
    with pytest.raises(ConsultError, match="no longer coded"):
        code_edits.split_code_answers(conn, "q1", CODE, "New", "Bob", {not_coded: "move"})
    with pytest.raises(ConsultError, match="has no answer"):
        code_edits.split_code_answers(conn, "q1", CODE, "New", "Bob", {31: "move"})  # an answer to q2
    code_edits.delete_code(conn, "q1", "training", "Bob")
    with pytest.raises(ConsultError, match="not active"):
        code_edits.split_code_answers(conn, "q1", "training", "New", "Bob", {})
    assert code_events(conn) == [("q1:training", "delete")]


# --------------------------------------------------------------------------- web pages


def client(ws: Path, name: str | None = "Ann") -> TestClient:
    c = TestClient(create_app(ws), headers={"Origin": "http://testserver"})
    if name:
        assert c.post("/reviewer", data={"name": name, "next": "/"}).status_code == 200
    return c


URL = f"/q/q1/codebook/split/{CODE}"


def shown(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-id="(\d+)">', html)]


def test_codebook_links_to_the_split_page_which_escapes_text(ws, conn):
    c = client(ws)
    assert f'href="{URL}"' in c.get("/q/q1/codebook").text
    page = c.get(URL)
    assert page.status_code == 200 and shown(page.text) == coded(conn)
    assert "<script>alert" not in page.text and "<img src=x" not in page.text and "<b>bold" not in page.text
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page.text
    # every radio sits in a label, each answer's choices in a fieldset with a legend
    radios = re.findall(r'<label><input type="radio" name="choice-(\d+)" value="(\w+)"', page.text)
    assert len(radios) == 3 * len(coded(conn)) and page.text.count("<legend>Answer ") == len(coded(conn))
    assert c.get("/q/q1/codebook/split/nope").status_code == 404
    assert c.get("/q/nope/codebook/split/funding").status_code == 404


def test_choices_survive_paging_and_apply_in_one_go(ws, conn, monkeypatch):
    monkeypatch.setattr(review_app, "SPLIT_PAGE_SIZE", 3)
    ids = coded(conn)
    assert len(ids) > 6
    c = client(ws)
    first = c.get(URL)
    assert shown(first.text) == ids[:3] and 'id="next-page"' in first.text and 'id="prev-page"' not in first.text

    def form_of(html: str) -> dict[str, str]:
        """What the browser would send: hidden inputs and the checked radios."""
        data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
        data.update(re.findall(r'<input type="radio" name="([^"]+)" value="(\w+)" checked', html))
        return data

    data = form_of(first.text) | {"label": "Funding for staff", f"choice-{ids[0]}": "move", "op": "next"}
    second = c.post(URL, data=data)
    assert second.status_code == 200 and shown(second.text) == ids[3:6]
    assert f'name="choice-{ids[0]}" value="move"' in second.text  # carried as a hidden input
    assert 'value="Funding for staff"' in second.text and "1 answer to move" in second.text
    data = form_of(second.text) | {"label": "Funding for staff", f"choice-{ids[4]}": "both", "op": "prev"}
    back = c.post(URL, data=data)
    assert shown(back.text) == ids[:3]
    assert re.search(rf'name="choice-{ids[0]}" value="move" checked', back.text)
    data = form_of(back.text) | {"label": "Funding for staff", "op": "apply"}
    done = c.post(URL, data=data)
    assert done.status_code == 200 and "new code “Funding for staff”; 1 answer moved to it, 1 answer has both" in done.text
    assert "funding" not in answers.answer_state(conn, ids[0]).final_codes
    assert "funding-for-staff" in answers.answer_state(conn, ids[0]).final_codes
    assert {"funding", "funding-for-staff"} <= set(answers.answer_state(conn, ids[4]).final_codes)
    assert all("funding-for-staff" not in answers.answer_state(conn, r).final_codes for r in ids if r not in (ids[0], ids[4]))


def test_apply_needs_a_name_and_reports_a_conflict(ws, conn):
    ids = coded(conn)
    anon = client(ws, name=None)
    assert anon.get(URL).status_code == 200  # reading needs no name
    r = anon.post(URL, data={"op": "apply", "label": "X", f"choice-{ids[0]}": "move"})
    assert r.status_code == 403 and "Enter your name" in r.text
    cross = client(ws).post(URL, data={"op": "apply", "label": "X"}, headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    ann = client(ws)
    page = ann.get(URL).text
    version = re.search(rf'name="version-{ids[0]}" value="(\d+)"', page).group(1)
    answers.set_codes(conn, ids[0], [CODE, "other"], "Bob")  # Bob changes it meanwhile
    data = {"op": "apply", "label": "Funding for staff", "code_version": "1", "first": str(ids[0]),
            f"choice-{ids[0]}": "move", f"version-{ids[0]}": version}
    r = ann.post(URL, data=data)
    assert r.status_code == 409 and "changed by Bob" in r.text
    assert conn.execute("SELECT COUNT(*) FROM codes WHERE id = 'funding-for-staff'").fetchone()[0] == 0
    # the page now carries the answer's current version with Ann's choice; applying again works
    assert re.search(rf'name="choice-{ids[0]}" value="move" checked', r.text)
    fresh = re.search(rf'name="version-{ids[0]}" value="(\d+)"', r.text).group(1)
    assert fresh != version
    ok = ann.post(URL, data=data | {f"version-{ids[0]}": fresh})
    assert ok.status_code == 200 and answers.answer_state(conn, ids[0]).final_codes == ["funding-for-staff", "other"]
    bad = ann.post(URL, data={"op": "apply", "label": ""})
    assert bad.status_code == 400 and "needs a label" in bad.text


# --------------------------------------------------------------------------- in a browser

@pytest.fixture()
def server(ws):
    with serving(ws) as url:
        yield url


@pytest.mark.browser
def test_split_in_a_browser(browser, server, conn):
    ids = coded(conn)
    ctx = browser.new_context()
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server}/reviewer")
    page.fill("#name", "Ann")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/q/q1/codebook")
    page.click(f'a[href="{URL}"]')
    page.wait_for_url(f"**{URL}")
    assert page.locator('tr[data-id="1"] td.snippet').inner_text() == EVIL
    page.fill("#new-label", "Funding for staff")
    page.get_by_role("group", name=f"Answer {ids[0]}", exact=True).get_by_label("move to the new code").check()
    page.get_by_role("group", name=f"Answer {ids[1]}", exact=True).get_by_label("both").check()
    page.click("#apply")
    page.wait_for_selector("#message")
    assert "new code “Funding for staff”" in page.locator("#message").inner_text()
    assert page.locator("#code-funding-for-staff").count() == 1
    moved = set(answers.answer_state(conn, ids[0]).final_codes)
    assert "funding-for-staff" in moved and CODE not in moved
    assert {CODE, "funding-for-staff"} <= set(answers.answer_state(conn, ids[1]).final_codes)
    assert dialogs == []
    ctx.close()


@pytest.mark.browser
def test_split_page_has_no_axe_violations(browser, server):
    assert axe_violations(browser, f"{server}{URL}") == []
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        page.goto(f"{server}{URL}")
        levels = page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "els => els.map(e => +e.tagName[1])")
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    finally:
        ctx.close()
