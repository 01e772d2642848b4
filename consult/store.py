"""The workspace: one SQLite file, ``consult.db``, the source of truth for a consultation.

Machine stages (load, dedupe, embed, themes, assign) rewrite their own tables on
each run. Human decisions (codes, reviewed flags, quote flags, redactions,
campaign decisions, codebook edits) live in tables that the machine stages
never overwrite, and every human change is an event in ``events``.

The schema is versioned with ``PRAGMA user_version``; ``MIGRATIONS[i]`` takes a
database from version ``i`` to ``i + 1``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

DB_NAME = "consult.db"

MIGRATIONS: list[str] = [
    # 0 -> 1: the whole first schema.
    """
    CREATE TABLE consultation (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        organisation TEXT,
        opened TEXT,
        closed TEXT,
        how TEXT,
        config_json TEXT NOT NULL
    );
    CREATE TABLE questions (
        id TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('closed', 'open', 'hybrid')),
        options_json TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE respondents (
        id TEXT PRIMARY KEY,
        type TEXT,
        organisation TEXT,
        grp TEXT,
        consent INTEGER,
        attributes_json TEXT NOT NULL DEFAULT '{}',
        source_row INTEGER
    );
    -- One row per respondent x question that has a closed option or some text.
    CREATE TABLE responses (
        id INTEGER PRIMARY KEY,
        respondent_id TEXT NOT NULL REFERENCES respondents(id),
        question_id TEXT NOT NULL REFERENCES questions(id),
        option TEXT,
        text TEXT,
        UNIQUE (respondent_id, question_id)
    );
    CREATE INDEX responses_question ON responses(question_id);
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,
        finished TEXT,
        version TEXT NOT NULL,
        input_hash TEXT,
        settings_json TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL DEFAULT 'running'
    );
    -- Stage bookkeeping: which stage last finished, with which settings and input.
    CREATE TABLE stages (
        name TEXT PRIMARY KEY,
        finished TEXT NOT NULL,
        fingerprint TEXT NOT NULL
    );

    -- Deduplication (machine; rewritten each run).
    CREATE TABLE campaigns (
        id TEXT PRIMARY KEY,
        question_id TEXT NOT NULL REFERENCES questions(id),
        template TEXT NOT NULL,
        size INTEGER NOT NULL
    );
    CREATE TABLE dedupe_groups (
        id TEXT PRIMARY KEY,
        question_id TEXT NOT NULL REFERENCES questions(id),
        canonical_response_id INTEGER REFERENCES responses(id),
        canonical_text TEXT NOT NULL,
        size INTEGER NOT NULL,
        campaign_id TEXT REFERENCES campaigns(id)
    );
    CREATE TABLE response_dedupe (
        response_id INTEGER PRIMARY KEY REFERENCES responses(id),
        kind TEXT NOT NULL CHECK (kind IN ('unique', 'exact', 'near', 'campaign', 'non-substantive')),
        group_id TEXT,
        campaign_id TEXT,
        similarity REAL,
        personal_addition TEXT,
        reason TEXT
    );
    CREATE INDEX response_dedupe_group ON response_dedupe(group_id);
    -- Human decisions about duplicates: 'not-duplicate' or 'group:<group id>'.
    CREATE TABLE dedupe_overrides (
        response_id INTEGER PRIMARY KEY REFERENCES responses(id),
        decision TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        at TEXT NOT NULL
    );

    -- Embedding cache, keyed by model and text hash (see consult.embed).
    CREATE TABLE IF NOT EXISTS embeddings (
        model TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        dim INTEGER NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (model, text_hash)
    );

    -- Themes (machine; rewritten each run).
    CREATE TABLE themes (
        question_id TEXT NOT NULL REFERENCES questions(id),
        theme_id INTEGER NOT NULL,
        label TEXT NOT NULL,
        terms_json TEXT NOT NULL,
        size REAL NOT NULL,
        split_json TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (question_id, theme_id)
    );
    CREATE TABLE theme_quotes (
        question_id TEXT NOT NULL,
        theme_id INTEGER NOT NULL,
        response_id INTEGER NOT NULL REFERENCES responses(id),
        rank INTEGER NOT NULL,
        PRIMARY KEY (question_id, theme_id, rank)
    );
    -- theme_id -1 = unclustered.
    CREATE TABLE response_themes (
        response_id INTEGER PRIMARY KEY REFERENCES responses(id),
        question_id TEXT NOT NULL,
        theme_id INTEGER NOT NULL
    );
    CREATE TABLE question_notes (
        question_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (question_id, stage)
    );

    -- The workspace codebook: loaded from codebook/<consultation>/<question>.yaml,
    -- then edited by reviewers (source = 'reviewer' rows are never overwritten by a re-run).
    CREATE TABLE codes (
        question_id TEXT NOT NULL REFERENCES questions(id),
        id TEXT NOT NULL,
        label TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        examples_json TEXT NOT NULL DEFAULT '[]',
        counter_examples_json TEXT NOT NULL DEFAULT '[]',
        parent TEXT,
        colour TEXT,
        builtin INTEGER NOT NULL DEFAULT 0,
        position INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted', 'merged')),
        merged_into TEXT,
        source TEXT NOT NULL DEFAULT 'file' CHECK (source IN ('file', 'reviewer')),
        version INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (question_id, id)
    );
    -- What the model suggests (machine; rewritten each run, kept beside human decisions).
    CREATE TABLE suggestions (
        response_id INTEGER NOT NULL REFERENCES responses(id),
        code_id TEXT NOT NULL,
        confidence REAL NOT NULL,
        model_version TEXT NOT NULL,
        PRIMARY KEY (response_id, code_id)
    );
    -- Human state of an answer. decided = 1: human_codes is the answer's coding.
    CREATE TABLE review_state (
        response_id INTEGER PRIMARY KEY REFERENCES responses(id),
        decided INTEGER NOT NULL DEFAULT 0,
        reviewed INTEGER NOT NULL DEFAULT 0,
        quote INTEGER NOT NULL DEFAULT 0,
        redactions_json TEXT NOT NULL DEFAULT '[]',
        reviewer TEXT,
        at TEXT,
        version INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE human_codes (
        response_id INTEGER NOT NULL REFERENCES responses(id),
        code_id TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (response_id, code_id)
    );
    -- The audit trail: every human change, with what was there before and after.
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        action TEXT NOT NULL,
        before_json TEXT,
        after_json TEXT
    );
    CREATE INDEX events_entity ON events(entity, entity_id);
    -- Agreement figures from `consult evaluate`, shown in the method annex.
    CREATE TABLE evaluations (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        gold_file TEXT NOT NULL,
        figures_json TEXT NOT NULL
    );

    -- The codes an answer finally has: the human's where a person decided, else the model's.
    CREATE VIEW final_codes AS
        SELECT h.response_id, h.code_id, 1.0 AS confidence, h.reviewer AS assigned_by
        FROM human_codes h JOIN review_state r ON r.response_id = h.response_id AND r.decided = 1
        UNION ALL
        SELECT s.response_id, s.code_id, s.confidence, 'model ' || s.model_version AS assigned_by
        FROM suggestions s
        WHERE NOT EXISTS (SELECT 1 FROM review_state r WHERE r.response_id = s.response_id AND r.decided = 1);
    """,
    # 1 -> 2: indexes for the review app's filtered lists and the audit page.
    """
    CREATE INDEX IF NOT EXISTS suggestions_code ON suggestions(code_id);
    CREATE INDEX IF NOT EXISTS human_codes_code ON human_codes(code_id);
    CREATE INDEX IF NOT EXISTS response_dedupe_campaign ON response_dedupe(campaign_id);
    CREATE INDEX IF NOT EXISTS events_reviewer ON events(reviewer);
    CREATE INDEX IF NOT EXISTS respondents_grp ON respondents(grp);
    CREATE INDEX IF NOT EXISTS response_themes_theme ON response_themes(question_id, theme_id);
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)

# The decisions of dedupe_overrides: take an answer out of every group, or put it in one.
NOT_DUPLICATE = "not-duplicate"
GROUP_PREFIX = "group:"


def override_target(decision: str, question_id: str) -> str:
    """What a dedupe_overrides decision asks of the deduplicator: ``NOT_DUPLICATE``, or a group id
    as the deduplicator names it (stored group ids carry the question, ``q1:dup-...``; its own do not)."""
    return decision.removeprefix(GROUP_PREFIX).removeprefix(f"{question_id}:")


def now() -> str:
    """The current UTC time as an ISO 8601 string (seconds)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) a workspace database and bring its schema up to date."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    migrate(conn)
    return conn


def open_workspace(outdir: str | Path) -> sqlite3.Connection:
    """Open the ``consult.db`` of an existing output folder (no creation)."""
    from consult.errors import ConsultError

    path = Path(outdir) / DB_NAME
    if not path.is_file():
        raise ConsultError("no workspace here; run `consult analyse` first", file=path)
    return connect(path)


def migrate(conn: sqlite3.Connection) -> None:
    """Apply any migrations the database has not had yet, each in its own transaction."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        from consult.errors import ConsultError

        raise ConsultError(
            f"workspace schema version {version} is newer than this consult ({SCHEMA_VERSION}); upgrade consult"
        )
    for target in range(version, SCHEMA_VERSION):
        with transaction(conn):
            for statement in _statements(MIGRATIONS[target]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target + 1}")


def _statements(script: str) -> Iterator[str]:
    buf = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            yield buf.strip()
            buf = ""
    if buf.strip():
        yield buf.strip()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write: everything inside commits together or not at all."""
    if conn.in_transaction:  # nested: join the outer transaction
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def log_event(
    conn: sqlite3.Connection,
    reviewer: str,
    entity: str,
    entity_id: str | int,
    action: str,
    before: Any,
    after: Any,
) -> None:
    """Record a human change in the audit trail (call inside the change's transaction)."""
    conn.execute(
        "INSERT INTO events (at, reviewer, entity, entity_id, action, before_json, after_json)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            now(),
            reviewer,
            entity,
            str(entity_id),
            action,
            json.dumps(before, sort_keys=True, ensure_ascii=False),
            json.dumps(after, sort_keys=True, ensure_ascii=False),
        ),
    )


SQL_VARS = 500  # bound parameters per statement, well under SQLite's limit


def select_in(
    conn: sqlite3.Connection, sql: str, values: Sequence[Any], before: Sequence[Any] = ()
) -> Iterator[sqlite3.Row]:
    """The rows of ``sql`` for all ``values``, run in chunks small enough to bind.

    ``sql`` holds ``{marks}`` where a chunk's ``?, ?, ...`` go (as in ``IN ({marks})``);
    ``before`` are parameters bound ahead of each chunk's values.
    """
    values = list(values)
    for lo in range(0, len(values), SQL_VARS):
        part = values[lo : lo + SQL_VARS]
        yield from conn.execute(sql.replace("{marks}", ",".join("?" * len(part))), [*before, *part])
