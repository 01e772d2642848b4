from __future__ import annotations

import pytest

import csv
import sqlite3
from pathlib import Path

from consult.pipeline import analyse
from consult.workspace.db import connect, now, transaction
from consult.workspace.events import log_event
from consult.workspace.schema import SCHEMA_VERSION


def dump(db: Path, tables: tuple[str, ...] = ("consultation", "questions", "respondents", "responses")) -> dict:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    finally:
        conn.close()


def add_campaign(mini: Path, copies: int = 12) -> None:
    """Respondents C0, C1, ... who all paste the same form letter into q1."""
    letter = (
        "I support the Every Child Heard campaign because every child in care deserves an independent "
        "advocate who is offered to them automatically and who works only for them."
    )
    with open(mini / "responses.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    for i in range(copies):
        rows.append([f"C{i}", "As an individual", "", "Parent", "Yes", "London", "Agree", letter, "", "Email"])
    with open(mini / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)


@pytest.mark.slow
def test_analyse_writes_workspace_and_summary(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = analyse(mini, out, progress=False)
    assert result.db_path.is_file() and result.summary_path.is_file()
    conn = connect(result.db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("SELECT COUNT(*) FROM respondents").fetchone()[0] == 5
    # 5 respondents x 2 text questions + 4 answered closed-only q3
    assert conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == 14
    assert conn.execute("SELECT status FROM runs").fetchone()[0] == "finished"
    html = result.summary_path.read_text()
    assert "A small test consultation" in html
    assert "<th scope=\"row\">Agree</th><td class=\"num\">3</td><td class=\"num\">60%</td>" in html
    assert not list(out.glob(".*.tmp"))


@pytest.mark.slow
def test_rerun_is_idempotent(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    analyse(mini, out, progress=False)
    first = dump(out / "consult.db")
    html = (out / "summary.html").read_bytes()
    analyse(mini, out, progress=False)
    assert dump(out / "consult.db") == first
    assert (out / "summary.html").read_bytes() == html


@pytest.mark.slow
def test_rerun_keeps_reviewer_work_and_response_ids(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    analyse(mini, out, progress=False)
    conn = connect(out / "consult.db")
    rid = conn.execute("SELECT id FROM responses WHERE respondent_id='R2' AND question_id='q1'").fetchone()[0]
    with transaction(conn):
        conn.execute("INSERT INTO review_state (response_id, decided, reviewed, reviewer, at, version, text_hash)"
                     " VALUES (?, 1, 1, 'Ana', ?, 1, (SELECT text_hash FROM responses WHERE id = ?))", (rid, now(), rid))
        conn.execute("INSERT INTO human_codes VALUES (?, 'choice', 'Ana', ?)", (rid, now()))
        log_event(conn, "Ana", "response", rid, "set-codes", [], ["choice"])
    conn.close()

    # R2 disappears from the input: their reviewed answer is kept, the rest of R2 goes.
    with open(mini / "responses.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r[0] != "R2"]
    with open(mini / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    result = analyse(mini, out, progress=False)
    assert result.withdrawn == 1
    conn = connect(out / "consult.db")
    assert conn.execute("SELECT id FROM responses WHERE respondent_id='R2' AND question_id='q1'").fetchone()[0] == rid
    assert conn.execute("SELECT COUNT(*) FROM responses WHERE respondent_id='R2'").fetchone()[0] == 1
    assert [tuple(r) for r in conn.execute("SELECT code_id, reviewer FROM human_codes")] == [("choice", "Ana")]
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1


def test_migrations_bring_an_empty_database_up_to_date(tmp_path: Path) -> None:
    conn = connect(tmp_path / "x.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert {"responses", "events", "final_codes", "embeddings", "suggestions"} <= names
    conn.close()
    assert connect(tmp_path / "x.db").execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.slow
def test_final_codes_prefers_the_person(tmp_path: Path, mini: Path) -> None:
    out = tmp_path / "out"
    analyse(mini, out, progress=False)
    conn = connect(out / "consult.db")
    ids = [r[0] for r in conn.execute("SELECT id FROM responses WHERE question_id='q1' ORDER BY id")][:2]
    with transaction(conn):
        conn.execute("INSERT INTO codes (question_id, id, label) VALUES ('q1', 'model-code', 'M'), ('q1', 'human-code', 'H')")
        for i in ids:
            conn.execute("INSERT INTO suggestions VALUES (?, 'model-code', 0.7, 'v1')", (i,))
        conn.execute("INSERT INTO review_state (response_id, decided, text_hash)"
                     " VALUES (?, 1, (SELECT text_hash FROM responses WHERE id = ?))", (ids[0], ids[0]))
        conn.execute("INSERT INTO human_codes VALUES (?, 'human-code', 'Ana', ?)", (ids[0], now()))
    rows = conn.execute("SELECT response_id, code_id, source, assigned_by FROM final_codes ORDER BY response_id").fetchall()
    assert [tuple(r) for r in rows] == [(ids[0], "human-code", "person", "Ana"), (ids[1], "model-code", "model", "v1")]


def test_reviewer_dedupe_decision_survives_reruns(mini: Path, tmp_path: Path) -> None:
    add_campaign(mini)
    out = tmp_path / "out"
    analyse(mini, out, progress=False, skip=("themes", "assign"))
    conn = connect(out / "consult.db")
    kind = "SELECT d.kind FROM response_dedupe d JOIN responses r ON r.id = d.response_id WHERE r.respondent_id = ? AND r.question_id = 'q1'"
    assert conn.execute(kind, ("C3",)).fetchone()[0] == "campaign"
    rid = conn.execute("SELECT id FROM responses WHERE respondent_id = 'C3' AND question_id = 'q1'").fetchone()[0]
    with transaction(conn):
        conn.execute("INSERT INTO dedupe_overrides VALUES (?, 'not-duplicate', 'Ana', ?, (SELECT text_hash FROM responses WHERE id = ?))", (rid, now(), rid))
    analyse(mini, out, progress=False, skip=("themes", "assign"))
    assert conn.execute(kind, ("C3",)).fetchone()[0] == "unique"
    assert conn.execute(kind, ("C4",)).fetchone()[0] == "campaign"
    assert conn.execute("SELECT size FROM campaigns").fetchone()[0] == 11


def write_codebook(mini: Path, extra_config: str = "") -> None:
    """A two-code codebook for q1 of the mini consultation, named in its config (plus ``extra_config``)."""
    (mini / "codebook").mkdir()
    (mini / "codebook" / "q1.yaml").write_text(
        "question: q1\ncodes:\n"
        "  - id: dont-know-to-ask\n    label: Children do not know to ask\n"
        "    description: Children are not aware advocacy exists, so they cannot ask for it.\n"
        "    examples: [\"Most kids have never heard of an advocate.\"]\n"
        "  - id: choice\n    label: Children's choice\n"
        "    description: Children should be able to choose or decline an advocate.\n"
        "    examples: [\"It should be up to the young person.\"]\n",
        encoding="utf-8",
    )
    with open(mini / "consultation.toml", "a", encoding="utf-8") as f:
        f.write('\n[codebook]\nfolder = "codebook"\n' + extra_config)


@pytest.mark.slow
def test_full_run_codes_answers_and_keeps_a_reviewers_decision(mini: Path, tmp_path: Path) -> None:
    """All stages with the real model: a re-run keeps the person's codes and the model's beside them."""
    from consult.workspace import answers

    write_codebook(mini)
    out = tmp_path / "out"
    analyse(mini, out, progress=False)
    conn = connect(out / "consult.db")
    r1 = conn.execute("SELECT id FROM responses WHERE respondent_id='R1' AND question_id='q1'").fetchone()[0]
    r4 = conn.execute("SELECT id FROM responses WHERE respondent_id='R4' AND question_id='q1'").fetchone()[0]
    model = {r[0] for r in conn.execute("SELECT code_id FROM suggestions WHERE response_id = ?", (r1,))}
    assert model and model <= {"dont-know-to-ask", "choice", "other"}
    assert [r[0] for r in conn.execute("SELECT code_id FROM suggestions WHERE response_id = ?", (r4,))] == ["non-substantive"]
    assert conn.execute("SELECT model_version FROM suggestions LIMIT 1").fetchone()[0].startswith("assign-")
    answers.set_codes(conn, r1, ["choice"], "Ana")
    conn.close()

    analyse(mini, out, progress=False)
    conn = connect(out / "consult.db")
    final = [tuple(r) for r in conn.execute("SELECT code_id, assigned_by FROM final_codes WHERE response_id = ?", (r1,))]
    assert final == [("choice", "Ana")]
    assert conn.execute("SELECT COUNT(*) FROM suggestions WHERE response_id = ?", (r1,)).fetchone()[0] >= 1
    assert conn.execute("SELECT COUNT(*) FROM events WHERE reviewer = 'Ana'").fetchone()[0] == 1


def test_reviewer_can_put_an_answer_into_a_stored_group(mini: Path, tmp_path: Path) -> None:
    add_campaign(mini)
    out = tmp_path / "out"
    analyse(mini, out, progress=False, skip=("themes", "assign"))
    conn = connect(out / "consult.db")
    group = conn.execute("SELECT id FROM campaigns").fetchone()[0]
    assert group.startswith("q1:")
    rid = conn.execute("SELECT id FROM responses WHERE respondent_id = 'R1' AND question_id = 'q1'").fetchone()[0]
    with transaction(conn):
        conn.execute("INSERT INTO dedupe_overrides VALUES (?, ?, 'Ana', ?, (SELECT text_hash FROM responses WHERE id = ?))", (rid, f"group:{group}", now(), rid))
    analyse(mini, out, progress=False, skip=("themes", "assign"))
    assert conn.execute("SELECT group_id FROM response_dedupe WHERE response_id = ?", (rid,)).fetchone()[0] == group
    assert conn.execute("SELECT size FROM campaigns").fetchone()[0] == 13


def test_long_answers_are_coded_in_passages() -> None:
    from consult.units import passages

    text = " ".join(f"Sentence number {i} is about advocacy and training for children." for i in range(60))
    parts = passages(text, max_words=50)
    assert len(parts) > 1 and all(len(p.split()) <= 50 for p in parts)
    assert " ".join(parts).split() == text.split()  # nothing lost, nothing reordered
    assert passages("Short answer.", max_words=50) == ["Short answer."]


def test_stored_override_decisions_are_what_the_deduplicator_takes() -> None:
    from consult import dedupe
    from consult.workspace import dedupe as store

    assert store.NOT_DUPLICATE == dedupe.NOT_DUPLICATE
    assert store.override_target("not-duplicate", "q1") == dedupe.NOT_DUPLICATE
    assert store.override_target("group:q1:dup-5", "q1") == "dup-5"
    assert store.override_target("group:rev-12", "q1") == "rev-12"
