"""Candidate themes (``themes``, ``theme_quotes``, ``response_themes``), rewritten by each run."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from consult.workspace.db import transaction
from consult.workspace.runs import set_note


def write_result(
    conn: sqlite3.Connection,
    question_id: str,
    result: Any,
    quote_ids: Sequence[int],
    members: Iterable[tuple[int, int]],
    split: Mapping[int, dict],
) -> None:
    """Replace a question's themes with a :class:`consult.themes.ThemeResult`, in one transaction.

    ``quote_ids[i]`` is the response a theme quote ``i`` (an index into the analysed texts) stands for;
    ``members`` are (response id, theme id) pairs; ``split`` the closed-answer split per theme.
    """
    with transaction(conn):
        conn.execute("DELETE FROM response_themes WHERE question_id = ?", (question_id,))
        conn.execute("DELETE FROM theme_quotes WHERE question_id = ?", (question_id,))
        conn.execute("DELETE FROM themes WHERE question_id = ?", (question_id,))
        for t in result.themes:
            conn.execute(
                "INSERT INTO themes (question_id, theme_id, label, terms_json, size, split_json, description)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (question_id, t.id, t.label, json.dumps(t.terms), float(t.size),
                 json.dumps(split.get(t.id, {}), sort_keys=True), t.description),
            )
            conn.executemany(
                "INSERT INTO theme_quotes (question_id, theme_id, response_id, rank) VALUES (?, ?, ?, ?)",
                [(question_id, t.id, quote_ids[i], rank) for rank, i in enumerate(t.quotes)],
            )
        conn.executemany(
            "INSERT OR REPLACE INTO response_themes (response_id, question_id, theme_id) VALUES (?, ?, ?)",
            [(rid, question_id, int(theme)) for rid, theme in members],
        )
        set_note(conn, question_id, "themes", result.note)


def themes(conn: sqlite3.Connection, question_id: str) -> list[sqlite3.Row]:
    """A question's themes (theme_id, label, terms_json, size, split_json), unclustered last, then largest first."""
    return conn.execute(
        "SELECT * FROM themes WHERE question_id = ? ORDER BY theme_id = -1, size DESC, theme_id", (question_id,)
    ).fetchall()


def theme_quotes(conn: sqlite3.Connection, question_id: str, theme_id: int) -> list[sqlite3.Row]:
    """A theme's representative answers (response_id, respondent_id, text), best first."""
    return conn.execute(
        "SELECT tq.response_id, r.respondent_id, r.text FROM theme_quotes tq JOIN responses r ON r.id = tq.response_id"
        " WHERE tq.question_id = ? AND tq.theme_id = ? ORDER BY tq.rank, tq.response_id", (question_id, theme_id)
    ).fetchall()


def memberships(conn: sqlite3.Connection, question_id: str) -> dict[int, int]:
    """Each answer's theme (-1: unclustered), for a question."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT response_id, theme_id FROM response_themes WHERE question_id = ?", (question_id,))}


def unclustered(conn: sqlite3.Connection, question_id: str) -> int:
    """Answers of a question not grouped into any theme."""
    return conn.execute(
        "SELECT COUNT(*) FROM response_themes WHERE question_id = ? AND theme_id = -1", (question_id,)
    ).fetchone()[0]


def theme_counts(conn: sqlite3.Connection, question_id: str) -> list[dict[str, Any]]:
    """Themes of a question with the number of answers in each, most answers first (for the review app)."""
    rows = conn.execute(
        "SELECT t.theme_id, t.label, t.description, t.terms_json, t.size,"
        " (SELECT COUNT(*) FROM response_themes rt WHERE rt.question_id = t.question_id"
        "  AND rt.theme_id = t.theme_id) AS n"
        " FROM themes t WHERE t.question_id = ? ORDER BY n DESC, t.theme_id",
        (question_id,),
    ).fetchall()
    return [dict(r, terms=json.loads(r["terms_json"] or "[]")) for r in rows]
