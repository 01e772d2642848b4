"""One definition of an answer's final codes: the review app, the summary, the spreadsheet and
`consult evaluate` agree after reviewers delete (with reassignment), merge and split codes."""

from __future__ import annotations

from collections import Counter

import pytest
from openpyxl import load_workbook

from consult.report import summary_data
from consult.workspace import answers, code_edits, codes
from consult.workspace.codes import codings_by_respondent
from consult.review.demo import build_demo_workspace
from consult.review.sheets import FIXED, export_xlsx
from consult.workspace.db import connect


@pytest.fixture()
def conn(tmp_path):
    c = connect(build_demo_workspace(tmp_path / "ws", questions=2, answers_per_question=40, random_state=5))
    # Some answers a person decided, some left to the model.
    answers.set_codes(c, 1, ["funding", "choice"], "Ann")
    answers.set_codes(c, 2, ["opt-out-support"], "Ann")
    answers.mark_reviewed(c, 3, "Ann")
    answers.set_codes(c, 41, ["training"], "Ann")
    # Reviewers reshape the codebook: delete with reassignment, merge, split answer by answer.
    code_edits.delete_code(c, "q1", "funding", "Bob", reassign_to="training")
    code_edits.merge_codes(c, "q1", ["choice"], "independence", "Bob")
    coded = [r["id"] for r in answers.list_answers(c, answers.AnswerFilter(question_id="q1", code="opt-out-support")).rows]
    choices = {rid: ("move" if i % 3 == 0 else "both" if i % 3 == 1 else "keep") for i, rid in enumerate(coded)}
    code_edits.split_code_answers(c, "q1", "opt-out-support", "Automatic offer", "Bob", choices)
    code_edits.delete_code(c, "q2", "funding", "Bob")  # no reassignment: the code's answers lose it
    yield c
    c.close()


def app_codes(conn, qid):
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM responses WHERE question_id = ? AND text IS NOT NULL AND text != '' ORDER BY id", (qid,))]
    return {rid: set(answers.answer_state(conn, rid).final_codes) for rid in ids}


def sheet_codes(conn, tmp_path, qid):
    path = tmp_path / "export.xlsx"
    export_xlsx(conn, path)
    ws = load_workbook(path)[qid]
    headers = [c.value for c in ws[1]]
    out = {}
    for row in ws.iter_rows(min_row=2, values_only=True):
        out[int(row[0])] = {h for h, v in zip(headers[len(FIXED):-1], row[len(FIXED):-1]) if v == "Yes"}
    return out


def evaluate_codes(conn, qid):
    keys = {f"{r['respondent_id']}:{r['question_id']}": r["id"]
            for r in conn.execute("SELECT id, respondent_id, question_id FROM responses WHERE question_id = ?", (qid,))}
    return {keys[k]: set(v) for k, v in codings_by_respondent(conn).items() if k in keys}


def report_counts(conn, qid):
    q = next(q for q in summary_data(conn, redactor=None)["questions"] if q["id"] == qid)
    labels = {c["label"]: c["id"] for c in codes.codes(conn, qid)}
    return {labels[row[0]]: row[1] for row in q["codes"]["table"].rows if row[1]}


@pytest.mark.parametrize("qid", ["q1", "q2"])
def test_app_summary_spreadsheet_and_evaluate_agree(conn, tmp_path, qid):
    app = app_codes(conn, qid)
    assert any(app.values())
    assert sheet_codes(conn, tmp_path, qid) == app
    assert evaluate_codes(conn, qid) == app
    counts = Counter(c for codes in app.values() for c in codes)
    assert report_counts(conn, qid) == dict(counts)
    assert {c: n["final"] for c, n in codes.code_counts(conn, qid).items() if n["final"]} == dict(counts)
    # Nothing counts under a code that is no longer active.
    active = {c["id"] for c in codes.codes(conn, qid)}
    assert set(counts) <= active
