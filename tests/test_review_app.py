"""The review web app through Starlette's TestClient: pages, filters, forms, safety."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from consult.errors import ConsultError
from consult.workspace import answers
from consult.review.app import create_app, is_loopback, serve
from consult.review.demo import build_demo_workspace
from consult.workspace.db import connect

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes"'


@pytest.fixture()
def ws(tmp_path):
    build_demo_workspace(tmp_path, questions=2, answers_per_question=30, random_state=2, texts={1: EVIL})
    return tmp_path


def client(ws, name: str | None = "Ann", **kw) -> TestClient:
    c = TestClient(create_app(ws, **kw), headers={"Origin": "http://testserver"})
    if name:
        assert c.post("/reviewer", data={"name": name, "next": "/"}).status_code == 200
    return c


def db(ws):
    return connect(ws / "consult.db")


def test_pages_render(ws):
    c = client(ws)
    home = c.get("/")
    assert home.status_code == 200 and "q1" in home.text and "Reviewing as" in home.text
    q = c.get("/q/q1")
    assert q.status_code == 200 and "Review queue" in q.text and "Candidate themes" in q.text
    assert "Worried about funding" in q.text
    assert c.get("/q/q1/codebook").status_code == 200
    assert c.get("/a/2").status_code == 200
    assert c.get("/q/nope").status_code == 404 and c.get("/a/99999").status_code == 404
    assert c.get("/a/abc").status_code == 404


def test_queue_is_lowest_confidence_first(ws):
    conn = db(ws)
    queue = answers.review_queue(conn, "q1", 10)
    tops = [r["top_confidence"] or 0 for r in queue]
    assert tops == sorted(tops) and len(queue) == 10


def list_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<a href="/a/(\d+)\?[^"]*" class="open">', html)]


def test_answer_list_filters(ws):
    c = client(ws)
    conn = db(ws)
    full = c.get("/q/q1/answers")
    assert "30 answers match" in full.text and len(list_ids(full.text)) == 30
    low = c.get("/q/q1/answers", params={"conf": "0.5"})
    expect = [r["id"] for r in answers.list_answers(conn, answers.AnswerFilter("q1", max_confidence=0.5), limit=100).rows]
    assert list_ids(low.text) == expect and 0 < len(expect) < 30
    coded = list_ids(c.get("/q/q1/answers", params={"code": "funding"}).text)
    assert coded and all("funding" in answers.answer_state(conn, i).final_codes for i in coded)
    grp = conn.execute("SELECT grp FROM respondents WHERE id = 'R3'").fetchone()[0]
    ids = list_ids(c.get("/q/q1/answers", params={"group": grp}).text)
    assert 3 in ids
    camp = list_ids(c.get("/q/q1/answers", params={"campaign": "campaign"}).text)
    kinds = {conn.execute("SELECT kind FROM response_dedupe WHERE response_id = ?", (i,)).fetchone()[0] for i in camp}
    assert kinds <= {"campaign"}
    opt = conn.execute("SELECT option FROM responses WHERE id = 2").fetchone()[0]
    assert all(conn.execute("SELECT option FROM responses WHERE id = ?", (i,)).fetchone()[0] == opt
               for i in list_ids(c.get("/q/q1/answers", params={"option": opt}).text))
    assert list_ids(c.get("/q/q1/answers", params={"search": "<script>"}).text) == [1]
    answers.mark_reviewed(conn, 2, "Bob")
    assert 2 not in list_ids(c.get("/q/q1/answers", params={"unreviewed": "1"}).text)
    assert c.get("/q/q1/answers", params={"conf": "not a number"}).status_code == 200


def test_paging(ws):
    c = client(ws)
    conn = db(ws)
    conn.executemany("INSERT INTO respondents (id, grp) VALUES (?, 'Parent or carer')", [(f"X{i}",) for i in range(60)])
    conn.executemany("INSERT INTO responses (respondent_id, question_id, text) VALUES (?, 'q1', 'more text')",
                     [(f"X{i}",) for i in range(60)])
    first = c.get("/q/q1/answers")
    ids1 = list_ids(first.text)
    assert len(ids1) == 50 and 'rel="next"' in first.text
    after = re.search(r'after=(\d+)', first.text).group(1)
    second = c.get(f"/q/q1/answers?after={after}")
    ids2 = list_ids(second.text)
    assert len(ids2) == 40 and min(ids2) > max(ids1) and 'rel="prev"' in second.text


def test_correct_codes_through_the_form(ws):
    c = client(ws)
    r = c.post("/a/1", data={"version": "0", "codes": ["choice", "other"], "reviewed": "1", "back": "question=q1"})
    assert r.status_code == 200 and "Saved." in r.text
    s = answers.answer_state(db(ws), 1)
    assert s.final_codes == ["choice", "other"] and s.reviewed and s.reviewer == "Ann"
    audit = c.get("/audit", params={"entity_id": "1"})
    assert "Ann changed answer 1:" in audit.text and "marked reviewed" in audit.text
    csv = c.get("/audit.csv").text.splitlines()
    assert csv[0].startswith("id,at,reviewer") and "Ann" in csv[1]


def test_save_and_next_follows_the_filter(ws):
    c = client(ws)
    conn = db(ws)
    f = answers.AnswerFilter("q1", max_confidence=0.6)
    first, second = [r["id"] for r in answers.list_answers(conn, f, limit=2).rows]
    state = answers.answer_state(conn, first)
    r = c.post(f"/a/{first}", data={"version": str(state.version), "codes": state.final_codes,
                                    "reviewed": "1", "op": "save-next", "back": "question=q1&conf=0.6"})
    assert r.url.path == f"/a/{second}" and "conf=0.6" in str(r.url)


def checked_codes(html: str) -> set[str]:
    return set(re.findall(r'name="codes" value="([^"]+)"[^>]*checked', html))


def test_conflict_shows_both_changes_and_rebases_mine(ws):
    ann, bob = client(ws, "Ann"), client(ws, "Bob")
    base = set(answers.answer_state(db(ws), 3).final_codes)
    assert 'name="version" value="0"' in ann.get("/a/3").text
    assert checked_codes(bob.get("/a/3").text) == base
    ann_codes = (base - {min(base)}) | {"other"}
    ann.post("/a/3", data={"version": "0", "codes": sorted(ann_codes), "back": ""})
    bob_codes = base | {"non-substantive"}
    r = bob.post("/a/3", data={"version": "0", "codes": sorted(bob_codes), "quote": "1", "back": ""})
    assert r.status_code == 409
    assert "Someone else changed this answer" in r.text and "Ann" in r.text
    assert answers.answer_state(db(ws), 3).final_codes == sorted(ann_codes)  # nothing overwritten
    # Bob's change (add non-substantive, quote) is pre-filled on top of Ann's, against the new version
    assert checked_codes(r.text) == ann_codes | {"non-substantive"}
    assert re.search(r'id="quote"[^>]*checked', r.text) and 'name="version" value="1"' in r.text
    again = bob.post("/a/3", data={"version": "1", "codes": sorted(checked_codes(r.text)), "quote": "1", "back": ""})
    assert again.status_code == 200
    s = answers.answer_state(db(ws), 3)
    assert set(s.final_codes) == ann_codes | {"non-substantive"} and s.quote


def test_redaction_forms(ws):
    c = client(ws)
    text = answers.answer_state(db(ws), 1).text
    r = c.post("/a/1", data={"version": "0", "op": "redact", "redact_text": "onerror", "back": ""})
    assert r.status_code == 200
    i = text.index("onerror")
    assert answers.answer_state(db(ws), 1).redactions == [[i, i + 7]]
    assert '<mark class="redact">onerror</mark>' in r.text
    r = c.post("/a/1", data={"version": "1", "op": "redact", "start": "0", "end": "8", "back": ""})
    assert answers.answer_state(db(ws), 1).redactions == [[0, 8], [i, i + 7]]
    r = c.post("/a/1", data={"version": "2", "op": "unredact", "span": "0-8", "back": ""})
    assert answers.answer_state(db(ws), 1).redactions == [[i, i + 7]]
    bad = c.post("/a/1", data={"version": "3", "op": "redact", "start": "5", "end": "99999", "back": ""})
    assert bad.status_code == 400 and "outside" in bad.text


def test_untrusted_text_is_escaped(ws):
    c = client(ws, name='<b>Eve</b>')
    for url in ("/a/1", "/q/q1/answers", "/q/q1"):
        html = c.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html
    page = c.get("/a/1").text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;Eve&lt;/b&gt;" in page and "<b>Eve</b>" not in page
    assert "script-src 'self'" in c.get("/").headers["content-security-policy"]


def test_changes_need_a_name_and_same_origin(ws):
    anon = client(ws, name=None)
    r = anon.post("/a/1", data={"version": "0", "codes": ["other"], "back": ""})
    assert r.status_code == 403 and "Enter your name" in r.text
    c = client(ws)
    cross = c.post("/a/1", data={"version": "0", "codes": ["other"]}, headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    no_origin = TestClient(create_app(ws))
    no_origin.cookies.set("consult_reviewer", "Ann")
    assert no_origin.post("/a/1", data={"version": "0", "codes": ["other"]}).status_code == 403
    ok_referer = no_origin.post("/a/1", data={"version": "0", "codes": ["other"], "back": ""},
                                headers={"Referer": "http://testserver/a/1"})
    assert ok_referer.status_code == 200
    assert answers.answer_state(db(ws), 1).final_codes == ["other"]
    assert db(ws).execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1


def test_codebook_editor(ws):
    c = client(ws)
    r = c.post("/q/q1/codebook", data={"op": "add", "label": "Needs more time", "description": "Time."})
    assert "Added the code “Needs more time”" in r.text
    r = c.post("/q/q1/codebook", data={"op": "edit", "code": "funding", "version": "1",
                                       "label": "Money worries", "description": "About money."})
    assert "Saved “Worried about funding”, now called “Money worries”" in r.text
    stale = c.post("/q/q1/codebook", data={"op": "edit", "code": "funding", "version": "1", "label": "Stale"})
    assert stale.status_code == 409
    r = c.post("/q/q1/codebook", data={"op": "merge", "sources": ["training"], "into": "funding"})
    assert r.status_code == 200 and "Merged “Advocates need training” into “Money worries”" in r.text
    r = c.post("/q/q1/codebook", data={"op": "split", "code": "choice", "labels": "Choose yes\nChoose no"})
    assert "Split “Children should choose” into “Choose yes” and “Choose no”" in r.text
    r = c.post("/q/q1/codebook", data={"op": "delete", "code": "independence", "reassign_to": "other"})
    assert "Deleted “Advocates must be independent”" in r.text
    bad = c.post("/q/q1/codebook", data={"op": "delete", "code": "other"})
    assert bad.status_code == 400 and "built-in" in bad.text
    statuses = dict(db(ws).execute("SELECT id, status FROM codes WHERE question_id = 'q1'").fetchall())
    assert statuses["training"] == "merged" and statuses["independence"] == "deleted"
    actions_logged = [r[0] for r in db(ws).execute("SELECT action FROM events WHERE entity = 'code' ORDER BY id")]
    assert actions_logged == ["add", "rename+describe", "merge", "add", "add", "split", "delete"]


def test_token(ws):
    app = create_app(ws, token="s3cret")
    c = TestClient(app, headers={"Origin": "http://testserver"})
    assert c.get("/").status_code == 403
    assert c.get("/?token=wrong").status_code == 403
    r = c.get("/q/q1?token=s3cret")
    assert r.status_code == 200 and r.url.path == "/q/q1" and "token" not in str(r.url)
    assert c.get("/").status_code == 200  # the cookie carries it now


def test_serve_refuses_open_host_without_token(ws):
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
    with pytest.raises(ConsultError, match="without --token"):
        serve(ws, host="0.0.0.0", port=0)
    with pytest.raises(ConsultError, match="no workspace"):
        create_app(ws / "missing")


def test_restart_keeps_everything(ws):
    client(ws).post("/a/4", data={"version": "0", "codes": ["other"], "quote": "1", "back": ""})
    fresh = client(ws, "Bob")  # a new app on the same workspace = a restarted server
    page = fresh.get("/a/4").text
    assert re.search(r'value="other"[^>]*checked', page) and re.search(r'id="quote"[^>]*checked', page)
