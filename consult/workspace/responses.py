"""What was loaded: the consultation, its questions, respondents and their responses.

:func:`ingest` writes a loaded :class:`consult.model.Consultation`; response ids
stay stable across runs (upserts on respondent and question).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from consult.workspace.db import now, one, text_hash, transaction
from consult.workspace.events import log_event

# Tables whose rows hang off a response and belong to the machine stages, and those holding human work.
MACHINE_TABLES = ("response_dedupe", "response_themes", "theme_quotes", "suggestions", "quality_samples")
HUMAN_TABLES = ("review_state", "human_codes", "dedupe_overrides")
INGEST_CHUNK = 20_000  # answers written per statement batch (progress is shown between batches)


@dataclass
class IngestResult:
    """What changed in the workspace's answers: ``withdrawn`` answers (and respondents) left the input
    but people had worked on them, so they are kept for the audit and left out of everything else."""

    withdrawn_answers: int = 0
    withdrawn_respondents: int = 0
    newly_withdrawn: int = 0
    returned: int = 0
    deleted: int = 0


def ingest(conn: sqlite3.Connection, c: Any, config: dict[str, Any], *, progress: Any = None) -> IngestResult:
    """Write the loaded consultation ``c``; answers gone from the input are deleted or withdrawn.

    An answer that left the input is deleted when no person has touched it, and withdrawn
    otherwise; one that comes back is current again, with its history. Duplicate groups
    whose canonical answer left are re-centred on a remaining member.
    """
    out = IngestResult()
    stamp = now()
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
        out.returned = conn.execute(
            "SELECT COUNT(*) FROM responses WHERE withdrawn IS NOT NULL").fetchone()[0]
        bar = progress.bar("save answers", len(c.responses)) if progress is not None else None
        for lo in range(0, len(c.responses), INGEST_CHUNK):
            part = c.responses[lo:lo + INGEST_CHUNK]
            conn.executemany(
                "INSERT INTO responses (respondent_id, question_id, option, text, text_hash) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(respondent_id, question_id) DO UPDATE SET option=excluded.option, text=excluded.text,"
                " text_hash=excluded.text_hash, withdrawn=NULL",
                [(r.respondent_id, r.question_id, r.option, r.text, text_hash(r.text)) for r in part],
            )
            if bar is not None:
                bar.update(len(part))
        if bar is not None:
            bar.close()
        out.returned -= conn.execute("SELECT COUNT(*) FROM responses WHERE withdrawn IS NOT NULL").fetchone()[0]
        # Answers that are no longer in the input.
        keep = {(r.respondent_id, r.question_id) for r in c.responses}
        gone = [row["id"] for row in conn.execute("SELECT id, respondent_id, question_id FROM responses")
                if (row["respondent_id"], row["question_id"]) not in keep]
        touched: set[int] = set()
        for table in HUMAN_TABLES:
            touched |= {r[0] for r in conn.execute(f"SELECT response_id FROM {table}")}
        for rid in gone:
            for table in MACHINE_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE response_id = ?", (rid,))
        _recentre_groups(conn)
        for rid in gone:
            if rid in touched:
                out.newly_withdrawn += conn.execute(
                    "UPDATE responses SET withdrawn = ? WHERE id = ? AND withdrawn IS NULL", (stamp, rid)).rowcount
            else:
                conn.execute("DELETE FROM responses WHERE id = ?", (rid,))
                out.deleted += 1
        # Respondents gone from the input: deleted once none of their answers are left, else withdrawn.
        present = {r.id for r in c.respondents}
        for (pid,) in conn.execute("SELECT id FROM respondents").fetchall():
            if pid in present:
                continue
            if conn.execute("SELECT 1 FROM responses WHERE respondent_id = ?", (pid,)).fetchone():
                conn.execute("UPDATE respondents SET withdrawn = coalesce(withdrawn, ?) WHERE id = ?", (stamp, pid))
            else:
                conn.execute("DELETE FROM respondents WHERE id = ?", (pid,))
        out.withdrawn_answers, out.withdrawn_respondents = withdrawn_counts(conn)
    return out


def _recentre_groups(conn: sqlite3.Connection) -> None:
    """Groups whose canonical answer lost its dedupe row point at their smallest remaining member."""
    conn.execute(
        "UPDATE dedupe_groups SET canonical_response_id = (SELECT MIN(d.response_id) FROM response_dedupe d"
        " WHERE d.group_id = dedupe_groups.id) WHERE canonical_response_id IS NOT NULL AND NOT EXISTS"
        " (SELECT 1 FROM response_dedupe d WHERE d.response_id = dedupe_groups.canonical_response_id"
        " AND d.group_id = dedupe_groups.id)"
    )


def withdrawn_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(answers, respondents) withdrawn from the input but kept for the audit."""
    return (conn.execute("SELECT COUNT(*) FROM responses WHERE withdrawn IS NOT NULL").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM respondents WHERE withdrawn IS NOT NULL").fetchone()[0])


def purge_withdrawn(conn: sqlite3.Connection, reviewer: str) -> dict[str, int]:
    """Delete withdrawn answers and respondents for good, with their review state (one audited change)."""
    from consult.workspace.answers import check_reviewer

    reviewer = check_reviewer(reviewer)
    with transaction(conn):
        ids = [r[0] for r in conn.execute("SELECT id FROM responses WHERE withdrawn IS NOT NULL ORDER BY id")]
        people = [r[0] for r in conn.execute("SELECT id FROM respondents WHERE withdrawn IS NOT NULL ORDER BY id")]
        if not ids and not people:
            return {"answers": 0, "respondents": 0}
        for table in (*HUMAN_TABLES, *MACHINE_TABLES):
            conn.execute(f"DELETE FROM {table} WHERE response_id IN (SELECT id FROM responses WHERE withdrawn IS NOT NULL)")
        conn.execute("DELETE FROM responses WHERE withdrawn IS NOT NULL")
        conn.execute("DELETE FROM respondents WHERE withdrawn IS NOT NULL"
                     " AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.respondent_id = respondents.id)")
        log_event(conn, reviewer, "withdrawn", "all", "purge", {"answers": ids, "respondents": people}, None)
    return {"answers": len(ids), "respondents": len(people)}


def write_respondents(conn: sqlite3.Connection, respondents: Any) -> None:
    """Insert or update respondents (:class:`consult.model.Respondent`)."""
    conn.executemany(
        "INSERT INTO respondents (id, type, organisation, grp, consent, attributes_json, source_row)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET type=excluded.type,"
        " organisation=excluded.organisation, grp=excluded.grp, consent=excluded.consent,"
        " attributes_json=excluded.attributes_json, source_row=excluded.source_row, withdrawn=NULL",
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
    """Every respondent in the input (id, type, organisation, grp, consent), by id."""
    return conn.execute(
        "SELECT id, type, organisation, grp, consent FROM respondents WHERE withdrawn IS NULL ORDER BY id").fetchall()


def responses(conn: sqlite3.Connection, question_id: str) -> list[sqlite3.Row]:
    """A question's responses in the input (id, respondent_id, option, text), by id."""
    return conn.execute(
        "SELECT id, respondent_id, option, text FROM responses WHERE question_id = ? AND withdrawn IS NULL ORDER BY id",
        (question_id,)
    ).fetchall()


def options(conn: sqlite3.Connection, question_id: str) -> dict[int, str | None]:
    """Response id -> closed answer, for a question."""
    return {r[0]: r[1] for r in conn.execute(
        "SELECT id, option FROM responses WHERE question_id = ? AND withdrawn IS NULL", (question_id,))}


def count_answers(conn: sqlite3.Connection, *, with_text: bool = False, questions: list[str] | None = None) -> int:
    """Responses in the input (with ``with_text``: those with some free text; of ``questions``, if given)."""
    where = " AND text IS NOT NULL AND TRIM(text) != ''" if with_text else ""
    if questions is not None:
        where += f" AND question_id IN ({','.join('?' * len(questions))})"
    return one(conn, f"SELECT COUNT(*) FROM responses WHERE withdrawn IS NULL{where}", questions or ()) or 0


def response_id(conn: sqlite3.Connection, respondent_id: str, question_id: str) -> int | None:
    """The id of a respondent's response to a question, if any."""
    return one(conn, "SELECT id FROM responses WHERE respondent_id = ? AND question_id = ?",
               (respondent_id, question_id))
