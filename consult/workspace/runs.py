"""Runs of ``consult analyse`` (``runs``), notes for the run log (``question_notes``) and agreement
figures from ``consult evaluate`` (``evaluations``)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from consult.workspace.db import now, transaction


def start_run(conn: sqlite3.Connection, version: str, input_hash: str, settings: dict[str, Any]) -> int:
    """Record the start of a run with the settings it uses; return its id."""
    with transaction(conn):
        return conn.execute(
            "INSERT INTO runs (started, version, input_hash, settings_json) VALUES (?, ?, ?, ?)",
            (now(), version, input_hash, json.dumps(settings, sort_keys=True)),
        ).lastrowid


def finish_run(conn: sqlite3.Connection, run_id: int) -> None:
    with transaction(conn):
        conn.execute("UPDATE runs SET finished = ?, status = 'finished' WHERE id = ?", (now(), run_id))


def latest_run(conn: sqlite3.Connection) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM runs ORDER BY id DESC LIMIT 1").fetchone()


def set_note(conn: sqlite3.Connection, question_id: str, stage: str, note: str | None) -> None:
    """A stage's note on a question (None clears it); call inside the stage's transaction."""
    conn.execute("DELETE FROM question_notes WHERE question_id = ? AND stage = ?", (question_id, stage))
    if note:
        conn.execute("INSERT INTO question_notes VALUES (?, ?, ?)", (question_id, stage, note))


def notes(conn: sqlite3.Connection, question_id: str, stage: str | None = None) -> list[str]:
    """A question's notes (of one stage, or all), in stage order."""
    return [r[0] for r in conn.execute(
        "SELECT note FROM question_notes WHERE question_id = ? AND (? IS NULL OR stage = ?) ORDER BY stage, note",
        (question_id, stage, stage))]


def add_evaluation(conn: sqlite3.Connection, gold_file: str, figures: dict[str, Any]) -> None:
    with transaction(conn):
        conn.execute("INSERT INTO evaluations (at, gold_file, figures_json) VALUES (?, ?, ?)",
                     (now(), gold_file, json.dumps(figures, sort_keys=True)))


def evaluations(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM evaluations ORDER BY at, id").fetchall()
