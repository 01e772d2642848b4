"""An answer's human state (``review_state``, ``human_codes``): reading it, changing it, listing answers.

Answers carry a ``version`` (``review_state.version``); a change made against an
old version raises :class:`VersionConflict` instead of overwriting someone
else's work. Every change is one transaction with its audit event.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from consult.errors import ConsultError
from consult.workspace import codes as codes_table
from consult.workspace.db import now, select_in, transaction
from consult.workspace.events import events_since, log_event

PAGE_SIZE = 50
MAX_NAME = 80


class VersionConflict(ConsultError):
    """Someone else changed the thing since it was read; ``current`` is what is there now."""

    def __init__(self, entity: str, entity_id: str | int, expected: int, current: Any, changed_by: str | None) -> None:
        self.entity = entity
        self.entity_id = entity_id
        self.expected = expected
        self.current = current
        self.changed_by = changed_by
        who = f" by {changed_by}" if changed_by else ""
        super().__init__(f"{entity} {entity_id} was changed{who} since you opened it; nothing was saved")


def check_reviewer(reviewer: str | None) -> str:
    """The reviewer name, trimmed; a ConsultError when missing or too long."""
    name = " ".join((reviewer or "").split())
    if not name:
        raise ConsultError("enter your name before making changes")
    if len(name) > MAX_NAME:
        raise ConsultError(f"reviewer name is longer than {MAX_NAME} characters")
    return name


@dataclass
class AnswerState:
    """The human state of one answer, with the codes it finally has."""

    response_id: int
    question_id: str
    text: str
    decided: bool
    reviewed: bool
    quote: bool
    redactions: list[list[int]]
    version: int
    human_codes: list[str]
    final_codes: list[str]
    reviewer: str | None = None
    at: str | None = None
    stale: bool = False  # people worked on other text: that work is not applied to this text
    withdrawn: bool = False  # the answer left the input; kept for the audit trail only

    def as_dict(self) -> dict[str, Any]:
        """The fields an audit event records."""
        return {
            "decided": self.decided,
            "reviewed": self.reviewed,
            "quote": self.quote,
            "redactions": self.redactions,
            "codes": self.final_codes,
            "version": self.version,
        }


def answer_state(conn: sqlite3.Connection, response_id: int) -> AnswerState | None:
    """The current state of an answer, or None when there is no such answer.

    When the answer's text changed since people worked on it (``stale``), their work is not
    applied: it reads as not reviewed, not decided, not a quote, with nothing marked to redact.
    """
    row = conn.execute(
        "SELECT r.id, r.question_id, COALESCE(r.text, '') AS text, r.withdrawn, s.decided, s.reviewed, s.quote,"
        " s.redactions_json, s.version, s.reviewer, s.at, s.response_id IS NOT NULL AND s.text_hash IS NOT r.text_hash"
        " AS stale FROM responses r LEFT JOIN review_state s ON s.response_id = r.id WHERE r.id = ?",
        (response_id,),
    ).fetchone()
    if row is None:
        return None
    stale = bool(row["stale"])
    human = [] if stale else [r[0] for r in conn.execute(
        "SELECT code_id FROM human_codes WHERE response_id = ? ORDER BY code_id", (response_id,))]
    final = sorted(codes_table.final_codes(conn, response_ids=[response_id]).get(response_id, {}))
    return AnswerState(
        response_id=row["id"],
        question_id=row["question_id"],
        text=row["text"],
        decided=bool(row["decided"]) and not stale,
        reviewed=bool(row["reviewed"]) and not stale,
        quote=bool(row["quote"]) and not stale,
        redactions=[] if stale else json.loads(row["redactions_json"] or "[]"),
        version=row["version"] or 0,
        human_codes=human,
        final_codes=final,
        reviewer=row["reviewer"],
        at=row["at"],
        stale=stale,
        withdrawn=row["withdrawn"] is not None,
    )


def questions(conn: sqlite3.Connection, question_id: str | None = None) -> list[dict[str, Any]]:
    """Every question (or just ``question_id``) with its answer count and review progress.

    ``changed``: answers whose text changed since people reviewed them; ``withdrawn``: answers that
    left the input (kept for the audit trail, counted nowhere else).
    """
    where, params = ("WHERE q.id = ?", [question_id]) if question_id else ("", [])
    rows = conn.execute(
        "SELECT q.id, q.text, q.kind, COUNT(r.id) - COUNT(r.withdrawn) AS answers,"
        " SUM(r.withdrawn IS NULL AND r.text IS NOT NULL AND r.text != '') AS with_text,"
        " SUM(r.withdrawn IS NULL AND s.text_hash IS r.text_hash AND s.reviewed = 1) AS reviewed,"
        " SUM(r.withdrawn IS NULL AND s.text_hash IS r.text_hash AND s.decided = 1) AS decided,"
        " SUM(r.withdrawn IS NULL AND s.text_hash IS NOT r.text_hash) AS changed,"
        " COUNT(r.withdrawn) AS withdrawn"
        " FROM questions q LEFT JOIN responses r ON r.question_id = q.id"
        f" LEFT JOIN review_state s ON s.response_id = r.id {where}"
        " GROUP BY q.id ORDER BY q.position",
        params,
    ).fetchall()
    out = []
    for r in rows:
        d = {k: (r[k] or 0) if k in ("with_text", "reviewed", "decided", "changed") else r[k] for k in r.keys()}
        d["share"] = d["reviewed"] / d["with_text"] if d["with_text"] else 0.0
        out.append(d)
    return out


def question(conn: sqlite3.Connection, question_id: str) -> dict[str, Any] | None:
    """One question row, with its options decoded."""
    row = conn.execute("SELECT * FROM questions WHERE id = ?", (question_id,)).fetchone()
    if row is None:
        return None
    d = dict(row)
    d["options"] = json.loads(d.pop("options_json") or "[]")
    return d


@dataclass
class AnswerFilter:
    """Which answers a list shows. Empty fields do not filter."""

    question_id: str | None = None
    code: str | None = None
    max_confidence: float | None = None
    unreviewed: bool = False
    campaign: str | None = None  # a campaign id, or a dedupe kind such as "campaign" / "exact"
    group: str | None = None
    option: str | None = None
    search: str | None = None
    theme: int | None = None
    changed: bool = False  # only answers whose text changed since people reviewed them

    def where(self) -> tuple[str, list[Any]]:
        """SQL conditions over ``responses r`` (with ``respondents p``) and their parameters."""
        clauses, params = ["r.text IS NOT NULL", "r.text != ''", "r.withdrawn IS NULL"], []
        if self.question_id:
            clauses.append("r.question_id = ?")
            params.append(self.question_id)
        if self.unreviewed:
            clauses.append("NOT EXISTS (SELECT 1 FROM current_review s WHERE s.response_id = r.id AND s.reviewed = 1)")
            # A copy without words of its own is reviewed once, with the answer it copies (final_codes)
            clauses.append("NOT EXISTS (SELECT 1 FROM answer_copies c JOIN responses k ON k.id = c.canonical_id"
                           " WHERE c.response_id = r.id AND NOT c.own_words AND k.withdrawn IS NULL)")
        if self.changed:
            clauses.append("EXISTS (SELECT 1 FROM review_state s WHERE s.response_id = r.id AND s.text_hash IS NOT r.text_hash)")
        if self.campaign:
            clauses.append(
                "EXISTS (SELECT 1 FROM response_dedupe d WHERE d.response_id = r.id"
                " AND (d.campaign_id = ? OR d.kind = ?))")
            params += [self.campaign, self.campaign]
        if self.group:
            clauses.append("p.grp = ?")
            params.append(self.group)
        if self.option:
            clauses.append("r.option = ?")
            params.append(self.option)
        if self.search:
            clauses.append("r.text LIKE ? ESCAPE '\\'")
            escaped = self.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        if self.theme is not None:
            clauses.append("EXISTS (SELECT 1 FROM response_themes t WHERE t.response_id = r.id AND t.theme_id = ?)")
            params.append(self.theme)
        if self.code:
            # the final_codes view is the one definition of an answer's codes
            clauses.append("r.id IN (SELECT response_id FROM final_codes WHERE code_id = ?"
                           + (" AND question_id = ?)" if self.question_id else ")"))
            params += [self.code, self.question_id] if self.question_id else [self.code]
        if self.max_confidence is not None:
            clauses.append(
                "COALESCE((SELECT MAX(confidence) FROM suggestions g WHERE g.response_id = r.id), 0) < ?")
            params.append(self.max_confidence)
        return " AND ".join(clauses), params


@dataclass
class AnswerPage:
    """One page of a filtered answer list (keyset paging on response id)."""

    rows: list[dict[str, Any]]
    total: int
    next_after: int | None
    prev_before: int | None
    filters: AnswerFilter = field(default_factory=AnswerFilter)


_LIST_COLUMNS = (
    "r.id, r.question_id, r.option, r.text, p.grp,"
    " COALESCE(s.reviewed AND s.text_hash IS r.text_hash, 0) AS reviewed,"
    " COALESCE(s.decided AND s.text_hash IS r.text_hash, 0) AS decided,"
    " COALESCE(s.quote AND s.text_hash IS r.text_hash, 0) AS quote,"
    " COALESCE(s.text_hash IS NOT r.text_hash, 0) AS changed, COALESCE(s.version, 0) AS version,"
    " (SELECT MAX(confidence) FROM suggestions g WHERE g.response_id = r.id) AS top_confidence,"
    " (SELECT kind FROM response_dedupe d WHERE d.response_id = r.id) AS dedupe_kind"
)


_LIST_FROM = (
    " FROM responses r LEFT JOIN respondents p ON p.id = r.respondent_id"
    " LEFT JOIN review_state s ON s.response_id = r.id"
)


def list_answers(
    conn: sqlite3.Connection,
    filters: AnswerFilter,
    *,
    after: int | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> AnswerPage:
    """Answers matching ``filters`` in id order, ``limit`` at a time after/before a response id."""
    where, params = filters.where()
    join = " JOIN respondents p ON p.id = r.respondent_id" if filters.group else ""
    total = conn.execute(f"SELECT COUNT(*) FROM responses r{join} WHERE {where}", params).fetchone()[0]
    if before is not None:
        rows = conn.execute(
            f"SELECT {_LIST_COLUMNS}{_LIST_FROM} WHERE {where} AND r.id < ? ORDER BY r.id DESC LIMIT ?",
            [*params, before, limit + 1],
        ).fetchall()[::-1]
        more_before = len(rows) > limit
        rows = rows[-limit:] if more_before else rows
        more_after = True
    else:
        start = after if after is not None else -1
        rows = conn.execute(
            f"SELECT {_LIST_COLUMNS}{_LIST_FROM} WHERE {where} AND r.id > ? ORDER BY r.id LIMIT ?",
            [*params, start, limit + 1],
        ).fetchall()
        more_after = len(rows) > limit
        rows = rows[:limit]
        more_before = after is not None
    out = [dict(r) for r in rows]
    _attach_codes(conn, out)
    return AnswerPage(
        rows=out,
        total=total,
        next_after=out[-1]["id"] if out and more_after else None,
        prev_before=out[0]["id"] if out and more_before else None,
        filters=filters,
    )


def _attach_codes(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    finals = codes_table.final_codes(conn, response_ids=[r["id"] for r in rows]) if rows else {}
    for r in rows:
        r["codes"] = sorted(finals.get(r["id"], {}))


def copies_of(conn: sqlite3.Connection, response_ids: Sequence[int]) -> dict[int, int]:
    """How many answers copy each of these answers without words of their own (and so take its codes)."""
    return {r[0]: r[1] for r in select_in(
        conn, "SELECT c.canonical_id, COUNT(*) FROM answer_copies c JOIN responses r ON r.id = c.response_id"
        " WHERE c.canonical_id IN ({marks}) AND NOT c.own_words AND r.withdrawn IS NULL GROUP BY c.canonical_id",
        list(response_ids))}


def neighbour(conn: sqlite3.Connection, filters: AnswerFilter, response_id: int, *, forward: bool = True) -> int | None:
    """The next (or previous) answer id in a filtered list, or None at its end."""
    where, params = filters.where()
    op, order = (">", "ASC") if forward else ("<", "DESC")
    row = conn.execute(
        f"SELECT r.id FROM responses r LEFT JOIN respondents p ON p.id = r.respondent_id"
        f" WHERE {where} AND r.id {op} ? ORDER BY r.id {order} LIMIT 1",
        [*params, response_id],
    ).fetchone()
    return row[0] if row else None


def filter_choices(conn: sqlite3.Connection, question_id: str) -> dict[str, list[Any]]:
    """Values offered in the filter drop-downs of a question's answer list."""
    return {
        "groups": [r[0] for r in conn.execute(
            "SELECT DISTINCT p.grp FROM responses r JOIN respondents p ON p.id = r.respondent_id"
            " WHERE r.question_id = ? AND p.grp IS NOT NULL ORDER BY p.grp", (question_id,))],
        "options": [r[0] for r in conn.execute(
            "SELECT DISTINCT option FROM responses WHERE question_id = ? AND option IS NOT NULL ORDER BY option",
            (question_id,))],
        "campaigns": ["campaign", "exact", "near", "non-substantive"] + [r[0] for r in conn.execute(
            "SELECT id FROM campaigns WHERE question_id = ? ORDER BY id", (question_id,))],
    }


def answer_detail(conn: sqlite3.Connection, response_id: int) -> dict[str, Any] | None:
    """Everything the answer page shows: text, respondent, closed answer, suggestions, state."""
    state = answer_state(conn, response_id)
    if state is None:
        return None
    row = conn.execute(
        "SELECT r.option, r.respondent_id, p.grp, p.type, p.consent FROM responses r"
        " LEFT JOIN respondents p ON p.id = r.respondent_id WHERE r.id = ?",
        (response_id,),
    ).fetchone()
    cmap = codes_table.code_map(conn, state.question_id)
    suggestions = [
        {"code": r["code_id"], "now": cmap.get(r["code_id"], r["code_id"]),
         "confidence": r["confidence"], "model": r["model_version"]}
        for r in codes_table.suggestions(conn, response_id)
    ]
    dedupe = conn.execute("SELECT * FROM response_dedupe WHERE response_id = ?", (response_id,)).fetchone()
    source = codes_table.final_code_sources(conn, response_id)
    inherited = None
    if source is not None and source["via"] != response_id and source["source"] == "person":
        group = conn.execute("SELECT group_id FROM response_dedupe WHERE response_id = ?", (source["via"],)).fetchone()
        inherited = {"via": source["via"], "by": source["by"], "group_id": group[0] if group else None}
    return {
        "inherited": inherited,  # codes a person decided on the answer this one copies
        "state": state,
        "option": row["option"],
        "respondent_id": row["respondent_id"],
        "group": row["grp"],
        "type": row["type"],
        "consent": row["consent"],
        "suggestions": suggestions,
        "dedupe": dict(dedupe) if dedupe else None,
        "segments": redaction_segments(state.text, state.redactions),
    }


def redaction_segments(text: str, spans: list[list[int]]) -> list[tuple[str, bool]]:
    """The text cut into (piece, redacted) runs, for display."""
    out, pos = [], 0
    for start, end in sorted(spans):
        start, end = max(start, pos), min(end, len(text))
        if start >= end:
            continue
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text):
        out.append((text[pos:], False))
    return out


def review_queue(conn: sqlite3.Connection, question_id: str, k: int = 20, *, pool: int = 2000) -> list[dict[str, Any]]:
    """Up to ``k`` unreviewed answers most worth reviewing next, best first.

    Answers a person decided, quality-check answers (kept random), answers coded non-substantive by rule
    and copies that inherit a decision on their group's answer (or will, from the quality check) are not
    queued. A copy whose group's answer is queued leaves the queue too:
    the group's answer stands for it (``weight`` counts the answers a row stands for) and its decision
    reaches every copy (the ``final_codes`` view, whose ``via`` says where codes came from).

    When the workspace has vectors of the answers and the codebook, a :class:`consult.active.ActiveLearner`
    ranks every candidate by expected benefit to the whole coding (uncertainty of its model times
    weight, spread over different answers); its model is kept per workspace and question in this process
    and learns again from people's decisions after ``[active] refit_every`` of them or ``refit_seconds``
    (see :func:`queue_model`). Otherwise the ``pool`` candidates the last analysis was least sure of are
    ordered by :func:`consult.assign.review_queue` (vectors of the answers only) or by top confidence.
    """
    rows = _queue_candidates(conn, question_id)
    if not rows or k <= 0:
        return []
    model = queue_model(conn, question_id)
    ranked = None
    if model is not None:
        with _QUEUE_LOCK:  # another request may be refitting it
            ranked = model.rank(rows, k)
    if ranked is None:
        rows = sorted(rows, key=lambda r: (r["top_confidence"] or 0.0, r["id"]))[: max(k, pool)]
        ranked = _queue_by_model(conn, question_id, rows, k)
    out = ranked if ranked is not None else rows[:k]
    _attach_codes(conn, out)
    return out


def _queue_candidates(conn: sqlite3.Connection, question_id: str) -> list[dict[str, Any]]:
    """The answers that may be queued (see :func:`review_queue`), copies folded into their group's answer."""
    f = AnswerFilter(question_id=question_id, unreviewed=True)
    where, params = f.where()
    where += (
        " AND NOT EXISTS (SELECT 1 FROM quality_samples q WHERE q.response_id = r.id)"  # kept random
        " AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.response_id = r.id)"
        # coded by rule, like the quality check's frame leaves them out
        " AND NOT EXISTS (SELECT 1 FROM response_dedupe x WHERE x.response_id = r.id AND x.kind = 'non-substantive')"
        # a copy whose group's answer a person decided has that decision (with provenance) already, and
        # one whose group's answer is in the quality check will have it
        " AND NOT EXISTS (SELECT 1 FROM answer_copies c WHERE c.response_id = r.id AND NOT c.own_words"
        " AND (EXISTS (SELECT 1 FROM decisions d WHERE d.response_id = c.canonical_id)"
        " OR EXISTS (SELECT 1 FROM quality_samples q WHERE q.response_id = c.canonical_id)))"
    )
    rows = [dict(r) for r in conn.execute(
        "SELECT r.id, r.text, MAX(g.confidence) AS top_confidence FROM responses r"
        f" LEFT JOIN suggestions g ON g.response_id = r.id WHERE {where}"
        " GROUP BY r.id ORDER BY r.id",
        params,
    )]
    # copies that take their group's answer's codes (the unreviewed filter already leaves most out)
    canonical_of = {r[0]: r[1] for r in conn.execute(
        "SELECT c.response_id, c.canonical_id FROM answer_copies c JOIN responses r ON r.id = c.response_id"
        " WHERE r.question_id = ? AND NOT c.own_words AND r.withdrawn IS NULL"
        " AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.response_id = c.response_id)", (question_id,))}
    present = {r["id"] for r in rows}
    weight = {r["id"]: 1 for r in rows}
    for copy, c in canonical_of.items():
        if c in present and copy != c:
            weight[c] += 1
    out = []
    for r in rows:
        if canonical_of.get(r["id"]) in present:
            continue  # the group's answer is queued and stands for this copy
        r["weight"] = weight[r["id"]]
        out.append(r)
    return out


@dataclass
class QueueModel:
    """A question's :class:`consult.active.ActiveLearner` with the answers it was fitted on (see :func:`queue_model`)."""

    learner: Any
    ids: list[int]  # response id of each answer in the learner's pool
    fingerprint: str  # what the pool and the codebook were
    learnt: dict[int, frozenset[str]]  # the decisions the model learnt from
    at: float  # time.monotonic() of the last fit
    recent: list[int] = field(default_factory=list)  # pool positions decided since the last fit
    pos: dict[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self.pos = {rid: i for i, rid in enumerate(self.ids)}

    def rank(self, rows: list[dict[str, Any]], k: int) -> list[dict[str, Any]] | None:
        """The best ``k`` of ``rows`` (with their ``weight``), or None when too few of them have vectors."""
        known = [r for r in rows if r["id"] in self.pos]
        if len(known) < 0.9 * len(rows):
            return None
        cand = [self.pos[r["id"]] for r in known]
        order = self.learner.rank(k, candidates=cand, weights=[r["weight"] for r in known], recent=self.recent)
        by_pos = {self.pos[r["id"]]: r for r in known}
        return [by_pos[int(i)] for i in order]


_QUEUE_MODELS: dict[tuple[str, str], QueueModel] = {}
_QUEUE_LOCK = threading.Lock()


def queue_model(conn: sqlite3.Connection, question_id: str) -> QueueModel | None:
    """The question's queue model, fitted or refitted as needed; None without vectors of the answers and codebook.

    Kept per (workspace file, question) for the life of the process. It is built (zero-shot from the
    codebook, self-trained on the answers: seconds for thousands of answers) when first needed or when the
    answers or the codebook changed, and refitted cheaply (:meth:`consult.active.ActiveLearner.refit`)
    once ``[active] refit_every`` decisions were made or changed since the last fit, or ``refit_seconds``
    passed with at least one. The vectors are the ones ``consult analyse`` cached; nothing is embedded here.
    """
    from consult.workspace.runs import settings as run_settings

    key = (_workspace_file(conn), question_id)
    settings = run_settings(conn)
    active = settings.active
    with _QUEUE_LOCK:
        source = _queue_source(conn, question_id)
        if source is None:
            _QUEUE_MODELS.pop(key, None)
            return None
        model = _QUEUE_MODELS.get(key)
        if model is None or model.fingerprint != source["fingerprint"]:
            model = _fit_queue_model(conn, question_id, source, settings)
            if model is None:
                _QUEUE_MODELS.pop(key, None)
            else:
                _QUEUE_MODELS[key] = model
            return model
        learnt = _decisions_for_model(conn, question_id, source["codes"], model.pos)
        changed = [rid for rid in set(learnt) | set(model.learnt) if learnt.get(rid) != model.learnt.get(rid)]
        due = len(changed) >= active.refit_every or (
            bool(changed) and time.monotonic() - model.at >= active.refit_seconds)
        if due:
            rows = sorted(learnt)
            model.learner.refit([model.pos[r] for r in rows], [set(learnt[r]) for r in rows])
            model.learnt, model.at, model.recent = learnt, time.monotonic(), []
        else:
            model.recent = [model.pos[r] for r in sorted(changed) if r in learnt]
        return model


def _fit_queue_model(conn: sqlite3.Connection, question_id: str, source: dict[str, Any], settings: Any) -> QueueModel | None:
    """A new queue model on the answers that have vectors (None when fewer than 90% do)."""
    from dataclasses import asdict

    import numpy as np

    from consult.active import ActiveLearner
    from consult.assign import CodeAssigner
    from consult.workspace.caches import EmbeddingCache

    ids, texts, hashes = source["ids"], source["texts"], source["hashes"]
    vec = EmbeddingCache(conn).get(source["model"], hashes)
    keep = [i for i, h in enumerate(hashes) if h in vec]
    if not keep or len(keep) < 0.9 * len(ids):
        return None
    X = np.stack([vec[hashes[i]] for i in keep])
    pool_ids = [ids[i] for i in keep]
    pos = {rid: i for i, rid in enumerate(pool_ids)}
    learnt = _decisions_for_model(conn, question_id, source["codes"], pos)
    rows = sorted(learnt)
    active = settings.active
    learner = ActiveLearner(
        assigner=CodeAssigner(**asdict(settings.assign)), diversity=active.diversity,
        redundancy=active.redundancy, random_state=active.random_state,
    ).fit(source["codes"], X, [texts[i] for i in keep], code_embeddings=source["code_embeddings"],
          reviewed=[pos[r] for r in rows], labels=[set(learnt[r]) for r in rows])
    return QueueModel(learner, pool_ids, source["fingerprint"], learnt, time.monotonic())


def _workspace_file(conn: sqlite3.Connection) -> str:
    row = conn.execute("PRAGMA database_list").fetchone()
    return str(row[2] or f"memory:{id(conn)}")


def _queue_source(conn: sqlite3.Connection, question_id: str) -> dict[str, Any] | None:
    """What the queue model is fitted on: the question's codes with their cached vectors, its answers
    (ids, stripped texts, text hashes) and a fingerprint of them all; None when there is no cache or
    it lacks a code's texts (a code people added or reworded since the analysis)."""
    import hashlib

    import numpy as np

    from consult.assign import CodePrototypes, code_texts
    from consult.codebook import NON_SUBSTANTIVE, OTHER
    from consult.embed import text_hash
    from consult.workspace.caches import EmbeddingCache

    cache = EmbeddingCache(conn)
    model = cache.main_model()
    if model is None:
        return None
    codes = [c for c in codes_table.workspace_codes(conn, question_id) if c.id not in (OTHER, NON_SUBSTANTIVE)]
    if not codes:
        return None
    parts = [code_texts(c) for c in codes]
    code_vec = cache.get(model, [text_hash(t) for pos, neg in parts for t in pos + neg])
    if any(text_hash(t) not in code_vec for pos, neg in parts for t in pos + neg):
        return None
    dim = len(next(iter(code_vec.values())))

    def stack(ts: list[str]) -> np.ndarray:
        return np.stack([code_vec[text_hash(t)] for t in ts]) if ts else np.zeros((0, dim), np.float32)

    rows = conn.execute(
        "SELECT id, text FROM responses WHERE question_id = ? AND withdrawn IS NULL"
        " AND trim(coalesce(text, '')) != '' ORDER BY id", (question_id,)).fetchall()
    if not rows:
        return None
    texts = [r["text"].strip() for r in rows]
    hashes = [text_hash(t) for t in texts]
    digest = hashlib.sha256(model.encode())
    for c, (pos, neg) in zip(codes, parts):
        digest.update(json.dumps([c.id, pos, neg]).encode())
    for r, h in zip(rows, hashes):
        digest.update(f"{r['id']}:{h};".encode())
    return {
        "model": model, "codes": codes, "fingerprint": digest.hexdigest(),
        "code_embeddings": {c.id: CodePrototypes(positive=stack(pos), negative=stack(neg))
                            for c, (pos, neg) in zip(codes, parts)},
        "ids": [r["id"] for r in rows], "texts": texts, "hashes": hashes,
    }


def _decisions_for_model(conn: sqlite3.Connection, question_id: str, codes: list, pos: dict[int, int]) -> dict[int, frozenset[str]]:
    """The decisions the queue's model learns from (as ``consult analyse`` does), by response id in its pool."""
    from consult.codebook import OTHER

    known = {c.id for c in codes} | {OTHER}
    return {rid: frozenset((got & known) or {OTHER}) for rid, _, got in decided_answers(conn, question_id)
            if rid in pos}


def _queue_by_model(conn: sqlite3.Connection, question_id: str, rows: list[dict[str, Any]], k: int):
    """The rows ordered by :func:`consult.assign.review_queue`, or None when the answers have no vectors yet."""
    import numpy as np

    from consult.assign import review_queue as rank
    from consult.embed import text_hash
    from consult.workspace.caches import EmbeddingCache

    if not rows:
        return []
    cache = EmbeddingCache(conn)
    model = cache.main_model()
    if model is None:
        return None
    texts = [r["text"].strip() for r in rows]
    vec = cache.get(model, [text_hash(t) for t in texts])
    if len(vec) < 0.9 * len(rows):
        return None
    keep = [i for i, t in enumerate(texts) if text_hash(t) in vec]
    X = np.stack([vec[text_hash(texts[i])] for i in keep])
    code_ids = [c["id"] for c in codes_table.codes(conn, question_id)]
    col = {c: j for j, c in enumerate(code_ids)}
    P = np.zeros((len(keep), len(code_ids)))
    row_of = {rows[i]["id"]: n for n, i in enumerate(keep)}
    for rid, code_id, confidence in codes_table.suggestions_of(conn, list(row_of)):
        if code_id in col:
            P[row_of[rid], col[code_id]] = confidence
    reviewed = [t.strip() for t in reviewed_texts(conn, question_id, limit=5000)]
    rv = cache.get(model, [text_hash(t) for t in reviewed])
    R = np.stack(list(rv.values())) if rv else None
    return [rows[keep[i]] for i in rank(P, X, R, k)]


def reviewed_texts(conn: sqlite3.Connection, question_id: str, *, limit: int | None = None) -> list[str]:
    """Texts of a question's answers a person marked reviewed."""
    return [r[0] for r in conn.execute(
        "SELECT r.text FROM responses r JOIN current_review s ON s.response_id = r.id"
        " WHERE r.question_id = ? AND s.reviewed = 1 AND r.text IS NOT NULL AND r.withdrawn IS NULL ORDER BY r.id LIMIT ?",
        (question_id, -1 if limit is None else limit))]


def state_at(conn: sqlite3.Connection, response_id: int, version: int) -> dict[str, Any] | None:
    """An answer's codes, reviewed and quote flags as they were at ``version`` (rebuilt from the audit trail)."""
    state = answer_state(conn, response_id)
    if state is None:
        return None
    snap = {"codes": list(state.final_codes), "reviewed": state.reviewed, "quote": state.quote}
    for e in reversed(events_since(conn, "answer", response_id, version)):
        before = json.loads(e["before_json"] or "{}")
        for key in snap:
            if key in before:
                snap[key] = before[key]
    return snap


def rebase(base: dict[str, Any], current: dict[str, Any], mine: dict[str, Any]) -> dict[str, Any]:
    """``mine`` (made against ``base``) re-applied on top of ``current``: my additions and removals, their other changes."""
    b, c, m = set(base["codes"]), set(current["codes"]), set(mine["codes"])
    out = {"codes": (c | (m - b)) - (b - m)}
    for key in ("reviewed", "quote"):
        out[key] = mine[key] if mine[key] != base[key] else current[key]
    return out


# --------------------------------------------------------------------------- changes


def update_answer(
    conn: sqlite3.Connection,
    response_id: int,
    reviewer: str,
    *,
    expected_version: int | None = None,
    codes: Iterable[str] | None = None,
    reviewed: bool | None = None,
    quote: bool | None = None,
    redactions: Sequence[Sequence[int]] | None = None,
    revert_to_model: bool = False,
    quality_check: bool = False,
) -> AnswerState:
    """Change an answer's codes, reviewed flag, quote flag and/or redactions; return its new state.

    Codes become the answer's decision when they differ from its current final
    codes (or it was already decided), and when the answer is marked reviewed. Nothing changes, and no event is
    written, when the values are already there. With ``quality_check`` the codes were given without seeing the
    model's (the quality check): they always become the decision, and the answer counts as checked and reviewed.
    """
    reviewer = check_reviewer(reviewer)
    with transaction(conn):
        state = answer_state(conn, response_id)
        if state is None:
            raise ConsultError(f"no answer with id {response_id}")
        if state.withdrawn:
            raise ConsultError(f"answer {response_id} was withdrawn from the input; it can no longer be changed")
        if expected_version is not None and int(expected_version) != state.version:
            raise VersionConflict("answer", response_id, int(expected_version), state, state.reviewer)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if quality_check:
            reviewed = True  # coding an answer blind is reading and deciding it
        if state.stale:
            # Looked at again after its text changed: the work done on the old text is left behind.
            before["text_changed"], after["text_changed"] = True, False
        decided, human = state.decided, list(state.human_codes)
        if revert_to_model and state.decided:
            decided, human = False, []
            before.update(decided=True, codes=state.final_codes)
            after["decided"] = False
        elif codes is not None:
            new = sorted(set(codes))
            _check_codes(conn, state.question_id, new)
            if new != state.final_codes or (state.decided and new != state.human_codes) or quality_check:
                decided, human = True, new
                before.update(decided=state.decided, codes=state.final_codes)
                after.update(decided=True, codes=new)
        if reviewed is not None and bool(reviewed) != state.reviewed:
            before["reviewed"], after["reviewed"] = state.reviewed, bool(reviewed)
        if reviewed and not decided:
            # Marking an answer reviewed confirms the codes it shows: they become the
            # person's decision, so re-runs keep them and the model learns from them.
            decided, human = True, list(state.final_codes)
            before.update(decided=False, codes=state.final_codes)
            after.update(decided=True, codes=human)
        if quote is not None and bool(quote) != state.quote:
            before["quote"], after["quote"] = state.quote, bool(quote)
        spans = state.redactions
        if redactions is not None:
            spans = normalise_spans(redactions, len(state.text))
            if spans != state.redactions:
                before["redactions"], after["redactions"] = state.redactions, spans
        if not after:
            return state
        version = state.version + 1
        at = now()
        conn.execute(
            "INSERT INTO review_state (response_id, decided, reviewed, quote, redactions_json, reviewer, at, version,"
            " text_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, (SELECT text_hash FROM responses WHERE id = ?))"
            " ON CONFLICT(response_id) DO UPDATE SET decided = excluded.decided,"
            " reviewed = excluded.reviewed, quote = excluded.quote, redactions_json = excluded.redactions_json,"
            " reviewer = excluded.reviewer, at = excluded.at, version = excluded.version, text_hash = excluded.text_hash",
            (
                response_id, int(decided), int(after.get("reviewed", state.reviewed)),
                int(after.get("quote", state.quote)), json.dumps(spans), reviewer, at, version, response_id,
            ),
        )
        if "codes" in after or "decided" in after or state.stale:
            conn.execute("DELETE FROM human_codes WHERE response_id = ?", (response_id,))
            conn.executemany(
                "INSERT INTO human_codes (response_id, code_id, reviewer, at) VALUES (?, ?, ?, ?)",
                [(response_id, c, reviewer, at) for c in human],
            )
        before["version"], after["version"] = state.version, version
        action = "revert" if revert_to_model and "decided" in after and "codes" not in after else "+".join(
            k for k in ("codes", "reviewed", "quote", "redactions") if k in after and before.get(k) != after[k]
        ) or "recheck"
        if quality_check:
            # Coded without seeing the model's codes: this answer now tests them (and is not trained on).
            conn.execute("UPDATE quality_samples SET checked = ?, checked_by = ? WHERE response_id = ?",
                         (at, reviewer, response_id))
        log_event(conn, reviewer, "answer", response_id, action, before, after)
        new_state = answer_state(conn, response_id)
        assert new_state is not None
        return new_state


def set_codes(conn, response_id: int, codes: Iterable[str], reviewer: str, *, expected_version: int | None = None) -> AnswerState:
    """Make ``codes`` the answer's human decision."""
    return update_answer(conn, response_id, reviewer, expected_version=expected_version, codes=codes)


def mark_reviewed(conn, response_id: int, reviewer: str, reviewed: bool = True, *, expected_version: int | None = None) -> AnswerState:
    """Set or clear the answer's reviewed flag."""
    return update_answer(conn, response_id, reviewer, expected_version=expected_version, reviewed=reviewed)


def set_quote(conn, response_id: int, reviewer: str, quote: bool = True, *, expected_version: int | None = None) -> AnswerState:
    """Flag (or unflag) the answer as a quote worth publishing."""
    return update_answer(conn, response_id, reviewer, expected_version=expected_version, quote=quote)


def add_redaction(
    conn,
    response_id: int,
    reviewer: str,
    *,
    start: int | None = None,
    end: int | None = None,
    text: str | None = None,
    expected_version: int | None = None,
) -> AnswerState:
    """Mark a character span (``start``/``end``) or every occurrence of ``text`` for redaction."""
    state = answer_state(conn, response_id)
    if state is None:
        raise ConsultError(f"no answer with id {response_id}")
    if text:
        spans = find_spans(state.text, text)
        if not spans:
            raise ConsultError("the text to redact does not occur in the answer")
    elif start is not None and end is not None:
        spans = [[int(start), int(end)]]
    else:
        raise ConsultError("give the start and end of the text to redact, or the exact text")
    return update_answer(conn, response_id, reviewer, expected_version=expected_version,
                         redactions=list(state.redactions) + spans)


def remove_redaction(conn, response_id: int, reviewer: str, span: Sequence[int], *, expected_version: int | None = None) -> AnswerState:
    """Unmark one redaction span."""
    state = answer_state(conn, response_id)
    if state is None:
        raise ConsultError(f"no answer with id {response_id}")
    keep = [s for s in state.redactions if list(s) != [int(span[0]), int(span[1])]]
    return update_answer(conn, response_id, reviewer, expected_version=expected_version, redactions=keep)


def find_spans(text: str, needle: str) -> list[list[int]]:
    """Every [start, end] where ``needle`` occurs in ``text`` (case-sensitive, exact)."""
    return [[m.start(), m.end()] for m in re.finditer(re.escape(needle), text)] if needle else []


def normalise_spans(spans: Iterable[Sequence[int]], length: int) -> list[list[int]]:
    """Spans checked against the text length, sorted, with overlaps merged."""
    clean = []
    for span in spans:
        try:
            start, end = int(span[0]), int(span[1])
        except (TypeError, ValueError, IndexError):
            raise ConsultError(f"redaction span {span!r} is not two numbers") from None
        if not 0 <= start < end <= length:
            raise ConsultError(f"redaction span {start}-{end} is outside the answer (0-{length})")
        clean.append([start, end])
    merged: list[list[int]] = []
    for start, end in sorted(clean):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _check_codes(conn: sqlite3.Connection, question_id: str, ids: Iterable[str]) -> None:
    active = codes_table.active_code_ids(conn, question_id)
    unknown = [c for c in ids if c not in active]
    if unknown:
        raise ConsultError(f"question {question_id} has no active code {', '.join(map(repr, unknown))}")


def review_states(conn: sqlite3.Connection) -> dict[int, sqlite3.Row]:
    """Every answer's human state (review_state rows with ``stale``: made on text that has changed since)."""
    return {r["response_id"]: r for r in conn.execute(
        "SELECT s.*, s.text_hash IS NOT r.text_hash AS stale FROM review_state s JOIN responses r ON r.id = s.response_id"
        " WHERE r.withdrawn IS NULL ORDER BY s.response_id")}


def decided_answers(conn: sqlite3.Connection, question_id: str) -> list[tuple[int, str, set[str]]]:
    """A question's answers whose codes a person decided, with their text and codes: the training data.

    Answers people coded blind for the quality check are left out, so the model's codes of them stay an
    honest test.
    """
    rows = conn.execute(
        "SELECT r.id, r.text FROM responses r JOIN decisions d ON d.response_id = r.id"
        " WHERE r.question_id = ? AND trim(coalesce(r.text, '')) != ''"
        " AND NOT EXISTS (SELECT 1 FROM quality_samples q WHERE q.response_id = r.id AND q.checked IS NOT NULL)"
        " ORDER BY r.id",
        (question_id,),
    ).fetchall()
    codes: dict[int, set[str]] = {r["id"]: set() for r in rows}
    for r in conn.execute(
        "SELECT h.response_id, h.code_id FROM human_codes h JOIN responses r ON r.id = h.response_id"
        " WHERE r.question_id = ?", (question_id,)
    ):
        if r[0] in codes:
            codes[r[0]].add(r[1])
    return [(r["id"], r["text"], codes[r["id"]]) for r in rows]


def export_rows(conn: sqlite3.Connection, question_id: str) -> list[sqlite3.Row]:
    """A question's answers with text, for the review spreadsheet (id, option, text, grp, reviewed, version)."""
    return conn.execute(
        "SELECT r.id, r.option, r.text, p.grp, COALESCE(s.reviewed AND s.text_hash IS r.text_hash, 0) AS reviewed,"
        " COALESCE(s.version, 0) AS version"
        " FROM responses r LEFT JOIN respondents p ON p.id = r.respondent_id"
        " LEFT JOIN review_state s ON s.response_id = r.id"
        " WHERE r.question_id = ? AND r.text IS NOT NULL AND r.text != '' AND r.withdrawn IS NULL ORDER BY r.id",
        (question_id,),
    ).fetchall()
