"""Reviewing at keyboard speed, server side: a key or the finder for every code, "save and next" that
follows the queue the reviewer came from, and campaign copies reviewed once."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from reviewing import client
from consult.review.demo import build_demo_workspace
from consult.workspace import answers, code_edits
from consult.workspace.db import connect


@pytest.fixture()
def ws(tmp_path):
    build_demo_workspace(tmp_path, questions=1, answers_per_question=80, random_state=3)
    return tmp_path



def keys(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="codes" value="([^"]+)" data-key="([^"]*)"', html))


def version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def test_every_code_is_reachable_from_the_keyboard(ws):
    conn = connect(ws / "consult.db")
    for i in range(9):
        code_edits.add_code(conn, "q1", f"Extra point {i + 1}", "Ann")
    html = client(ws).get("/a/3").text
    k = keys(html)
    assert len(k) == 16  # 14 codes of the question and the two built-in ones
    assert k["non-substantive"] == "n"
    assert sorted(v for v in k.values() if v.isdigit()) == list("123456789")
    assert [c for c, v in k.items() if v][:9] == list(k)[:9]  # the first nine, in codebook order
    assert 'id="code-filter"' in html and '<label for="code-filter">' in html
    finds = re.findall(r'<tr data-code="([^"]+)" data-find="([^"]*)"', html)
    assert {c for c, _ in finds} == set(k)  # the finder reaches every code, keyed or not
    assert all(text == text.lower() for _, text in finds) and any("extra point 9" in t for _, t in finds)


def test_save_and_next_follows_the_queue(ws):
    conn = connect(ws / "consult.db")
    c = client(ws)
    queue = [r["id"] for r in answers.review_queue(conn, "q1", 10)]
    assert queue[1] != answers.neighbour(conn, answers.AnswerFilter("q1", unreviewed=True), queue[0])  # not id order
    page = c.get("/q/q1").text
    start = re.search(r'href="(/a/\d+\?from=queue[^"]*)" id="start-queue"', page).group(1).replace("&amp;", "&")
    html = c.get(start).text
    seen = []
    for step in range(4):
        rid = int(re.search(r"<h1>Answer (\d+)</h1>", html).group(1))
        seen.append(rid)
        back = re.search(r'name="back" value="([^"]*)"', html).group(1).replace("&amp;", "&")
        assert parse_qs(back)["from"] == ["queue"]
        state = answers.answer_state(conn, rid)
        r = c.post(f"/a/{rid}", data={"version": version(html), "codes": state.final_codes, "reviewed": "1",
                                      "op": "save-next", "back": back})
        assert r.status_code == 200 and answers.answer_state(conn, rid).reviewed
        html = r.text
    assert seen == queue[:4]


def test_saving_without_reviewing_moves_on_down_the_queue(ws):
    conn = connect(ws / "consult.db")
    c = client(ws)
    queue = [r["id"] for r in answers.review_queue(conn, "q1", 10)]
    html = c.get(f"/a/{queue[0]}?from=queue&question=q1").text
    for expected in queue[1:4]:
        rid = int(re.search(r"<h1>Answer (\d+)</h1>", html).group(1))
        back = re.search(r'name="back" value="([^"]*)"', html).group(1).replace("&amp;", "&")
        r = c.post(f"/a/{rid}", data={"version": version(html), "codes": ["other"], "op": "save-next", "back": back})
        assert urlsplit(str(r.url)).path == f"/a/{expected}"  # never back to one passed over
        html = r.text
    assert "skip=" in str(r.url)
    # the "next" link (j) also passes over the answer on screen
    nxt = re.search(r'id="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert urlsplit(nxt).path == f"/a/{queue[4]}" and str(queue[3]) in parse_qs(urlsplit(nxt).query)["skip"][0]


def test_a_campaign_is_reviewed_once(tmp_path):
    build_demo_workspace(tmp_path, questions=1, answers_per_question=200, random_state=1)
    conn = connect(tmp_path / "consult.db")
    members = [r[0] for r in conn.execute(
        "SELECT response_id FROM response_dedupe WHERE campaign_id = 'q1:c1' ORDER BY response_id")]
    template, copies = members[0], members[1:]
    assert len(copies) >= 10
    c = client(tmp_path)
    html = c.get("/q/q1/answers", params={"unreviewed": "1", "campaign": "q1:c1"}).text
    listed = [int(x) for x in re.findall(r'<a href="/a/(\d+)\?[^"]*" class="open">', html)]
    assert listed == [template] and f"stands for {len(copies)} copies" in html
    assert all(r["id"] not in copies for r in answers.review_queue(conn, "q1", 200))
    assert f"{len(copies)} other answers copy this one" in c.get(f"/a/{template}").text
    c.post(f"/a/{template}", data={"version": "0", "codes": ["funding"], "reviewed": "1", "back": ""})
    assert all(answers.answer_state(conn, rid).final_codes == ["funding"] for rid in copies)
    # the whole list still shows every copy
    assert answers.list_answers(conn, answers.AnswerFilter("q1", campaign="q1:c1"), limit=500).total == len(members)
