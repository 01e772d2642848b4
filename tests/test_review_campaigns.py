"""The campaigns page: duplicate groups, and reviewers' decisions about them that survive re-runs."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from chromium import axe_violations, serving

from consult.errors import ConsultError
from consult.pipeline import analyse
from consult.workspace import answers, dedupe
from consult.review.app import create_app
from consult.review.demo import build_demo_workspace
from consult.workspace.db import connect

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LETTER = ("I support the Every Child Heard campaign because every child in care deserves an independent "
          "advocate who is offered to them automatically and who works only for them.")
OWN_WORDS = "My own son waited two years for help and nobody told him he could ask."
TRAINING = "Advocates need far more training before this starts."
EVIL = 'Fine. <script>alert("pwned")</script><img src=x onerror=alert(1)> Advocates should visit every child.'


def _build(base: Path) -> Path:
    """The mini consultation plus a 12-answer campaign (3 with own words), 3 exact copies and 2 copies of EVIL."""
    mini = base / "mini"
    shutil.copytree(FIXTURES / "mini", mini)
    with open(mini / "responses.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    extra = [(f"C{i}", LETTER + (f" {OWN_WORDS}" if i < 3 else "")) for i in range(12)]
    extra += [(f"D{i}", TRAINING) for i in range(3)] + [(f"E{i}", EVIL) for i in range(2)]
    rows += [[rid, "As an individual", "", "Parent", "Yes", "London", "Agree", text, "", "Email"] for rid, text in extra]
    with open(mini / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    rerun(base)
    return base


def rerun(base: Path) -> None:
    analyse(base / "mini", base / "out", progress=False, skip=("themes", "assign"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("campaigns"))


@pytest.fixture()
def base(built: Path, tmp_path: Path) -> Path:
    """A fresh copy of the analysed workspace (and its input) for each test."""
    dst = tmp_path / "ws"
    shutil.copytree(built, dst)
    return dst


@pytest.fixture()
def conn(base: Path):
    c = connect(base / "out" / "consult.db")
    yield c
    c.close()


def rid(conn, respondent: str, question: str = "q1") -> int:
    return conn.execute("SELECT id FROM responses WHERE respondent_id = ? AND question_id = ?",
                        (respondent, question)).fetchone()[0]


def gid_of(conn, respondent: str) -> str:
    return conn.execute("SELECT group_id FROM response_dedupe WHERE response_id = ?", (rid(conn, respondent),)).fetchone()[0]


def groups(conn) -> dict[str, dedupe.DupGroup]:
    return {g.id: g for g in dedupe.dedupe_groups(conn, "q1")}


def events(conn, entity: str) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM events WHERE entity = ? ORDER BY id", (entity,))]


# --------------------------------------------------------------------------- library


def test_groups_are_listed_with_template_size_and_own_words(conn):
    camp, training, evil = gid_of(conn, "C0"), gid_of(conn, "D0"), gid_of(conn, "E0")
    gs = dedupe.dedupe_groups(conn, "q1")
    assert [g.id for g in gs] == [camp, training, evil]  # largest first
    c = gs[0]
    assert c.campaign and c.text == LETTER and c.members == c.machine_size == 12 and c.additions == 3
    assert c.status == "not confirmed" and c.version == 0 and c.taken_out == 0
    assert not gs[1].campaign and gs[1].text == TRAINING and gs[1].members == 3
    assert dedupe.dedupe_groups(conn, "q2") == [] and dedupe.dedupe_group(conn, "q1", "q1:nope") is None
    page = dedupe.group_members(conn, "q1", camp, limit=5)
    assert page.total == 12 and len(page.rows) == 5 and page.next_after == page.rows[-1]["id"]
    assert [r["addition"] for r in page.rows[:3]] == [OWN_WORDS] * 3 and page.rows[3]["addition"] == ""
    assert all(r["how"] == "analysis" and r["kind"] == "campaign" for r in page.rows)
    rest = dedupe.group_members(conn, "q1", camp, after=page.next_after, limit=50)
    assert len(rest.rows) == 7 and rest.next_after is None and rest.prev_before == rest.rows[0]["id"]


def test_confirm_records_each_member_and_survives_a_rerun(base, conn):
    camp = gid_of(conn, "C0")
    assert dedupe.confirm_group(conn, "q1", camp, "Ann", expected_version=0) == 12
    decisions = {r[0] for r in conn.execute("SELECT decision FROM dedupe_overrides")}
    assert decisions == {f"group:{camp}"}  # the vocabulary consult.pipeline.stage_dedupe reapplies
    g = groups(conn)[camp]
    assert g.status == "confirmed" and g.confirmed == 12 and g.confirmed_by == "Ann" and g.version > 0
    per_answer = events(conn, "dedupe")
    assert len(per_answer) == 12 and {e["action"] for e in per_answer} == {"confirm"}
    assert json.loads(per_answer[0]["before_json"]) == {"group": camp, "decision": None}
    assert json.loads(per_answer[0]["after_json"]) == {"group": camp, "decision": f"group:{camp}"}
    [ev] = events(conn, "dedupe-group")
    assert ev["reviewer"] == "Ann" and json.loads(ev["after_json"]) == {"members": 12, "confirmed": 12}
    # confirming again changes nothing and writes nothing
    assert dedupe.confirm_group(conn, "q1", camp, "Bob") == 0
    assert len(events(conn, "dedupe")) == 12 and len(events(conn, "dedupe-group")) == 1
    conn.close()
    rerun(base)
    c = connect(base / "out" / "consult.db")
    g = groups(c)[camp]
    assert g.status == "confirmed" and g.members == g.machine_size == 12 and g.additions == 3
    assert c.execute("SELECT size FROM campaigns WHERE id = ?", (camp,)).fetchone()[0] == 12
    c.close()


def test_not_duplicate_move_and_new_group_survive_a_rerun(base, conn):
    camp, training = gid_of(conn, "C0"), gid_of(conn, "D0")
    c0, c1, d0, d1 = rid(conn, "C0"), rid(conn, "C1"), rid(conn, "D0"), rid(conn, "D1")
    assert dedupe.not_duplicate(conn, "q1", [c0], "Ann") == 1
    assert dedupe.move_to_group(conn, "q1", [c1], training, "Ann") == training
    new = dedupe.move_to_group(conn, "q1", [d0, d1], dedupe.NEW_GROUP, "Bob")
    assert new == f"q1:rev-{d0}"
    # the page shows the decisions at once, before any re-run
    gs = groups(conn)
    assert gs[camp].members == 10 and gs[camp].taken_out == 2 and gs[camp].additions == 1
    assert gs[training].members == 2 and gs[new].members == 2 and gs[new].text == TRAINING
    page = dedupe.group_members(conn, "q1", camp)
    assert {r["id"]: r["how"] for r in page.taken_out} == {c0: "not a duplicate", c1: "moved to another group"}
    moved = {r["id"]: r["how"] for r in dedupe.group_members(conn, "q1", training).rows}
    assert moved[c1] == "moved here"
    assert [e["action"] for e in events(conn, "dedupe")] == ["not-duplicate", "move", "move", "move"]
    conn.close()
    rerun(base)
    c = connect(base / "out" / "consult.db")
    outcome = {r[0]: (r[1], r[2]) for r in c.execute("SELECT response_id, kind, group_id FROM response_dedupe")}
    assert outcome[c0] == ("unique", None)
    assert outcome[c1][1] == training and outcome[d0][1] == outcome[d1][1] == new
    assert c.execute("SELECT size FROM campaigns WHERE id = ?", (camp,)).fetchone()[0] == 10
    gs = groups(c)
    assert gs[camp].members == gs[camp].machine_size == 10 and gs[new].machine_size == 2
    # the decisions are still there and agree with the analysis now
    assert all(m.machine_group == m.group for m in dedupe.memberships(c, "q1").values() if m.decision)
    c.close()


def test_merge_moves_every_member_and_survives_a_rerun(base, conn):
    training, evil = gid_of(conn, "D0"), gid_of(conn, "E0")
    assert dedupe.merge_groups(conn, "q1", evil, training, "Ann", expected_version=0) == 2
    gs = groups(conn)
    assert gs[training].members == 5 and evil not in gs
    assert dedupe.dedupe_group(conn, "q1", evil).members == 0  # still reachable by id, empty
    assert {e["action"] for e in events(conn, "dedupe")} == {"merge"}
    merged = [(e["entity_id"], json.loads(e["after_json"])) for e in events(conn, "dedupe-group")]
    assert merged == [(evil, {"members": 0, "merged_into": training}),
                      (training, {"members": 5, "merged_from": evil})]
    with pytest.raises(ConsultError, match="no answers left"):
        dedupe.merge_groups(conn, "q1", evil, training, "Ann")
    conn.close()
    rerun(base)
    c = connect(base / "out" / "consult.db")
    assert c.execute("SELECT size FROM dedupe_groups WHERE id = ?", (training,)).fetchone()[0] == 5
    assert c.execute("SELECT COUNT(*) FROM dedupe_groups WHERE id = ?", (evil,)).fetchone()[0] == 0
    c.close()


def test_stale_versions_are_refused_and_write_nothing(conn):
    camp = gid_of(conn, "C0")
    c3, c4 = rid(conn, "C3"), rid(conn, "C4")
    seen = groups(conn)[camp].version
    seen_c4 = dedupe.dedupe_version(conn, c4)
    dedupe.not_duplicate(conn, "q1", [c3], "Bob", expected_versions={c3: 0})
    n = len(events(conn, "dedupe"))
    with pytest.raises(answers.VersionConflict) as err:
        dedupe.confirm_group(conn, "q1", camp, "Ann", expected_version=seen)
    assert err.value.changed_by == "Bob"
    with pytest.raises(answers.VersionConflict):
        dedupe.merge_groups(conn, "q1", camp, gid_of(conn, "D0"), "Ann", expected_version=seen)
    with pytest.raises(answers.VersionConflict):
        dedupe.move_to_group(conn, "q1", [c4, c3], gid_of(conn, "D0"), "Ann", expected_versions={c4: seen_c4, c3: 0})
    assert len(events(conn, "dedupe")) == n and groups(conn)[camp].members == 11
    assert dedupe.membership(conn, c4)[1].decision is None  # the whole move was rolled back
    # against the current versions it goes through
    assert dedupe.confirm_group(conn, "q1", camp, "Ann", expected_version=groups(conn)[camp].version) == 11


def test_bad_requests_are_refused(conn):
    camp, training = gid_of(conn, "C0"), gid_of(conn, "D0")
    with pytest.raises(ConsultError, match="name"):
        dedupe.confirm_group(conn, "q1", camp, " ")
    with pytest.raises(ConsultError, match="no duplicate group"):
        dedupe.confirm_group(conn, "q1", "q1:dup-nope", "Ann")
    with pytest.raises(ConsultError, match="no duplicate group"):
        dedupe.move_to_group(conn, "q1", [rid(conn, "R1")], "q2:whatever", "Ann")
    with pytest.raises(ConsultError, match="has no answer"):
        dedupe.not_duplicate(conn, "q1", [rid(conn, "R1", "q2")], "Ann")
    with pytest.raises(ConsultError, match="at least one answer"):
        dedupe.not_duplicate(conn, "q1", [], "Ann")
    with pytest.raises(ConsultError, match="two different"):
        dedupe.merge_groups(conn, "q1", camp, camp, "Ann")
    dedupe.not_duplicate(conn, "q1", [rid(conn, "E0")], "Ann")
    with pytest.raises(ConsultError, match="at least two"):
        dedupe.confirm_group(conn, "q1", gid_of(conn, "E0"), "Ann")
    # an answer that was in no group can be put in one
    assert dedupe.move_to_group(conn, "q1", [rid(conn, "R1")], training, "Ann") == training
    assert groups(conn)[training].members == 4


# --------------------------------------------------------------------------- web pages


def client(base: Path, name: str | None = "Ann") -> TestClient:
    c = TestClient(create_app(base / "out"), headers={"Origin": "http://testserver"})
    if name:
        assert c.post("/reviewer", data={"name": name, "next": "/"}).status_code == 200
    return c


def group_url(gid: str) -> str:
    return f"/q/q1/campaigns/{gid}"


def test_pages_are_linked_and_escape_answer_text(base, conn):
    c = client(base)
    assert 'href="/q/q1/campaigns"' in c.get("/").text
    assert 'href="/q/q1/campaigns"' in c.get("/q/q1").text
    assert "/q/q3/campaigns" not in c.get("/").text  # a closed question has no copies to review
    page = c.get("/q/q1/campaigns")
    assert page.status_code == 200 and "3 groups." in page.text and LETTER in page.text
    assert "not confirmed" in page.text
    evil = gid_of(conn, "E0")
    for url in ("/q/q1/campaigns", group_url(evil), f"/a/{rid(conn, 'E0')}"):
        html = c.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html, url
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in c.get(group_url(evil)).text
    camp = c.get(group_url(gid_of(conn, "C0")))
    assert camp.status_code == 200 and "Template" in camp.text
    assert camp.text.count(f'<td class="addition">{OWN_WORDS}</td>') == 3
    assert "3 answers add words of their own" in camp.text
    assert f'href="/q/q1/campaigns/{gid_of(conn, "C0").replace(":", "%3A")}"' in c.get(f"/a/{rid(conn, 'C0')}").text
    assert c.get("/q/q1/campaigns/q1:nope").status_code == 404 and c.get("/q/nope/campaigns").status_code == 404


def test_forms_confirm_take_out_move_put_back_add_and_merge(base, conn):
    c = client(base)
    camp, training, evil = gid_of(conn, "C0"), gid_of(conn, "D0"), gid_of(conn, "E0")
    c0, c1, r1 = rid(conn, "C0"), rid(conn, "C1"), rid(conn, "R1")
    r = c.post(group_url(camp), data={"op": "not-duplicate", "answer": [str(c0)], f"version-{c0}": "0"})
    assert r.status_code == 200 and "1 answer marked as not duplicates" in r.text
    assert 'id="taken-out"' in r.text and "not a duplicate by Ann" in r.text
    r = c.post(group_url(camp), data={"op": "move", "answer": [str(c1)], f"version-{c1}": "0", "target": training})
    assert r.status_code == 200 and f"in group {training}" in r.text
    r = c.post(group_url(camp), data={"op": "put-back", "answer": [str(c0)],
                                      f"version-{c0}": str(dedupe.dedupe_version(conn, c0))})
    assert r.status_code == 200 and dedupe.membership(conn, c0)[1].group == camp
    r = c.post(group_url(training), data={"op": "add", "response": str(r1)})
    assert r.status_code == 200 and dedupe.membership(conn, r1)[1].group == training
    version = groups(conn)[camp].version
    r = c.post("/q/q1/campaigns", data={"op": "confirm", "group": camp, "version": str(version)})
    assert r.status_code == 200 and "Confirmed group" in r.text and groups(conn)[camp].status == "confirmed"
    r = c.post("/q/q1/campaigns", data={"op": "merge", "source": evil, "into": training,
                                        f"version-{evil}": str(groups(conn)[evil].version)})
    assert r.status_code == 200 and "2 answers moved" in r.text and groups(conn)[training].members == 7
    audit = c.get("/audit", params={"entity": "dedupe-group"}).text
    assert "confirm" in audit and "merge" in audit
    assert c.get("/audit", params={"entity": "dedupe", "entity_id": str(c0)}).text.count("Ann") >= 2


def test_forms_need_a_name_same_origin_and_a_current_version(base, conn):
    camp = gid_of(conn, "C0")
    c3 = rid(conn, "C3")
    anon = client(base, name=None)
    r = anon.post("/q/q1/campaigns", data={"op": "confirm", "group": camp, "version": "0"})
    assert r.status_code == 403 and "Enter your name" in r.text
    ann = client(base)
    cross = ann.post(group_url(camp), data={"op": "not-duplicate", "answer": [str(c3)]},
                     headers={"Origin": "http://evil.example"})
    assert cross.status_code == 403
    assert ann.post("/q/q1/campaigns", data={"op": "confirm", "group": camp}).status_code == 400  # no version
    assert events(conn, "dedupe") == []
    bob = client(base, "Bob")
    bob.post(group_url(camp), data={"op": "not-duplicate", "answer": [str(c3)], f"version-{c3}": "0"})
    stale = ann.post("/q/q1/campaigns", data={"op": "confirm", "group": camp, "version": "0"})
    assert stale.status_code == 409 and "changed by Bob" in stale.text
    again = ann.post(group_url(camp), data={"op": "move", "answer": [str(c3)], f"version-{c3}": "0",
                                            "target": gid_of(conn, "D0")})
    assert again.status_code == 409 and dedupe.membership(conn, c3)[1].decision == "not-duplicate"
    bad = ann.post(group_url(camp), data={"op": "move", "answer": [str(c3)], "target": "q1:nope"})
    assert bad.status_code == 400 and "no duplicate group" in bad.text


def test_groups_without_dedupe_group_rows(tmp_path):
    """Older workspaces have groups without ``dedupe_groups`` rows; they still work."""
    build_demo_workspace(tmp_path, questions=1, answers_per_question=40, random_state=3, texts={1: EVIL})
    conn = connect(tmp_path / "consult.db")
    assert {g.id for g in dedupe.dedupe_groups(conn, "q1")} >= {"q1:c1"}
    conn.execute("DELETE FROM dedupe_groups")
    gs = dedupe.dedupe_groups(conn, "q1")
    camp = next(g for g in gs if g.id == "q1:c1")
    assert camp.campaign and camp.text == "Standard campaign text"
    assert dedupe.confirm_group(conn, "q1", "q1:c1", "Ann") == camp.members
    assert {r[0] for r in conn.execute("SELECT decision FROM dedupe_overrides")} == {"group:q1:c1"}
    assert dedupe.dedupe_group(conn, "q1", "q1:c1").status == "confirmed"
    c = TestClient(create_app(tmp_path))
    assert c.get("/q/q1/campaigns").status_code == 200 and c.get("/q/q1/campaigns/q1:c1").status_code == 200


# --------------------------------------------------------------------------- accessibility (axe-core in Chromium)

@pytest.mark.browser
def test_campaign_pages_have_no_axe_violations(browser, base, conn):
    camp = gid_of(conn, "C0")
    dedupe.not_duplicate(conn, "q1", [rid(conn, "C0")], "Ann")  # so the "taken out" table shows too
    with serving(base / "out") as url:
        for path in ("/q/q1/campaigns", f"/q/q1/campaigns/{camp}"):
            assert axe_violations(browser, url + path) == [], path


def test_headings_go_in_order(base, conn):
    c = client(base)
    for url in ("/q/q1/campaigns", group_url(gid_of(conn, "C0"))):
        levels = [int(h) for h in re.findall(r"<h([1-6])[ >]", c.get(url).text)]
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), (url, levels)
