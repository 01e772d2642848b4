"""What was loaded: the consultation, its questions, respondents and their responses.

:func:`ingest` writes a loaded :class:`consult.model.Consultation`; response ids
stay stable across runs (upserts on respondent and question).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from consult.workspace.db import one, transaction

# Tables whose rows hang off a response and belong to the machine stages, and those holding human work.
MACHINE_TABLES = ("response_dedupe", "response_themes", "theme_quotes", "suggestions")
HUMAN_TABLES = ("review_state", "human_codes", "dedupe_overrides")


def ingest(conn: sqlite3.Connection, c: Any, config: dict[str, Any]) -> int:
    """Write the loaded consultation ``c``; return how many answers gone from the input were kept.

    An answer that vanished from the input is deleted only when no person has touched it.
    """
    with transaction(conn):
        conn.execute(
            "INSERT INTO consultation (id, title, organisation, opened, closed, how, config_json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title=excluded.title,"
            " organisation=excluded.organisation, opened=excluded.opened, closed=excluded.closed,"
            " how=excluded.how, config_json=excluded.config_json",
            (c.id, c.title, c.organisation, c.opened, c.closed, c.how, json.dumps(config, sort_keys=True)),
        )
        conn.execute("DELETE FROM consultation WHERE id != ?", (c.id,))
        conn.executemany(
            "INSERT INTO questions (id, position, text, kind, options_json) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET position=excluded.position, text=excluded.text,"
            " kind=excluded.kind, options_json=excluded.options_json",
            [(q.id, i, q.text, q.kind, json.dumps(list(q.options))) for i, q in enumerate(c.questions)],
        )
        write_respondents(conn, c.respondents)
        conn.executemany(
            "INSERT INTO responses (respondent_id, question_id, option, text) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(respondent_id, question_id) DO UPDATE SET option=excluded.option, text=excluded.text",
            [(r.respondent_id, r.question_id, r.option, r.text) for r in c.responses],
        )
        # Rows that are no longer in the input.
        keep = {(r.respondent_id, r.question_id) for r in c.responses}
        existing = conn.execute("SELECT id, respondent_id, question_id FROM responses").fetchall()
        stale = [row["id"] for row in existing if (row["respondent_id"], row["question_id"]) not in keep]
        touched = set()
        for table in HUMAN_TABLES:
            touched |= {r[0] for r in conn.execute(f"SELECT response_id FROM {table}")}
        kept = 0
        for rid in stale:
            if rid in touched:
                kept += 1
                continue
            for table in MACHINE_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE response_id = ?", (rid,))
            conn.execute("DELETE FROM responses WHERE id = ?", (rid,))
        # Respondents gone from the input, once none of their answers are left.
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS current_respondents (id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM current_respondents")
        conn.executemany("INSERT INTO current_respondents VALUES (?)", [(r.id,) for r in c.respondents])
        conn.execute(
            "DELETE FROM respondents WHERE id NOT IN (SELECT id FROM current_respondents)"
            " AND id NOT IN (SELECT respondent_id FROM responses)"
        )
    return kept


def write_respondents(conn: sqlite3.Connection, respondents: Any) -> None:
    """Insert or update respondents (:class:`consult.model.Respondent`)."""
    conn.executemany(
        "INSERT INTO respondents (id, type, organisation, grp, consent, attributes_json, source_row)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET type=excluded.type,"
        " organisation=excluded.organisation, grp=excluded.grp, consent=excluded.consent,"
        " attributes_json=excluded.attributes_json, source_row=excluded.source_row",
        [
            (r.id, r.type, r.organisation, r.group, None if r.consent is None else int(r.consent),
             json.dumps(r.attributes, sort_keys=True, ensure_ascii=False), r.source_row)
            for r in respondents
        ],
    )


def consultation(conn: sqlite3.Connection) -> dict[str, Any]:
    """The consultation's id, title, organisation, dates and how it ran (blank fields when nothing was loaded)."""
    row = conn.execute("SELECT * FROM consultation ORDER BY id LIMIT 1").fetchone()
    keys = ("id", "title", "organisation", "opened", "closed", "how")
    if row is None:
        return {"id": "", "title": "Consultation", "organisation": None, "opened": None, "closed": None, "how": None}
    return {k: row[k] for k in keys}


def text_questions(conn: sqlite3.Connection, question_id: str | None = None) -> list[sqlite3.Row]:
    """The open and hybrid questions (id, text, kind), in order; or just ``question_id`` if it is one."""
    return conn.execute(
        "SELECT id, text, kind FROM questions WHERE kind IN ('open', 'hybrid') AND (? IS NULL OR id = ?)"
        " ORDER BY position", (question_id, question_id)).fetchall()


def all_questions(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every question row, in order."""
    return conn.execute("SELECT * FROM questions ORDER BY position, id").fetchall()


def respondents(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every respondent (id, type, organisation, grp, consent), by id."""
    return conn.execute("SELECT id, type, organisation, grp, consent FROM respondents ORDER BY id").fetchall()


def responses(conn: sqlite3.Connection, question_id: str) -> list[sqlite3.Row]:
    """A question's responses (id, respondent_id, option, text), by id."""
    return conn.execute(
        "SELECT id, respondent_id, option, text FROM responses WHERE question_id = ? ORDER BY id", (question_id,)
    ).fetchall()


def options(conn: sqlite3.Connection, question_id: str) -> dict[int, str | None]:
    """Response id -> closed answer, for a question."""
    return {r[0]: r[1] for r in conn.execute("SELECT id, option FROM responses WHERE question_id = ?", (question_id,))}


def count_answers(conn: sqlite3.Connection, *, with_text: bool = False) -> int:
    """Responses in the workspace (with ``with_text``: those with some free text)."""
    where = " WHERE text IS NOT NULL AND TRIM(text) != ''" if with_text else ""
    return one(conn, f"SELECT COUNT(*) FROM responses{where}") or 0


def response_id(conn: sqlite3.Connection, respondent_id: str, question_id: str) -> int | None:
    """The id of a respondent's response to a question, if any."""
    return one(conn, "SELECT id FROM responses WHERE respondent_id = ? AND question_id = ?",
               (respondent_id, question_id))
