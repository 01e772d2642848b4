"""A synthetic, seeded workspace for tests, demos and the review benchmark."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

from consult.store import DB_NAME, connect, transaction

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
    with transaction(conn):
        conn.execute(
            "INSERT INTO consultation (id, title, organisation, how, config_json) VALUES (?, ?, ?, ?, ?)",
            ("demo", "Advocacy standards (demo)", "Department for Tests", "Online survey", "{}"),
        )
        qids = [f"q{i + 1}" for i in range(n_q)]
        conn.executemany(
            "INSERT INTO questions (id, position, text, kind, options_json) VALUES (?, ?, ?, ?, ?)",
            [
                (q, i, f"Question {i + 1}: what do you think?", "hybrid" if i % 2 == 0 else "open",
                 json.dumps(list(OPTIONS)) if i % 2 == 0 else "[]")
                for i, q in enumerate(qids)
            ],
        )
        conn.executemany(
            "INSERT INTO respondents (id, type, grp, consent) VALUES (?, ?, ?, ?)",
            [(f"R{j + 1}", "individual", rng.choice(GROUPS), rng.random() < 0.7) for j in range(n_a)],
        )
        responses, suggestions, dedupe, rthemes = [], [], [], []
        rid = 0
        for qi, q in enumerate(qids):
            for j in range(n_a):
                rid += 1
                text = texts.get(rid) or " ".join(rng.sample(PHRASES, rng.randint(1, 3)))
                option = rng.choice(OPTIONS) if qi % 2 == 0 else None
                responses.append((rid, f"R{j + 1}", q, option, text))
                for code_id, _ in rng.sample(CODES, rng.randint(1, 2)):
                    suggestions.append((rid, code_id, round(rng.uniform(0.2, 0.99), 3), "demo-1"))
                r = rng.random()
                if r < 0.1:
                    dedupe.append((rid, "campaign", f"{q}-c1", f"{q}-c1"))
                elif r < 0.15:
                    dedupe.append((rid, "exact", f"{q}-g{j % 3}", None))
                else:
                    dedupe.append((rid, "unique", None, None))
                rthemes.append((rid, q, rng.randint(-1, 2)))
        conn.executemany(
            "INSERT INTO responses (id, respondent_id, question_id, option, text) VALUES (?, ?, ?, ?, ?)",
            responses,
        )
        for q in qids:
            conn.executemany(
                "INSERT INTO codes (question_id, id, label, description, position) VALUES (?, ?, ?, ?, ?)",
                [(q, cid, label, f"The answer says: {label.lower()}.", i) for i, (cid, label) in enumerate(CODES)],
            )
            conn.executemany(
                "INSERT INTO codes (question_id, id, label, builtin, position) VALUES (?, ?, ?, 1, ?)",
                [(q, "other", "Other", 100), (q, "non-substantive", "No substantive answer", 101)],
            )
            conn.execute(
                "INSERT INTO campaigns (id, question_id, template, size) VALUES (?, ?, ?, ?)",
                (f"{q}-c1", q, "Standard campaign text", sum(1 for d in dedupe if d[3] == f"{q}-c1")),
            )
            conn.executemany(
                "INSERT INTO themes (question_id, theme_id, label, terms_json, size) VALUES (?, ?, ?, ?, ?)",
                [(q, t, f"Theme {t}: {PHRASES[t][:30]}", json.dumps(PHRASES[t].split()[:3]), 0.3) for t in range(3)],
            )
        conn.executemany("INSERT INTO suggestions VALUES (?, ?, ?, ?)", suggestions)
        conn.executemany(
            "INSERT INTO response_dedupe (response_id, kind, group_id, campaign_id) VALUES (?, ?, ?, ?)", dedupe
        )
        conn.executemany("INSERT INTO response_themes VALUES (?, ?, ?)", rthemes)
