"""The workspace schema: every table, view and index, as numbered migrations.

The schema is versioned with ``PRAGMA user_version``; ``MIGRATIONS[i]`` takes a
database from version ``i`` to ``i + 1``, each in one transaction. Which module
owns which table is in docs/architecture.md.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from consult.errors import ConsultError

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
    # 2 -> 3: one definition of an answer's final codes; caches declared here like every table.
    """
    DROP TABLE IF EXISTS stages;
    CREATE TABLE IF NOT EXISTS tuned_scores (
        key TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        proba BLOB NOT NULL,
        PRIMARY KEY (key, text_hash)
    );
    CREATE TABLE IF NOT EXISTS tuned_keys (question TEXT PRIMARY KEY, key TEXT NOT NULL);
    DROP VIEW IF EXISTS final_codes;
    -- The answers whose codes a person decided.
    CREATE VIEW decisions AS
        SELECT response_id, reviewer, at FROM review_state WHERE decided = 1;
    -- Each code -> the active code its answers now count towards: merged codes, and deleted codes
    -- whose answers were reassigned, follow merged_into; a code with no active end is dropped (no row).
    CREATE VIEW code_targets AS
        WITH RECURSIVE walk (question_id, code_id, cur, depth) AS (
            SELECT question_id, id, id, 0 FROM codes
            UNION ALL
            SELECT w.question_id, w.code_id, c.merged_into, w.depth + 1
            FROM walk w JOIN codes c ON c.question_id = w.question_id AND c.id = w.cur
            WHERE c.status != 'active' AND c.merged_into IS NOT NULL AND w.depth < 64
        )
        SELECT w.question_id, w.code_id, w.cur AS target
        FROM walk w JOIN codes c ON c.question_id = w.question_id AND c.id = w.cur AND c.status = 'active';
    -- An answer that copies another (exact, near or campaign copy) -> the group's canonical answer;
    -- own_words: a campaign member who added words of their own (a person's decision on the template is not theirs).
    CREATE VIEW answer_copies AS
        SELECT d.response_id, g.canonical_response_id AS canonical_id, d.group_id,
               (d.kind = 'campaign' AND trim(coalesce(d.personal_addition, '')) != '') AS own_words
        FROM response_dedupe d JOIN dedupe_groups g ON g.id = d.group_id
        WHERE d.kind IN ('exact', 'near', 'campaign') AND g.canonical_response_id IS NOT NULL
          AND g.canonical_response_id != d.response_id;
    -- An answer's own coding: a person's decision, else the model's suggestions.
    CREATE VIEW own_codes AS
        SELECT h.response_id, h.code_id, 1.0 AS confidence, 'person' AS source, h.reviewer AS assigned_by
        FROM human_codes h JOIN decisions d ON d.response_id = h.response_id
        UNION ALL
        SELECT s.response_id, s.code_id, s.confidence, 'model' AS source, s.model_version AS assigned_by
        FROM suggestions s WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.response_id = s.response_id);
    -- THE final codes of every answer, the one definition everything else reads:
    -- a person's decision on the answer; else, for a copy (not one with words of its own), a person's
    -- decision on the answer it copies;
    -- else the model's suggestions for the answer; else, for a copy, the codes of the answer it copies.
    -- Codes count as the active code they now map to (code_targets). `via` is the answer the codes came from.
    CREATE VIEW final_codes AS
        WITH base AS (
            SELECT r.id AS response_id, r.question_id,
                CASE
                    WHEN EXISTS (SELECT 1 FROM decisions d WHERE d.response_id = r.id) THEN r.id
                    WHEN c.canonical_id IS NOT NULL AND NOT c.own_words
                         AND EXISTS (SELECT 1 FROM decisions d WHERE d.response_id = c.canonical_id) THEN c.canonical_id
                    WHEN EXISTS (SELECT 1 FROM suggestions s WHERE s.response_id = r.id) THEN r.id
                    WHEN c.canonical_id IS NOT NULL THEN c.canonical_id
                    ELSE r.id
                END AS via
            FROM responses r LEFT JOIN answer_copies c ON c.response_id = r.id
        )
        SELECT b.response_id, b.question_id, t.target AS code_id, MAX(o.confidence) AS confidence,
               MIN(o.source) AS source, MIN(o.assigned_by) AS assigned_by, b.via
        FROM base b JOIN own_codes o ON o.response_id = b.via
        JOIN code_targets t ON t.question_id = b.question_id AND t.code_id = o.code_id
        GROUP BY b.response_id, b.question_id, t.target, b.via;
    """,
    # 3 -> 4: facts about the workspace itself (e.g. the secret that signs exported spreadsheets).
    """
    CREATE TABLE workspace_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 4 -> 5: answers that left the input are withdrawn, not deleted, when people worked on them; every
    # human decision records the hash of the text it was made on; runs record who runs them.
    """
    ALTER TABLE responses ADD COLUMN text_hash TEXT NOT NULL DEFAULT '';
    -- When the answer left the input (NULL: it is in the input). Withdrawn answers keep their
    -- review history but are never counted, quoted or exported.
    ALTER TABLE responses ADD COLUMN withdrawn TEXT;
    ALTER TABLE respondents ADD COLUMN withdrawn TEXT;
    ALTER TABLE review_state ADD COLUMN text_hash TEXT;
    ALTER TABLE dedupe_overrides ADD COLUMN text_hash TEXT;
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE runs ADD COLUMN host TEXT;
    ALTER TABLE runs ADD COLUMN log_json TEXT NOT NULL DEFAULT '[]';
    UPDATE responses SET text_hash = text_sha256(text);
    -- Decisions made before hashes were kept are taken to be on the text the workspace holds.
    UPDATE review_state SET text_hash = (SELECT r.text_hash FROM responses r WHERE r.id = review_state.response_id);
    UPDATE dedupe_overrides SET text_hash = (SELECT r.text_hash FROM responses r WHERE r.id = dedupe_overrides.response_id);
    CREATE INDEX responses_withdrawn ON responses(withdrawn) WHERE withdrawn IS NOT NULL;
    -- People's work on an answer counts while its text is what they saw: a review state made on
    -- other text is stale (the answer goes back to the queue, its redactions and quote flag wait).
    CREATE VIEW current_review AS
        SELECT s.* FROM review_state s JOIN responses r ON r.id = s.response_id WHERE s.text_hash IS r.text_hash;
    -- A decision counts while the answer is in the input and its text is what the person saw.
    DROP VIEW decisions;
    CREATE VIEW decisions AS
        SELECT s.response_id, s.reviewer, s.at FROM current_review s JOIN responses r ON r.id = s.response_id
        WHERE s.decided = 1 AND r.withdrawn IS NULL;
    DROP VIEW final_codes;
    CREATE VIEW final_codes AS
        WITH base AS (
            SELECT r.id AS response_id, r.question_id,
                CASE
                    WHEN EXISTS (SELECT 1 FROM decisions d WHERE d.response_id = r.id) THEN r.id
                    WHEN c.canonical_id IS NOT NULL AND NOT c.own_words
                         AND EXISTS (SELECT 1 FROM decisions d WHERE d.response_id = c.canonical_id) THEN c.canonical_id
                    WHEN EXISTS (SELECT 1 FROM suggestions s WHERE s.response_id = r.id) THEN r.id
                    WHEN c.canonical_id IS NOT NULL THEN c.canonical_id
                    ELSE r.id
                END AS via
            FROM responses r LEFT JOIN answer_copies c ON c.response_id = r.id
            WHERE r.withdrawn IS NULL
        )
        SELECT b.response_id, b.question_id, t.target AS code_id, MAX(o.confidence) AS confidence,
               MIN(o.source) AS source, MIN(o.assigned_by) AS assigned_by, b.via
        FROM base b JOIN own_codes o ON o.response_id = b.via
        JOIN code_targets t ON t.question_id = b.question_id AND t.code_id = o.code_id
        GROUP BY b.response_id, b.question_id, t.target, b.via;
    """,
    # 5 -> 6: the quality check: a random sample of model-coded answers that people code blind, and
    # the estimates made from it, per run.
    """
    CREATE TABLE quality_samples (
        question_id TEXT NOT NULL REFERENCES questions(id),
        response_id INTEGER NOT NULL REFERENCES responses(id),
        position INTEGER NOT NULL,  -- the order reviewers check them in (any first part is a random sample)
        census INTEGER NOT NULL DEFAULT 0,  -- taken with certainty (a campaign's answer), not drawn at random
        weight REAL NOT NULL DEFAULT 1,  -- the respondents' answers it stands for
        drawn TEXT NOT NULL,
        checked TEXT,  -- when a person coded it blind (without seeing the model's codes), and who
        checked_by TEXT,
        PRIMARY KEY (question_id, response_id)
    );
    CREATE INDEX quality_samples_response ON quality_samples(response_id);
    CREATE TABLE quality_estimates (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        question_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('draft', 'checked')),
        figures_json TEXT NOT NULL,
        PRIMARY KEY (run_id, question_id)
    );
    """,
    # 6 -> 7: a theme's one-sentence description (for reviewers and codebook drafts; not published).
    """
    ALTER TABLE themes ADD COLUMN description TEXT NOT NULL DEFAULT '';
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Apply any migrations the database has not had yet, each in its own transaction."""
    from consult.workspace.db import transaction

    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
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
