"""Runs of ``consult analyse`` (``runs``), notes for the run log (``question_notes``) and agreement
figures from ``consult evaluate`` (``evaluations``)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
from pathlib import Path
from typing import Any

from consult.errors import ConsultError
from consult.workspace.db import now, transaction


def start_run(
    conn: sqlite3.Connection, version: str, input_hash: str, settings: dict[str, Any], *,
    pid: int | None = None, host: str | None = None,
) -> tuple[int, list[str]]:
    """Record the start of a run; return its id and notes on earlier runs that never finished.

    A run still marked running whose process is gone (stopped by ``kill -9``, a crash or a
    power cut) is marked interrupted. One whose process is alive on this machine means another
    ``consult analyse`` is using the workspace: that is refused.
    """
    pid = os.getpid() if pid is None else pid
    host = socket.gethostname() if host is None else host
    notes = []
    with transaction(conn):
        for r in conn.execute("SELECT id, started, pid, host FROM runs WHERE status = 'running'").fetchall():
            if r["host"] == host and r["pid"] is not None and r["pid"] != pid and _alive(r["pid"]):
                raise ConsultError(
                    f"another `consult analyse` (process {r['pid']}, started {r['started']}) is running on this"
                    " workspace; wait for it to finish, or stop it first")
            conn.execute("UPDATE runs SET status = 'interrupted' WHERE id = ?", (r["id"],))
            notes.append(f"the run started {r['started']} did not finish; it is recorded as interrupted, and this"
                         " run reuses what it had finished")
        run_id = conn.execute(
            "INSERT INTO runs (started, version, input_hash, settings_json, pid, host) VALUES (?, ?, ?, ?, ?, ?)",
            (now(), version, input_hash, json.dumps(settings, sort_keys=True), pid, host),
        ).lastrowid
    return run_id, notes


def _alive(pid: int) -> bool:
    """Whether a process with this id runs consult now (a reused id of another program does not count)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError, OverflowError):
        return False
    try:
        return b"consult" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: the process exists, assume it is ours


def finish_run(conn: sqlite3.Connection, run_id: int, log: list[str], status: str = "finished") -> None:
    """Record how a run ended ('finished', 'interrupted' or 'failed') and its run log."""
    with transaction(conn):
        conn.execute("UPDATE runs SET finished = ?, status = ?, log_json = ? WHERE id = ?",
                     (now(), status, json.dumps(log, ensure_ascii=False), run_id))


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


def settings(conn: sqlite3.Connection) -> Any:
    """The effective settings of the latest run (defaults if none was recorded), as :class:`Settings`."""
    from consult.settings import Settings

    run = latest_run(conn)
    try:
        stored = json.loads(run["settings_json"]) if run else {}
    except json.JSONDecodeError:
        stored = {}
    effective = stored.get("effective") if isinstance(stored, dict) else None
    try:
        return Settings.from_tables(effective if isinstance(effective, dict) else {})
    except ConsultError:  # settings recorded by another version of consult: report with the defaults
        return Settings()
