"""The quality check of a question (``quality_samples``, ``quality_estimates``).

The *frame* is what nobody reviewed: the question's substantive answers whose final
codes are the model's. A copy that takes its codes from the answer it copies is not
a unit of its own: that answer stands for it (its ``weight`` counts both). Each
campaign's answer is checked with certainty (``census``); the rest of the sample is
drawn at random (:func:`consult.quality.draw_sample`) to the size the
``[quality]`` margin asks for. Reviewers code sampled answers blind; from their
codes and the model's, :func:`consult.quality.estimate_quality` gives precision,
recall and F1 with 95% intervals, and :func:`consult.quality.question_status` the
question's status (draft or checked).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from collections.abc import Iterable
from typing import Any

from consult.quality import QualityEstimate, draw_sample, estimate_quality, question_status, sample_size
from consult.settings import QualitySettings
from consult.workspace import codes as ws_codes
from consult.workspace.db import now, transaction


@dataclass
class Frame:
    """The units nobody reviewed (response id -> respondents' answers it stands for), and which are campaigns."""

    weights: dict[int, float]
    campaigns: set[int]
    checked: set[int]  # sample members a person has coded (they stay in the frame)


def frame(conn: sqlite3.Connection, question_id: str) -> Frame:
    """The question's answers only the model coded, each copy folded into the answer it copies."""
    blind = {r[0] for r in conn.execute(
        "SELECT response_id FROM quality_samples WHERE question_id = ? AND checked IS NOT NULL", (question_id,))}
    rows = conn.execute(
        "SELECT r.id, c.canonical_id, coalesce(c.own_words, 0) AS own_words, d.kind,"
        " EXISTS (SELECT 1 FROM decisions x WHERE x.response_id = r.id) AS decided"
        " FROM responses r LEFT JOIN answer_copies c ON c.response_id = r.id"
        " LEFT JOIN response_dedupe d ON d.response_id = r.id"
        " WHERE r.question_id = ? AND r.withdrawn IS NULL AND trim(coalesce(r.text, '')) != ''"
        " AND coalesce(d.kind, '') != 'non-substantive' ORDER BY r.id",
        (question_id,),
    ).fetchall()
    # campaigns' canonical answers, read once (a per-answer EXISTS on dedupe_groups grows as answers x groups)
    canonical_of_campaign = {r[0] for r in conn.execute(
        "SELECT canonical_response_id FROM dedupe_groups WHERE campaign_id IS NOT NULL")}
    decided = {r["id"] for r in rows if r["decided"]}
    weights: dict[int, float] = {}
    campaigns: set[int] = set()
    for r in rows:
        unit = r["canonical_id"] if r["canonical_id"] is not None and not r["own_words"] else r["id"]
        if unit in decided and unit not in blind:
            continue  # people coded it (or the answer it copies) outside the check: not the model's coding
        if r["id"] in decided and r["id"] != unit:
            continue  # a copy with a decision of its own
        weights[unit] = weights.get(unit, 0.0) + 1.0
        if r["id"] in canonical_of_campaign:
            campaigns.add(r["id"])
    campaigns &= set(weights)
    return Frame(weights, campaigns, {u for u in weights if u in decided and u in blind})


def draw(conn: sqlite3.Connection, question_id: str, settings: QualitySettings) -> list[int]:
    """(Re)draw the question's sample for what is unreviewed now; return its members in checking order.

    Members already checked stay in it; a stable seeded order means a re-run that adds answers
    changes the sample as little as it can.
    """
    f = frame(conn, question_id)
    rest = sorted(set(f.weights) - f.campaigns)
    keep = sorted(f.checked - f.campaigns)
    drawn = draw_sample(rest, sample_size(len(rest), settings.margin, settings.confidence),
                        settings.random_state, keep=keep) if rest else []
    members = sorted(f.campaigns) + drawn
    stamp = now()
    with transaction(conn):
        done = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
            "SELECT response_id, drawn, checked, checked_by FROM quality_samples WHERE question_id = ?",
            (question_id,))}
        conn.execute("DELETE FROM quality_samples WHERE question_id = ?", (question_id,))
        conn.executemany(
            "INSERT INTO quality_samples (question_id, response_id, position, census, weight, drawn, checked,"
            " checked_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(question_id, rid, i, int(rid in f.campaigns), f.weights[rid], *done.get(rid, (stamp, None, None)))
             for i, rid in enumerate(members)],
        )
    return members


def sample(conn: sqlite3.Connection, question_id: str) -> list[sqlite3.Row]:
    """The question's sample in checking order: response_id, census, weight, and whether a person coded it."""
    return conn.execute(
        "SELECT q.response_id, q.census, q.weight, q.checked_by, q.checked IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM decisions d WHERE d.response_id = q.response_id) AS checked"
        " FROM quality_samples q JOIN responses r ON r.id = q.response_id"
        " WHERE q.question_id = ? AND r.withdrawn IS NULL ORDER BY q.position", (question_id,)).fetchall()


def in_sample(conn: sqlite3.Connection, response_id: int) -> bool:
    """Whether an answer is in its question's quality-check sample (to be coded blind)."""
    return conn.execute("SELECT 1 FROM quality_samples WHERE response_id = ?", (response_id,)).fetchone() is not None


def awaiting_check(conn: sqlite3.Connection, response_id: int) -> bool:
    """Whether an answer is in the sample and nobody has coded it blind yet (so the model's codes stay hidden)."""
    return conn.execute("SELECT 1 FROM quality_samples WHERE response_id = ? AND checked IS NULL",
                        (response_id,)).fetchone() is not None


def next_to_check(conn: sqlite3.Connection, question_id: str, exclude: Iterable[int] = ()) -> int | None:
    """The first sampled answer nobody has coded yet (checking in order keeps what is done a random sample),
    leaving out ``exclude`` (answers a reviewer passed over)."""
    skip = set(exclude)
    return next((r["response_id"] for r in sample(conn, question_id)
                 if not r["checked"] and r["response_id"] not in skip), None)


@dataclass
class QuestionQuality:
    """A question's quality check: its estimate (None before anything is checked) and status."""

    question_id: str
    status: str  # draft | checked
    estimate: QualityEstimate | None
    sampled: int
    checked: int
    unreviewed: int  # units only the model coded, outside the checked sample
    settings: QualitySettings

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status, "sampled": self.sampled, "checked": self.checked, "unreviewed": self.unreviewed,
            "bar": self.settings.bar, "metric": self.settings.metric,
            "estimate": None if self.estimate is None else self.estimate.to_dict(),
        }


def assess(conn: sqlite3.Connection, question_id: str, settings: QualitySettings) -> QuestionQuality:
    """The question's estimate from what people have checked so far, and its status against the bar."""
    f = frame(conn, question_id)
    rows = sample(conn, question_id)
    checked = [r["response_id"] for r in rows if r["checked"] and r["response_id"] in f.weights]
    estimate = None
    if checked:
        predicted = ws_codes.model_codes(conn, checked)
        people = ws_codes.person_codes(conn, checked)
        census = [rid for rid in checked if rid in f.campaigns]
        estimate = estimate_quality(
            predicted, {rid: people.get(rid, set()) for rid in checked},
            population=len(set(f.weights) - f.campaigns), weights={rid: f.weights[rid] for rid in checked},
            codes=[c["id"] for c in ws_codes.codes(conn, question_id)], confidence=settings.confidence,
            min_support=settings.min_support, census=census,
        )
    unreviewed = len(set(f.weights) - set(checked))
    status = question_status(estimate, settings.bar, settings.metric, unreviewed=unreviewed)
    return QuestionQuality(question_id, status, estimate, len(rows), len(checked), unreviewed, settings)


def store(conn: sqlite3.Connection, run_id: int, result: QuestionQuality) -> None:
    """Keep a run's estimate of a question."""
    with transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO quality_estimates (run_id, question_id, status, figures_json) VALUES (?, ?, ?, ?)",
            (run_id, result.question_id, result.status, json.dumps(result.to_dict(), sort_keys=True)),
        )


