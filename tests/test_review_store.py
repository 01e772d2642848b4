"""Write actions of the review app: answers, codebook edits, and their audit events."""

from __future__ import annotations

import json

import pytest

from consult.errors import ConsultError
from consult.workspace import answers, code_edits, codes
from consult.workspace.events import events_since
from consult.review.demo import build_demo_workspace
from consult.workspace.db import connect


@pytest.fixture()
def conn(tmp_path):
    db = build_demo_workspace(tmp_path, questions=2, answers_per_question=12, random_state=1,
                              texts={1: "My name is Jane Smith and I live in Leeds. Jane Smith again."})
    c = connect(db)
    yield c
    c.close()


def events(conn, entity="answer", entity_id=None):
    sql, params = "SELECT * FROM events WHERE entity = ?", [entity]
    if entity_id is not None:
        sql += " AND entity_id = ?"
        params.append(str(entity_id))
    return [dict(r) for r in conn.execute(sql + " ORDER BY id", params)]


def suggested(conn, rid):
    return sorted(r[0] for r in conn.execute("SELECT code_id FROM suggestions WHERE response_id = ?", (rid,)))


def test_set_codes_makes_a_decision_and_logs_before_after(conn):
    before = answers.answer_state(conn, 1)
    assert not before.decided and before.version == 0 and before.final_codes == suggested(conn, 1)
    after = answers.set_codes(conn, 1, ["choice", "funding"], "Ann", expected_version=0)
    assert after.decided and after.final_codes == ["choice", "funding"] and after.version == 1
    final = sorted(r[0] for r in conn.execute("SELECT code_id FROM final_codes WHERE response_id = 1"))
    assert final == ["choice", "funding"]
    [ev] = events(conn, entity_id=1)
    assert ev["reviewer"] == "Ann" and ev["action"] == "codes"
    assert json.loads(ev["before_json"]) == {"codes": suggested(conn, 1), "decided": False, "version": 0}
    assert json.loads(ev["after_json"]) == {"codes": ["choice", "funding"], "decided": True, "version": 1}


def test_codes_equal_to_the_model_are_no_decision_and_no_event(conn):
    state = answers.set_codes(conn, 2, suggested(conn, 2), "Ann")
    assert not state.decided and state.version == 0
    assert events(conn) == []


def test_unknown_code_and_missing_reviewer_are_refused(conn):
    with pytest.raises(ConsultError, match="no active code 'nope'"):
        answers.set_codes(conn, 1, ["nope"], "Ann")
    with pytest.raises(ConsultError, match="name"):
        answers.set_codes(conn, 1, ["funding"], "  ")
    with pytest.raises(ConsultError, match="no answer"):
        answers.set_codes(conn, 9999, ["funding"], "Ann")
    assert events(conn) == []


def test_version_conflict_keeps_the_first_change(conn):
    answers.set_codes(conn, 3, ["funding"], "Ann", expected_version=0)
    with pytest.raises(answers.VersionConflict) as err:
        answers.set_codes(conn, 3, ["choice"], "Bob", expected_version=0)
    assert err.value.changed_by == "Ann" and err.value.current.final_codes == ["funding"]
    assert answers.answer_state(conn, 3).final_codes == ["funding"]
    assert [e["reviewer"] for e in events(conn, entity_id=3)] == ["Ann"]
    changes = events_since(conn, "answer", 3, 0)
    assert len(changes) == 1 and json.loads(changes[0]["after_json"])["codes"] == ["funding"]
    # re-applied on the new version, it goes through
    assert answers.set_codes(conn, 3, ["choice"], "Bob", expected_version=1).final_codes == ["choice"]


def test_mark_reviewed_and_quote_flag(conn):
    shown = answers.answer_state(conn, 4).final_codes
    s = answers.mark_reviewed(conn, 4, "Ann", expected_version=0)
    # marking reviewed confirms the codes shown: they become the person's decision
    assert s.reviewed and s.decided and s.human_codes == shown and s.version == 1
    s = answers.set_quote(conn, 4, "Bob", True, expected_version=1)
    assert s.quote and s.reviewer == "Bob" and s.version == 2
    acts = [(e["action"], json.loads(e["after_json"])) for e in events(conn, entity_id=4)]
    assert acts == [
        ("reviewed", {"reviewed": True, "decided": True, "codes": shown, "version": 1}),
        ("quote", {"quote": True, "version": 2}),
    ]
    assert answers.mark_reviewed(conn, 4, "Ann", False).reviewed is False


def test_redaction_spans_by_offsets_and_by_text(conn):
    text = answers.answer_state(conn, 1).text
    s = answers.add_redaction(conn, 1, "Ann", text="Jane Smith")
    second = text.index("Jane Smith", 12)
    assert s.redactions == [[11, 21], [second, second + 10]] and text[11:21] == "Jane Smith"
    leeds = text.index("Leeds")
    s = answers.add_redaction(conn, 1, "Ann", start=leeds, end=leeds + 5, expected_version=1)
    assert s.redactions == [[11, 21], [leeds, leeds + 5], [second, second + 10]]
    # overlapping spans merge
    s = answers.add_redaction(conn, 1, "Ann", start=15, end=25)
    assert s.redactions[0] == [11, 25]
    s = answers.remove_redaction(conn, 1, "Ann", [leeds, leeds + 5])
    assert [leeds, leeds + 5] not in s.redactions
    with pytest.raises(ConsultError, match="outside"):
        answers.add_redaction(conn, 1, "Ann", start=0, end=10_000)
    with pytest.raises(ConsultError, match="does not occur"):
        answers.add_redaction(conn, 1, "Ann", text="Bristol")
    segs = answers.redaction_segments(text, s.redactions)
    assert "".join(p for p, _ in segs) == text and [p for p, red in segs if red][0] == text[11:25]
    assert events(conn, entity_id=1)[-1]["action"] == "redactions"


def test_revert_to_model(conn):
    answers.set_codes(conn, 5, ["choice"], "Ann")
    s = answers.update_answer(conn, 5, "Ann", revert_to_model=True)
    assert not s.decided and s.final_codes == suggested(conn, 5)
    assert events(conn, entity_id=5)[-1]["action"] == "revert"


def code(conn, cid, q="q1"):
    return dict(conn.execute("SELECT * FROM codes WHERE question_id = ? AND id = ?", (q, cid)).fetchone())


def test_add_and_rename_keep_ids(conn):
    cid = code_edits.add_code(conn, "q1", "Worried about Funding!", "Ann", description="Money.")
    assert cid == "worried-about-funding-2" or cid == "worried-about-funding"
    assert code(conn, cid)["source"] == "reviewer"
    with pytest.raises(ConsultError, match="already has a code"):
        code_edits.add_code(conn, "q1", "worried about funding!", "Ann")
    again = code_edits.add_code(conn, "q1", "Worried: about funding", "Ann")
    assert again != cid and again.startswith("worried-about-funding")
    c = code_edits.rename_code(conn, "q1", "funding", "Money worries", "Bob", expected_version=1)
    assert c["id"] == "funding" and c["label"] == "Money worries" and c["version"] == 2
    with pytest.raises(answers.VersionConflict):
        code_edits.describe_code(conn, "q1", "funding", "stale", "Ann", expected_version=1)
    code_edits.describe_code(conn, "q1", "funding", "Any worry about money.", "Ann", expected_version=2)
    evs = events(conn, "code", "q1:funding")
    assert [e["action"] for e in evs] == ["rename", "describe"]
    assert json.loads(evs[0]["before_json"])["label"] == "Worried about funding"


def test_merge_moves_human_codes_and_maps_suggestions(conn):
    answers.set_codes(conn, 1, ["funding", "training"], "Ann")
    answers.set_codes(conn, 2, ["funding", "non-substantive"], "Ann")
    moved = code_edits.merge_codes(conn, "q1", ["funding"], "training", "Bob")
    assert moved.decided == 2 and moved.target == "training"
    assert answers.answer_state(conn, 1).final_codes == ["training"]
    assert answers.answer_state(conn, 2).final_codes == ["non-substantive", "training"]
    assert code(conn, "funding")["status"] == "merged" and code(conn, "funding")["merged_into"] == "training"
    assert codes.code_map(conn, "q1")["funding"] == "training"
    # an undecided answer the model gave "funding" now counts towards "training"
    rid = conn.execute("SELECT s.response_id FROM suggestions s JOIN responses r ON r.id = s.response_id"
                       " WHERE r.question_id = 'q1' AND s.code_id = 'funding' AND s.response_id > 2").fetchone()
    if rid:
        assert "training" in answers.answer_state(conn, rid[0]).final_codes
    assert "funding" not in codes.code_counts(conn, "q1")
    assert [e["action"] for e in events(conn, "code")] == ["merge"]
    assert events(conn, entity_id=2)[-1]["reviewer"] == "Bob"
    with pytest.raises(ConsultError, match="built-in"):
        code_edits.merge_codes(conn, "q1", ["other"], "training", "Bob")


def test_split_creates_children_and_moves_chosen_answers(conn):
    answers.set_codes(conn, 1, ["choice"], "Ann")
    answers.set_codes(conn, 2, ["choice", "funding"], "Ann")
    new = code_edits.split_code(conn, "q1", "choice", ["Choose advocate", "Choose not to"], "Bob",
                             assign={1: ["choose-not-to"]})
    assert new == ["choose-advocate", "choose-not-to"]
    assert all(code(conn, n)["parent"] == "choice" for n in new)
    assert answers.answer_state(conn, 1).final_codes == ["choose-not-to"]
    assert answers.answer_state(conn, 2).final_codes == ["choice", "funding"]  # not moved: keeps the parent
    ev = events(conn, "code", "q1:choice")[-1]
    assert ev["action"] == "split" and json.loads(ev["after_json"])["split_into"] == new
    with pytest.raises(ConsultError, match="two"):
        code_edits.split_code(conn, "q1", "funding", ["Only one"], "Bob")


def test_delete_reassigns_answers(conn):
    answers.set_codes(conn, 1, ["independence", "choice"], "Ann")
    answers.set_codes(conn, 2, ["independence"], "Ann")
    assert code_edits.delete_code(conn, "q1", "independence", "Bob", reassign_to="other").decided == 2
    assert answers.answer_state(conn, 1).final_codes == ["choice", "other"]
    assert answers.answer_state(conn, 2).final_codes == ["other"]
    assert code(conn, "independence")["status"] == "deleted"
    with pytest.raises(ConsultError, match="no active code"):
        answers.set_codes(conn, 3, ["independence"], "Ann")
    answers.set_codes(conn, 3, ["training"], "Ann")
    assert code_edits.delete_code(conn, "q1", "training", "Bob").decided == 1
    assert answers.answer_state(conn, 3).final_codes == []
    assert codes.code_map(conn, "q1")["training"] is None
    with pytest.raises(ConsultError, match="built-in"):
        code_edits.delete_code(conn, "q1", "other", "Bob")


def test_a_failed_change_writes_nothing(conn):
    answers.set_codes(conn, 1, ["choice"], "Ann")
    n = len(events(conn, "answer")) + len(events(conn, "code"))
    with pytest.raises(ConsultError):
        code_edits.merge_codes(conn, "q1", ["choice", "other"], "funding", "Bob")  # "other" is built in
    assert code(conn, "choice")["status"] == "active"
    assert answers.answer_state(conn, 1).final_codes == ["choice"]
    assert len(events(conn, "answer")) + len(events(conn, "code")) == n


def test_list_filters_and_keyset_paging(conn):
    conn.execute("UPDATE respondents SET grp = 'Parent or carer' WHERE id = 'R1'")
    all_q1 = answers.list_answers(conn, answers.AnswerFilter(question_id="q1"), limit=5)
    assert all_q1.total == 12 and len(all_q1.rows) == 5 and all_q1.next_after == all_q1.rows[-1]["id"]
    page2 = answers.list_answers(conn, answers.AnswerFilter(question_id="q1"), after=all_q1.next_after, limit=5)
    assert page2.rows[0]["id"] > all_q1.rows[-1]["id"] and page2.prev_before == page2.rows[0]["id"]
    back = answers.list_answers(conn, answers.AnswerFilter(question_id="q1"), before=page2.prev_before, limit=5)
    assert [r["id"] for r in back.rows] == [r["id"] for r in all_q1.rows]
    low = answers.list_answers(conn, answers.AnswerFilter(question_id="q1", max_confidence=0.5), limit=100)
    assert all((r["top_confidence"] or 0) < 0.5 for r in low.rows)
    coded = answers.list_answers(conn, answers.AnswerFilter(question_id="q1", code="funding"), limit=100)
    assert all("funding" in r["codes"] for r in coded.rows)
    answers.mark_reviewed(conn, coded.rows[0]["id"], "Ann")
    unrev = answers.list_answers(conn, answers.AnswerFilter(question_id="q1", code="funding", unreviewed=True))
    assert unrev.total == coded.total - 1
    grp = answers.list_answers(conn, answers.AnswerFilter(question_id="q1", group="Parent or carer"))
    assert 1 in [r["id"] for r in grp.rows] and all(r["grp"] == "Parent or carer" for r in grp.rows)
    found = answers.list_answers(conn, answers.AnswerFilter(question_id="q1", search="Jane Smith"))
    assert [r["id"] for r in found.rows] == [1]
    assert answers.list_answers(conn, answers.AnswerFilter(question_id="q1", search="100%_")).total == 0
