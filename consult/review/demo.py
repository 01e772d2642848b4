"""A synthetic, seeded workspace for tests, demos and the review benchmark, written through the
same workspace writers as ``consult analyse``."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np

from consult.codebook import Code, Codebook
from consult.dedupe import DedupeRecord, DedupeResult, DuplicateGroup
from consult.model import Consultation, Question, Respondent, Response
from consult.themes import Theme, ThemeResult
from consult.workspace import codes as ws_codes
from consult.workspace import dedupe as ws_dedupe
from consult.workspace import responses as ws_responses
from consult.workspace import themes as ws_themes
from consult.workspace.db import DB_NAME, connect, transaction

GROUPS = ("Young person", "Parent or carer", "Advocate", "Social worker", "Local authority", "Charity")
OPTIONS = ("Agree", "Disagree", "Not sure")
CODES = (
    ("opt-out-support", "Supports opt-out advocacy"),
    ("independence", "Advocates must be independent"),
    ("funding", "Worried about funding"),
    ("training", "Advocates need training"),
    ("choice", "Children should choose"),
)
PHRASES = (
    "Children don't know to ask for an advocate.",
    "Advocates must be independent of the council.",
    "There is not enough funding for this.",
    "Staff need proper training in advocacy.",
    "Young people should be able to choose.",
    "It should be automatic unless they decline.",
    "Councils will struggle to pay for it.",
    "I am not sure this will work in practice.",
)


def build_demo_workspace(
    outdir: str | Path,
    *,
    questions: int = 2,
    answers_per_question: int = 20,
    random_state: int = 0,
    texts: dict[int, str] | None = None,
) -> Path:
    """Write a workspace with codes, model suggestions, dedupe kinds and themes; return its db path.

    ``texts`` overrides the text of given response ids (ids run from 1 in question order).
    """
    rng = random.Random(random_state)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / DB_NAME
    conn = connect(path)
    try:
        _fill(conn, rng, questions, answers_per_question, texts or {})
    finally:
        conn.close()
    return path


def _fill(conn: sqlite3.Connection, rng: random.Random, n_q: int, n_a: int, texts: dict[int, str]) -> None:
    qids = [f"q{i + 1}" for i in range(n_q)]
    questions = [
        Question(q, f"Question {i + 1}: what do you think?", "hybrid" if i % 2 == 0 else "open",
                 OPTIONS if i % 2 == 0 else ())
        for i, q in enumerate(qids)
    ]
    respondents = [Respondent(f"R{j + 1}", "individual", group=rng.choice(GROUPS), consent=rng.random() < 0.7)
                   for j in range(n_a)]
    responses: list[Response] = []
    suggestions: dict[str, list[tuple[int, str, float, str]]] = {q: [] for q in qids}
    text_of: dict[int, str] = {}
    dedupe: dict[str, list[tuple[int, str, str | None]]] = {q: [] for q in qids}
    members: dict[str, list[tuple[int, int]]] = {q: [] for q in qids}
    rid = 0
    for qi, q in enumerate(qids):
        for j in range(n_a):
            rid += 1
            text = texts.get(rid) or " ".join(rng.sample(PHRASES, rng.randint(1, 3)))
            option = rng.choice(OPTIONS) if qi % 2 == 0 else None
            responses.append(Response(f"R{j + 1}", q, option, text))
            text_of[rid] = text
            for code_id, _ in rng.sample(CODES, rng.randint(1, 2)):
                suggestions[q].append((rid, code_id, round(rng.uniform(0.2, 0.99), 3), "demo-1"))
            r = rng.random()
            if r < 0.1:
                dedupe[q].append((rid, "campaign", "c1"))
            elif r < 0.15:
                dedupe[q].append((rid, "exact", f"g{j % 3}"))
            else:
                dedupe[q].append((rid, "unique", None))
            members[q].append((rid, rng.randint(-1, 2)))
    consultation = Consultation("demo", "Advocacy standards (demo)", questions, respondents, responses,
                                organisation="Department for Tests", how="Online survey")
    ws_responses.ingest(conn, consultation, {})
    book = [Code(cid, label, f"The answer says: {label.lower()}.") for cid, label in CODES]
    with transaction(conn):
        for q in qids:
            ws_codes.sync_codebook(conn, q, Codebook.from_dict({"question": q, "codes": [c.to_dict() for c in book]}))
            ws_codes.replace_suggestions(conn, q, suggestions[q])
    for q in qids:
        ws_dedupe.write_result(conn, q, _dedupe_result(dedupe[q], text_of))
        themes = [Theme(t, f"Theme {t}: {PHRASES[t][:30]}", PHRASES[t].split()[:3], [], 0.3, []) for t in range(3)]
        ws_themes.write_result(conn, q, ThemeResult(themes, np.zeros(0, dtype=int), []), [], members[q], {})


def _dedupe_result(rows: list[tuple[int, str, str | None]], text_of: dict[int, str]) -> DedupeResult:
    """Records and groups as the deduplicator reports them; a group's first member is its canonical answer."""
    records = [DedupeRecord(rid, kind, group, group if kind == "campaign" else None, 1.0, "", None)
               for rid, kind, group in rows]
    first: dict[str, list[int]] = {}
    for rid, _, group in rows:
        if group:
            first.setdefault(group, []).append(rid)
    groups = [DuplicateGroup(g, ids[0], "Standard campaign text" if g == "c1" else text_of[ids[0]], len(ids), g == "c1")
              for g, ids in first.items()]
    return DedupeResult(records, groups)
