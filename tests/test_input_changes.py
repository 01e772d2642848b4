"""When the export changes between runs: removed respondents are withdrawn (kept for the audit, never
counted, quoted or exported), human work on changed text is not applied to the new text, and a run
that was interrupted is recorded as such."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook

from consult.codebook import Codebook
from consult.pipeline import analyse
from consult.report import summary_data
from consult.review.sheets import export_xlsx
from consult.workspace import answers, codes, open_workspace, transaction
from consult.workspace import responses as ws_responses
from consult.workspace import runs as ws_runs
from consult.workspace.codes import codings_by_respondent

SKIP = ("themes", "assign")  # these tests need no language model
SCHOOL = "Oakwood Primary School"
SCHOOL_TEXT = f"Our child goes to {SCHOOL} and the advocate there was brilliant."


def rows(mini: Path) -> list[list[str]]:
    with open(mini / "responses.csv", newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def write(mini: Path, table: list[list[str]]) -> None:
    with open(mini / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(table)


def drop(mini: Path, *respondents: str) -> None:
    write(mini, [r for r in rows(mini) if r[0] not in respondents])


def set_q1(mini: Path, respondent: str, text: str) -> None:
    table = rows(mini)
    col = table[0].index("Q1 Why?")
    for r in table:
        if r[0] == respondent:
            r[col] = text
    write(mini, table)


def add_copies(mini: Path, text: str, ids: list[str]) -> None:
    table = rows(mini)
    col = table[0].index("Q1 Why?")
    for rid in ids:
        row = [rid, "As an individual", "", "Parent", "Yes", "London", "Agree", "", "", "Email"]
        row[col] = text
        table.append(row)
    write(mini, table)


def code_everything(out: Path) -> None:
    """What the assign stage would write: a one-code codebook for q1 and a suggestion for every answer."""
    conn = open_workspace(out)
    book = Codebook.from_dict({"question": "q1", "codes": [{"id": "support", "label": "Supports advocacy"}]})
    with transaction(conn):
        codes.sync_codebook(conn, "q1", book)
        ids = [r["id"] for r in ws_responses.responses(conn, "q1") if r["text"]]
        codes.replace_suggestions(conn, "q1", [(rid, "support", 0.9, "test") for rid in ids])
    conn.close()


def rid_of(conn, respondent: str, question: str = "q1") -> int:
    return ws_responses.response_id(conn, respondent, question)


def quotes(data: dict) -> list[str]:
    q1 = next(q for q in data["questions"] if q["id"] == "q1")
    return [t for c in q1["quotes_by_code"] for t in c["quotes"]]


# --------------------------------------------------------------------------- removed respondents


def test_removing_the_canonical_answer_of_a_group_does_not_break_reanalysis(mini: Path, tmp_path: Path) -> None:
    add_copies(mini, "Every child should be told about advocacy in words they understand.", ["D1", "D2", "D3"])
    out = tmp_path / "out"
    analyse(mini, out, progress=False, skip=SKIP)
    conn = open_workspace(out)
    group = conn.execute("SELECT id, canonical_response_id FROM dedupe_groups").fetchone()
    canonical = conn.execute("SELECT respondent_id FROM responses WHERE id = ?", (group[1],)).fetchone()[0]
    conn.close()
    drop(mini, canonical)
    analyse(mini, out, progress=False, skip=SKIP)  # raised FOREIGN KEY constraint failed
    conn = open_workspace(out)
    [(size, canon_respondent)] = conn.execute(
        "SELECT g.size, r.respondent_id FROM dedupe_groups g JOIN responses r ON r.id = g.canonical_response_id").fetchall()
    assert size == 2 and canon_respondent in {"D1", "D2", "D3"} - {canonical}


def test_a_withdrawn_respondent_is_not_counted_quoted_or_exported(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    analyse(mini, out, progress=False, skip=SKIP)
    code_everything(out)
    conn = open_workspace(out)
    r1 = rid_of(conn, "R1")
    answers.set_quote(conn, r1, "Ann")
    text = conn.execute("SELECT text FROM responses WHERE id = ?", (r1,)).fetchone()[0]
    assert any(text in q for q in quotes(summary_data(conn)))
    conn.close()

    drop(mini, "R1")
    result = analyse(mini, out, progress=False, skip=SKIP)
    assert any("withdrawn" in n and "1 respondent" in n for n in result.notes)
    conn = open_workspace(out)
    data = summary_data(conn)
    assert data["overview"]["respondents"] == 4
    assert not any(text in q for q in quotes(data))
    assert data["method"]["withdrawn"]["respondents"] == 1
    assert "R1:q1" not in codings_by_respondent(conn)
    assert answers.answer_state(conn, r1).withdrawn  # kept, with its history
    export_xlsx(conn, tmp_path / "review.xlsx")
    ids = [row[0] for row in load_workbook(tmp_path / "review.xlsx")["q1"].iter_rows(min_row=2, values_only=True)]
    assert r1 not in ids
    assert answers.questions(conn, "q1")[0]["withdrawn"] == 1
    conn.close()


def test_a_returning_respondent_is_no_longer_withdrawn(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    original = rows(mini)
    analyse(mini, out, progress=False, skip=SKIP)
    conn = open_workspace(out)
    answers.mark_reviewed(conn, rid_of(conn, "R2"), "Ann")
    conn.close()
    drop(mini, "R2")
    analyse(mini, out, progress=False, skip=SKIP)
    write(mini, original)
    analyse(mini, out, progress=False, skip=SKIP)
    conn = open_workspace(out)
    state = answers.answer_state(conn, rid_of(conn, "R2"))
    assert not state.withdrawn and state.reviewed
    assert summary_data(conn)["overview"]["respondents"] == 5


def test_purging_withdrawn_answers_deletes_them_for_good_and_is_audited(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    analyse(mini, out, progress=False, skip=SKIP)
    conn = open_workspace(out)
    r1 = rid_of(conn, "R1")
    answers.mark_reviewed(conn, r1, "Ann")
    conn.close()
    drop(mini, "R1")
    analyse(mini, out, progress=False, skip=SKIP)
    conn = open_workspace(out)
    assert ws_responses.purge_withdrawn(conn, "Bob") == {"answers": 1, "respondents": 1}
    assert conn.execute("SELECT COUNT(*) FROM responses WHERE id = ?", (r1,)).fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM respondents WHERE id = 'R1'").fetchone()[0] == 0
    [ev] = conn.execute("SELECT reviewer, action, before_json FROM events WHERE entity = 'withdrawn'").fetchall()
    assert ev[0] == "Bob" and ev[1] == "purge" and "R1" in ev[2]
    assert ws_responses.purge_withdrawn(conn, "Bob") == {"answers": 0, "respondents": 0}


# --------------------------------------------------------------------------- changed text


def test_human_work_on_changed_text_is_not_applied_to_the_new_text(mini: Path, tmp_path: Path) -> None:
    set_q1(mini, "R1", SCHOOL_TEXT)
    out = tmp_path / "out"
    analyse(mini, out, progress=False, skip=SKIP)
    code_everything(out)
    conn = open_workspace(out)
    r1 = rid_of(conn, "R1")
    state = answers.add_redaction(conn, r1, "Ann", text=SCHOOL)
    answers.update_answer(conn, r1, "Ann", codes=["support"], reviewed=True, quote=True, expected_version=state.version)
    published = quotes(summary_data(conn))
    assert any("[redacted]" in q and SCHOOL not in q for q in published)
    conn.close()

    set_q1(mini, "R1", "Our child goes to a special school in Leeds. " + SCHOOL_TEXT)
    analyse(mini, out, progress=False, skip=SKIP)
    code_everything(out)
    conn = open_workspace(out)
    state = answers.answer_state(conn, r1)
    assert state.stale and not state.reviewed and not state.decided and not state.quote
    assert state.redactions == []  # the old spans are not shown on the new text
    assert state.final_codes == ["support"]  # the model's, not the person's decision on the old text
    # Back in the queue, marked; and never quoted until someone looks again.
    assert r1 in [r["id"] for r in answers.review_queue(conn, "q1", 50)]
    assert not any(SCHOOL in q or "special school" in q for q in quotes(summary_data(conn)))
    # Looking again makes it current.
    state = answers.update_answer(conn, r1, "Bob", reviewed=True, expected_version=state.version)
    assert not state.stale and state.reviewed


# --------------------------------------------------------------------------- runs


def test_a_run_stopped_by_ctrl_c_is_recorded_as_interrupted(mini: Path, tmp_path: Path) -> None:
    import consult.pipeline as pipeline

    def stop(ctx):  # noqa: ANN001
        raise KeyboardInterrupt

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "stages", lambda: [("dedupe", stop)])
        with pytest.raises(KeyboardInterrupt):
            analyse(mini, tmp_path / "out", progress=False)
    conn = open_workspace(tmp_path / "out")
    assert [r["status"] for r in conn.execute("SELECT status FROM runs")] == ["interrupted"]


def test_a_killed_run_is_marked_interrupted_on_the_next_start(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    analyse(mini, out, progress=False, skip=SKIP)
    conn = open_workspace(out)
    ws_runs.start_run(conn, "0", "hash", {}, pid=2**22 + 12345)  # as `kill -9` leaves it: never finished
    conn.close()
    result = analyse(mini, out, progress=False, skip=SKIP)
    assert any("interrupted" in n for n in result.notes)
    conn = open_workspace(out)
    assert [r["status"] for r in conn.execute("SELECT status FROM runs ORDER BY id")] == [
        "finished", "interrupted", "finished"]


# --------------------------------------------------------------------------- progress and the run log


def test_progress_names_stage_and_question_and_no_progress_is_silent(mini: Path, tmp_path: Path, capsys) -> None:
    analyse(mini, tmp_path / "a", progress=True, skip=SKIP)
    shown = capsys.readouterr().err
    assert "load responses.csv" in shown and "dedupe q1" in shown and "save answers" in shown
    result = analyse(mini, tmp_path / "b", progress=False, skip=SKIP)
    assert capsys.readouterr().err == ""
    assert [line.split(":")[0] for line in result.log] == ["load", "ingest", "dedupe", "report"]
    assert set(result.seconds) == {"load", "ingest", "dedupe", "report"}
    conn = open_workspace(tmp_path / "b")
    assert "dedupe: 2 questions" in ws_runs.latest_run(conn)["log_json"]
