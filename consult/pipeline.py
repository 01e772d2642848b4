"""``consult analyse``: load → (dedupe → embed → themes → codebook → assign) → report, into a workspace.

Each stage reads what the stage before it wrote to ``consult.db`` and writes its
own tables in one transaction, so an interrupted run leaves every finished
stage intact and a re-run never touches what reviewers decided.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from consult import __version__
from consult.config import Config, load_config
from consult.load import load
from consult.model import Consultation
from consult.store import DB_NAME, connect, now, transaction

log = logging.getLogger("consult")

# Tables whose rows hang off a response and belong to the machine stages.
MACHINE_TABLES = ("response_dedupe", "response_themes", "theme_quotes", "suggestions")
HUMAN_TABLES = ("review_state", "human_codes", "dedupe_overrides")


@dataclass
class AnalyseResult:
    outdir: Path
    db_path: Path
    summary_path: Path
    respondents: int
    responses: int
    kept_stale: int = 0
    notes: list[str] = field(default_factory=list)


def default_outdir(cfg: Config, base: str | Path = "outputs") -> Path:
    return Path(base) / cfg.id


def ingest(conn: sqlite3.Connection, c: Consultation, cfg: Config) -> int:
    """Write the loaded consultation into the workspace; return how many stale rows were kept.

    Upserts keep response ids stable across runs. A response that vanished from
    the input is deleted only when no person has touched it.
    """
    config_json = json.dumps(
        {"path": str(cfg.path), "data_file": str(cfg.data_file), "layout": cfg.layout, "settings": cfg.settings},
        sort_keys=True,
    )
    with transaction(conn):
        conn.execute(
            "INSERT INTO consultation (id, title, organisation, opened, closed, how, config_json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title=excluded.title,"
            " organisation=excluded.organisation, opened=excluded.opened, closed=excluded.closed,"
            " how=excluded.how, config_json=excluded.config_json",
            (c.id, c.title, c.organisation, c.opened, c.closed, c.how, config_json),
        )
        conn.execute("DELETE FROM consultation WHERE id != ?", (c.id,))
        conn.executemany(
            "INSERT INTO questions (id, position, text, kind, options_json) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET position=excluded.position, text=excluded.text,"
            " kind=excluded.kind, options_json=excluded.options_json",
            [(q.id, i, q.text, q.kind, json.dumps(list(q.options))) for i, q in enumerate(c.questions)],
        )
        conn.executemany(
            "INSERT INTO respondents (id, type, organisation, grp, consent, attributes_json, source_row)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET type=excluded.type,"
            " organisation=excluded.organisation, grp=excluded.grp, consent=excluded.consent,"
            " attributes_json=excluded.attributes_json, source_row=excluded.source_row",
            [
                (r.id, r.type, r.organisation, r.group,
                 None if r.consent is None else int(r.consent),
                 json.dumps(r.attributes, sort_keys=True, ensure_ascii=False), r.source_row)
                for r in c.respondents
            ],
        )
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


Stage = Callable[[sqlite3.Connection, Config, Consultation], list[str]]


def stages() -> list[tuple[str, Stage]]:
    """The machine stages after loading, in order; each returns notes for the run log."""
    return []


def analyse(
    folder: str | Path,
    outdir: str | Path | None = None,
    *,
    progress: bool = True,
    skip: tuple[str, ...] = (),
) -> AnalyseResult:
    """Run the whole analysis of the consultation in ``folder`` into ``outdir``."""
    from consult.report import write_summary

    cfg = load_config(folder)
    consultation = load(cfg)  # all validation before anything is written
    out = Path(outdir) if outdir is not None else default_outdir(cfg)
    out.mkdir(parents=True, exist_ok=True)
    conn = connect(out / DB_NAME)
    try:
        with transaction(conn):
            run_id = conn.execute(
                "INSERT INTO runs (started, version, input_hash, settings_json) VALUES (?, ?, ?, ?)",
                (now(), __version__, consultation.input_hash, json.dumps(cfg.settings, sort_keys=True)),
            ).lastrowid
        kept = ingest(conn, consultation, cfg)
        notes: list[str] = []
        if kept:
            notes.append(f"{kept} answers no longer in the input were kept because reviewers had worked on them")
        for name, stage in stages():
            if name in skip:
                continue
            log.info("stage %s", name)
            notes += stage(conn, cfg, consultation)
        summary = write_summary(conn, out / "summary.html")
        with transaction(conn):
            conn.execute("UPDATE runs SET finished = ?, status = 'finished' WHERE id = ?", (now(), run_id))
    finally:
        conn.close()
    return AnalyseResult(
        outdir=out,
        db_path=out / DB_NAME,
        summary_path=summary,
        respondents=len(consultation.respondents),
        responses=len(consultation.responses),
        kept_stale=kept,
        notes=notes,
    )
