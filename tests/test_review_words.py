"""What the review app tells a reviewer: counts that match the code lists, labels not ids, an audit trail in words."""

from __future__ import annotations

import re

import pytest

from reviewing import client
from consult.review.demo import build_demo_workspace
from consult.workspace import answers, codes
from consult.workspace.db import connect


@pytest.fixture()
def ws(tmp_path):
    build_demo_workspace(tmp_path, questions=1, answers_per_question=60, random_state=4)
    return tmp_path



def message(html: str) -> str:
    m = re.search(r'id="message">([^<]*)<', html)
    assert m, html[:2000]
    return " ".join(m.group(1).split())


def final_count(conn, code_id: str) -> int:
    return codes.code_counts(conn, "q1").get(code_id, {}).get("final", 0)


def coded(conn, code_id: str) -> set[int]:
    return {rid for rid, cs in codes.final_codes(conn, question_id="q1").items() if code_id in cs}


def test_merge_message_counts_what_the_code_lists_show(ws):
    """Merging model-coded answers said "0 coded answers moved" while the target went from 130 to 181."""
    conn = connect(ws / "consult.db")
    answers.set_codes(conn, 1, ["funding", "training"], "Ann")  # one person's decision among the model's codes
    funding, training = coded(conn, "funding"), coded(conn, "training")
    before = final_count(conn, "training")
    moving = funding - training
    assert before == len(training) and len(moving) > 1
    text = message(client(ws).post("/q/q1/codebook", data={"op": "merge", "sources": ["funding"], "into": "training"}).text)
    after = final_count(conn, "training")
    assert after == before + len(moving) == len(funding | training)
    assert f"{len(moving)} answers" in text and f"{before} to {after}" in text, text
    # labels, not ids
    assert "Worried about funding" in text and "Advocates need training" in text and "funding," not in text


def test_delete_message_counts_what_the_code_lists_show(ws):
    conn = connect(ws / "consult.db")
    choice, other = coded(conn, "choice"), coded(conn, "other")
    text = message(client(ws).post("/q/q1/codebook", data={"op": "delete", "code": "choice", "reassign_to": "other"}).text)
    assert final_count(conn, "other") == len(choice | other)
    assert f"{len(choice)} answers" in text and f"{len(other)} to {len(choice | other)}" in text, text
    assert "Children should choose" in text


def test_delete_without_reassigning_says_how_many_lost_the_code(ws):
    conn = connect(ws / "consult.db")
    n = len(coded(conn, "training"))
    text = message(client(ws).post("/q/q1/codebook", data={"op": "delete", "code": "training"}).text)
    assert f"{n} answers no longer coded" in text, text
    assert "training" not in codes.code_counts(conn, "q1")


def test_the_audit_trail_is_in_words(ws):
    conn = connect(ws / "consult.db")
    c = client(ws)
    state = answers.answer_state(conn, 5)
    was = set(state.final_codes)
    gone = sorted(was)[0]
    new = (was - {gone}) | {"funding" if "funding" not in was else "choice"}
    added = (new - was).pop()
    c.post("/a/5", data={"version": str(state.version), "codes": sorted(new), "reviewed": "1", "back": ""})
    c.post("/q/q1/codebook", data={"op": "edit", "code": "training", "version": "1", "label": "Training for staff",
                                            "description": "The answer says: advocates need training."})
    c.post("/q/q1/codebook", data={"op": "merge", "sources": ["choice"], "into": "independence"})
    labels = {cid: lab for cid, lab in conn.execute("SELECT id, label FROM codes WHERE question_id = 'q1'")}
    page = c.get("/audit").text
    sentences = [" ".join(s.split()) for s in re.findall(r'<td class="sentence">([^<]*)</td>', page)]
    assert f"Asha changed answer 5: + {labels[added]}, \u2212 {labels[gone]}; marked reviewed" in sentences, sentences
    assert "Asha renamed \u201cAdvocates need training\u201d to \u201cTraining for staff\u201d (question q1)" in sentences
    assert ("Asha merged \u201cChildren should choose\u201d into \u201cAdvocates must be independent\u201d (question q1)"
            in sentences)
    assert "before_json" not in page and '{"' not in page and "&#34;codes&#34;" not in page
    history = c.get("/a/5").text
    assert f"+ {labels[added]}" in history and "&#34;" not in history.split('id="history"')[1]
    csv = c.get("/audit.csv").text
    assert "sentence" in csv.splitlines()[0] and f"Asha changed answer 5: + {labels[added]}" in csv
