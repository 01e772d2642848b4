"""The workspace codebook (``codes``), the model's suggestions (``suggestions``) and THE final codes.

An answer's final codes are defined once, by the ``final_codes`` view (see
consult/workspace/schema.py): a person's decision on the answer; else, for a
copy, a person's decision on the answer it copies; else the model's
suggestions; codes counted as the active code they now map to after merges and
deletions. The review app, the summary, the spreadsheet export and
``consult evaluate`` all read it through the functions here.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from consult.errors import ConsultError
from consult.workspace.db import select_in


def codes(
    conn: sqlite3.Connection, question_id: str, *, include_inactive: bool = False, builtin_last: bool = True
) -> list[dict[str, Any]]:
    """The workspace codebook of a question in codebook order (built-in codes last, unless not ``builtin_last``)."""
    where = "" if include_inactive else " AND status = 'active'"
    order = "builtin, position, id" if builtin_last else "position, id"
    return [dict(r) for r in conn.execute(
        f"SELECT * FROM codes WHERE question_id = ?{where} ORDER BY {order}", (question_id,))]


def code(conn: sqlite3.Connection, question_id: str, code_id: str) -> dict[str, Any]:
    """One code of a question; a ConsultError when there is none."""
    row = conn.execute("SELECT * FROM codes WHERE question_id = ? AND id = ?", (question_id, code_id)).fetchone()
    if row is None:
        raise ConsultError(f"question {question_id} has no code {code_id!r}")
    return dict(row)


def active_code_ids(conn: sqlite3.Connection, question_id: str) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT id FROM codes WHERE question_id = ? AND status = 'active'", (question_id,))}


def code_map(conn: sqlite3.Connection, question_id: str) -> dict[str, str | None]:
    """Each code id of a question -> the active code its answers now count towards (None: dropped)."""
    out: dict[str, str | None] = {r[0]: None for r in conn.execute(
        "SELECT id FROM codes WHERE question_id = ?", (question_id,))}
    for r in conn.execute("SELECT code_id, target FROM code_targets WHERE question_id = ?", (question_id,)):
        out[r[0]] = r[1]
    return out


def workspace_codes(conn: sqlite3.Connection, question_id: str) -> list:
    """The active codes of a question, as :class:`consult.codebook.Code` objects in codebook order."""
    from consult.codebook import Code

    return [
        Code(
            id=r["id"], label=r["label"], description=r["description"],
            examples=tuple(json.loads(r["examples_json"])), counter_examples=tuple(json.loads(r["counter_examples_json"])),
            parent=r["parent"], colour=r["colour"], builtin=bool(r["builtin"]),
        )
        for r in conn.execute(
            "SELECT * FROM codes WHERE question_id = ? AND status = 'active' ORDER BY position, id", (question_id,)
        )
    ]


def sync_codebook(conn: sqlite3.Connection, question_id: str, codebook: Iterable[Any]) -> None:
    """Bring the workspace codes in line with the codebook file; codes reviewers edited win."""
    existing = {r["id"]: r for r in conn.execute("SELECT * FROM codes WHERE question_id = ?", (question_id,))}
    in_file = set()
    for pos, c in enumerate(codebook):
        in_file.add(c.id)
        row = existing.get(c.id)
        if row is not None and row["source"] == "reviewer":
            continue
        values = (
            c.label, c.description, json.dumps(list(c.examples), ensure_ascii=False),
            json.dumps(list(c.counter_examples), ensure_ascii=False), c.parent, c.colour, int(c.builtin), pos,
        )
        if row is None:
            conn.execute(
                "INSERT INTO codes (question_id, id, label, description, examples_json, counter_examples_json,"
                " parent, colour, builtin, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (question_id, c.id, *values),
            )
        else:
            conn.execute(
                "UPDATE codes SET label=?, description=?, examples_json=?, counter_examples_json=?, parent=?,"
                " colour=?, builtin=?, position=?, status='active' WHERE question_id=? AND id=?",
                (*values, question_id, c.id),
            )
    for cid, row in existing.items():
        if cid not in in_file and row["source"] == "file" and row["status"] == "active":
            conn.execute("UPDATE codes SET status='deleted' WHERE question_id=? AND id=?", (question_id, cid))


# --------------------------------------------------------------------------- suggestions


def replace_suggestions(conn: sqlite3.Connection, question_id: str, rows: Iterable[tuple[int, str, float, str]]) -> None:
    """The model's suggestions for a question's answers, replacing the last run's: (response, code, confidence, model)."""
    conn.execute(
        "DELETE FROM suggestions WHERE response_id IN (SELECT id FROM responses WHERE question_id = ?)", (question_id,))
    conn.executemany(
        "INSERT INTO suggestions (response_id, code_id, confidence, model_version) VALUES (?, ?, ?, ?)", rows)


def suggestions(conn: sqlite3.Connection, response_id: int) -> list[dict[str, Any]]:
    """The model's suggestions for one answer, most confident first."""
    return [dict(r) for r in conn.execute(
        "SELECT code_id, confidence, model_version FROM suggestions WHERE response_id = ?"
        " ORDER BY confidence DESC, code_id", (response_id,))]


def suggestions_of(conn: sqlite3.Connection, response_ids: Sequence[int]) -> list[tuple[int, str, float]]:
    """(response id, code id, confidence) of the model's suggestions for many answers."""
    return [(r[0], r[1], r[2]) for r in select_in(
        conn, "SELECT response_id, code_id, confidence FROM suggestions WHERE response_id IN ({marks})",
        list(response_ids))]


def model_codes(conn: sqlite3.Connection, response_ids: Sequence[int]) -> dict[int, set[str]]:
    """The model's own codes of these answers (whatever people decided), as the active codes they map to."""
    out: dict[int, set[str]] = {int(r): set() for r in response_ids}
    for r in select_in(
        conn, "SELECT s.response_id, t.target FROM suggestions s JOIN responses r ON r.id = s.response_id"
        " JOIN code_targets t ON t.question_id = r.question_id AND t.code_id = s.code_id"
        " WHERE s.response_id IN ({marks})", list(out)):
        out[r[0]].add(r[1])
    return out


def person_codes(conn: sqlite3.Connection, response_ids: Sequence[int]) -> dict[int, set[str]]:
    """A person's current decision on each of these answers that has one, as the active codes they map to."""
    out: dict[int, set[str]] = {}
    for r in select_in(
        conn, "SELECT d.response_id, t.target FROM decisions d JOIN responses r ON r.id = d.response_id"
        " LEFT JOIN human_codes h ON h.response_id = d.response_id"
        " LEFT JOIN code_targets t ON t.question_id = r.question_id AND t.code_id = h.code_id"
        " WHERE d.response_id IN ({marks})", list(response_ids)):
        codes = out.setdefault(r[0], set())
        if r[1] is not None:
            codes.add(r[1])
    return out


def coder_versions(conn: sqlite3.Connection) -> list[str]:
    """The model versions that made the suggestions in the workspace."""
    return [r[0] for r in conn.execute("SELECT DISTINCT model_version FROM suggestions ORDER BY model_version")]


# --------------------------------------------------------------------------- final codes


def final_codes(
    conn: sqlite3.Connection, *, question_id: str | None = None, response_ids: Sequence[int] | None = None,
    confirmed: bool = False,
) -> dict[int, dict[str, float]]:
    """Final codes (code -> confidence) of the answers of a question, or of the given answers.

    With ``confirmed``, only codes a person decided (on the answer, or on the answer it copies).
    Answers with no final code are left out.
    """
    out: dict[int, dict[str, float]] = defaultdict(dict)
    for r in _final_rows(conn, question_id, response_ids):
        if not confirmed or r["source"] == "person":
            out[r["response_id"]][r["code_id"]] = float(r["confidence"])
    return dict(out)


def final_code_sources(conn: sqlite3.Connection, response_id: int) -> dict[str, Any] | None:
    """Where an answer's final codes come from: ``source`` ('person' or 'model'), ``by`` and ``via``
    (the answer they were decided on: another answer's id when inherited from the answer it copies)."""
    row = conn.execute(
        "SELECT source, assigned_by, via FROM final_codes WHERE response_id = ? LIMIT 1", (response_id,)).fetchone()
    return None if row is None else {"source": row[0], "by": row[1], "via": row[2]}


def _final_rows(conn: sqlite3.Connection, question_id: str | None, response_ids: Sequence[int] | None):
    cols = "SELECT response_id, code_id, confidence, source FROM final_codes"
    if response_ids is not None:
        return list(select_in(conn, cols + " WHERE response_id IN ({marks}) ORDER BY response_id, code_id",
                              list(response_ids)))
    if question_id is not None:
        return conn.execute(cols + " WHERE question_id = ? ORDER BY response_id, code_id", (question_id,)).fetchall()
    return conn.execute(cols + " ORDER BY response_id, code_id").fetchall()


def code_counts(conn: sqlite3.Connection, question_id: str) -> dict[str, dict[str, int]]:
    """Per code: answers finally coded with it (``final``), of which by a person's decision (``human``)."""
    out: dict[str, dict[str, int]] = {}
    for r in conn.execute(
        "SELECT code_id, COUNT(*) AS n, SUM(source = 'person') AS human FROM final_codes"
        " WHERE question_id = ? GROUP BY code_id", (question_id,)
    ):
        out[r["code_id"]] = {"final": r["n"], "human": r["human"] or 0}
    return out


def codings_by_respondent(conn: sqlite3.Connection) -> dict[str, frozenset[str]]:
    """Each text answer's final codes, keyed RESPONDENT:QUESTION (for ``consult evaluate``)."""
    finals = final_codes(conn)
    out: dict[str, frozenset[str]] = {}
    for r in conn.execute(
        "SELECT id, respondent_id, question_id FROM responses WHERE text IS NOT NULL AND withdrawn IS NULL"):
        out[f"{r['respondent_id']}:{r['question_id']}"] = frozenset(finals.get(r["id"], ()))
    return out
