"""Reads for the review app: overview, question pages, filtered answer lists, answers, audit.

Everything here is read-only and returns plain dataclasses or dicts.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from consult.store import GROUP_PREFIX, override_target, select_in

PAGE_SIZE = 50

# The indexes the review queries rely on are in schema migration 2 (consult.store).


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
    """The current state of an answer, or None when there is no such answer."""
    row = conn.execute(
        "SELECT r.id, r.question_id, COALESCE(r.text, '') AS text, s.decided, s.reviewed, s.quote,"
        " s.redactions_json, s.version, s.reviewer, s.at"
        " FROM responses r LEFT JOIN review_state s ON s.response_id = r.id WHERE r.id = ?",
        (response_id,),
    ).fetchone()
    if row is None:
        return None
    human = [r[0] for r in conn.execute(
        "SELECT code_id FROM human_codes WHERE response_id = ? ORDER BY code_id", (response_id,))]
    decided = bool(row["decided"])
    if decided:
        final = human
    else:
        cmap = code_map(conn, row["question_id"])
        final = sorted({
            cmap.get(r[0], r[0]) for r in conn.execute(
                "SELECT code_id FROM suggestions WHERE response_id = ?", (response_id,))
        } - {None})
    return AnswerState(
        response_id=row["id"],
        question_id=row["question_id"],
        text=row["text"],
        decided=decided,
        reviewed=bool(row["reviewed"]),
        quote=bool(row["quote"]),
        redactions=json.loads(row["redactions_json"] or "[]"),
        version=row["version"] or 0,
        human_codes=human,
        final_codes=final,
        reviewer=row["reviewer"],
        at=row["at"],
    )


def code_map(conn: sqlite3.Connection, question_id: str) -> dict[str, str | None]:
    """Each code id of a question -> the active code its answers now count towards (None: dropped).

    Merged codes, and deleted codes whose answers were reassigned, point at their target.
    """
    rows = {r["id"]: r for r in conn.execute(
        "SELECT id, status, merged_into FROM codes WHERE question_id = ?", (question_id,))}
    out: dict[str, str | None] = {}
    for cid in rows:
        seen, cur = set(), cid
        while cur is not None and cur in rows and rows[cur]["status"] != "active" and cur not in seen:
            seen.add(cur)
            cur = rows[cur]["merged_into"]
        out[cid] = cur if cur in rows and rows[cur]["status"] == "active" else None
    return out


def codes(conn: sqlite3.Connection, question_id: str, *, include_inactive: bool = False) -> list[dict[str, Any]]:
    """The workspace codebook of a question, in order."""
    where = "" if include_inactive else " AND status = 'active'"
    return [dict(r) for r in conn.execute(
        f"SELECT * FROM codes WHERE question_id = ?{where} ORDER BY builtin, position, id", (question_id,))]


def questions(conn: sqlite3.Connection, question_id: str | None = None) -> list[dict[str, Any]]:
    """Every question (or just ``question_id``) with its answer count and review progress."""
    where, params = ("WHERE q.id = ?", [question_id]) if question_id else ("", [])
    rows = conn.execute(
        "SELECT q.id, q.text, q.kind, COUNT(r.id) AS answers,"
        " SUM(CASE WHEN r.text IS NOT NULL AND r.text != '' THEN 1 ELSE 0 END) AS with_text,"
        " SUM(COALESCE(s.reviewed, 0)) AS reviewed, SUM(COALESCE(s.decided, 0)) AS decided"
        " FROM questions q LEFT JOIN responses r ON r.question_id = q.id"
        f" LEFT JOIN review_state s ON s.response_id = r.id {where}"
        " GROUP BY q.id ORDER BY q.position",
        params,
    ).fetchall()
    out = []
    for r in rows:
        d = dict(r)
        d["reviewed"] = d["reviewed"] or 0
        d["decided"] = d["decided"] or 0
        d["with_text"] = d["with_text"] or 0
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


def code_counts(conn: sqlite3.Connection, question_id: str) -> dict[str, dict[str, int]]:
    """Per code: answers finally coded (``final``), of which by a person (``human``)."""
    out: dict[str, dict[str, int]] = {}
    cmap = code_map(conn, question_id)
    # The final_codes view, spelled out per question so SQLite can use the question index.
    rows = conn.execute(
        "SELECT g.code_id, 0 AS human, COUNT(*) AS n FROM responses r JOIN suggestions g ON g.response_id = r.id"
        " WHERE r.question_id = ? AND NOT EXISTS"
        " (SELECT 1 FROM review_state s WHERE s.response_id = r.id AND s.decided = 1) GROUP BY g.code_id"
        " UNION ALL"
        " SELECT h.code_id, 1 AS human, COUNT(*) AS n FROM responses r"
        " JOIN review_state s ON s.response_id = r.id AND s.decided = 1"
        " JOIN human_codes h ON h.response_id = r.id WHERE r.question_id = ? GROUP BY h.code_id",
        (question_id, question_id),
    )
    for r in rows:
        target = cmap.get(r["code_id"], r["code_id"])
        if target is None:
            continue
        c = out.setdefault(target, {"final": 0, "human": 0})
        c["final"] += r["n"]
        if r["human"]:
            c["human"] += r["n"]
    return out


def themes(conn: sqlite3.Connection, question_id: str) -> list[dict[str, Any]]:
    """Candidate themes of a question, largest first, with their answer counts."""
    rows = conn.execute(
        "SELECT t.theme_id, t.label, t.terms_json, t.size,"
        " (SELECT COUNT(*) FROM response_themes rt WHERE rt.question_id = t.question_id"
        "  AND rt.theme_id = t.theme_id) AS n"
        " FROM themes t WHERE t.question_id = ? ORDER BY n DESC, t.theme_id",
        (question_id,),
    ).fetchall()
    return [dict(r, terms=json.loads(r["terms_json"] or "[]")) for r in rows]


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

    def where(self) -> tuple[str, list[Any]]:
        """SQL conditions over ``responses r`` (with ``respondents p``) and their parameters."""
        clauses, params = ["r.text IS NOT NULL", "r.text != ''"], []
        if self.question_id:
            clauses.append("r.question_id = ?")
            params.append(self.question_id)
        if self.unreviewed:
            clauses.append("NOT EXISTS (SELECT 1 FROM review_state s WHERE s.response_id = r.id AND s.reviewed = 1)")
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
            clauses.append(
                "(EXISTS (SELECT 1 FROM review_state s WHERE s.response_id = r.id AND s.decided = 1"
                "  AND EXISTS (SELECT 1 FROM human_codes h WHERE h.response_id = r.id AND h.code_id = ?))"
                " OR (NOT EXISTS (SELECT 1 FROM review_state s WHERE s.response_id = r.id AND s.decided = 1)"
                "  AND EXISTS (SELECT 1 FROM suggestions g WHERE g.response_id = r.id AND g.code_id = ?)))"
            )
            params += [self.code, self.code]
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
    " COALESCE(s.reviewed, 0) AS reviewed, COALESCE(s.decided, 0) AS decided, COALESCE(s.quote, 0) AS quote,"
    " COALESCE(s.version, 0) AS version,"
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
    if not rows:
        return
    ids = [r["id"] for r in rows]
    marks = ",".join("?" * len(ids))
    codes_of: dict[int, list[str]] = {i: [] for i in ids}
    for r in conn.execute(
        f"SELECT response_id, code_id FROM final_codes WHERE response_id IN ({marks}) ORDER BY code_id", ids
    ):
        codes_of[r[0]].append(r[1])
    for r in rows:
        r["codes"] = codes_of[r["id"]]


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
    cmap = code_map(conn, state.question_id)
    suggestions = [
        {"code": r["code_id"], "now": cmap.get(r["code_id"], r["code_id"]),
         "confidence": r["confidence"], "model": r["model_version"]}
        for r in conn.execute(
            "SELECT code_id, confidence, model_version FROM suggestions WHERE response_id = ?"
            " ORDER BY confidence DESC", (response_id,))
    ]
    dedupe = conn.execute("SELECT * FROM response_dedupe WHERE response_id = ?", (response_id,)).fetchone()
    return {
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
    """Up to ``k`` unreviewed answers most worth reviewing next.

    Uses :func:`consult.assign.review_queue` (uncertain and novel first) when the
    workspace has embeddings of the answers; otherwise the lowest top confidence first.
    """
    f = AnswerFilter(question_id=question_id, unreviewed=True)
    where, params = f.where()
    rows = [dict(r) for r in conn.execute(
        "SELECT r.id, r.text, MAX(g.confidence) AS top_confidence FROM responses r"
        f" LEFT JOIN suggestions g ON g.response_id = r.id WHERE {where}"
        " GROUP BY r.id ORDER BY COALESCE(top_confidence, 0), r.id LIMIT ?",
        [*params, max(k, pool)],
    )]
    ranked = _queue_by_model(conn, question_id, rows, k)
    out = ranked if ranked is not None else rows[:k]
    _attach_codes(conn, out)
    return out


def _queue_by_model(conn: sqlite3.Connection, question_id: str, rows: list[dict[str, Any]], k: int):
    if not rows:
        return []
    model = conn.execute("SELECT model FROM embeddings GROUP BY model ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
    if model is None:
        return None
    try:
        import numpy as np

        from consult.assign import review_queue as rank
        from consult.embed import text_hash
    except ImportError:  # pragma: no cover - optional stage missing
        return None

    def vectors(texts: list[str]) -> dict[str, np.ndarray]:
        hashes = [text_hash(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for r in select_in(conn, "SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
                           hashes, before=[model[0]]):
            found[r[0]] = np.frombuffer(r[1], dtype=np.float32)
        return found

    texts = [r["text"].strip() for r in rows]
    vec = vectors(texts)
    if len(vec) < 0.9 * len(rows):
        return None
    keep = [i for i, t in enumerate(texts) if text_hash(t) in vec]
    X = np.stack([vec[text_hash(texts[i])] for i in keep])
    code_ids = [c["id"] for c in codes(conn, question_id)]
    col = {c: j for j, c in enumerate(code_ids)}
    P = np.zeros((len(keep), len(code_ids)))
    row_of = {rows[i]["id"]: n for n, i in enumerate(keep)}
    ids = list(row_of)
    for r in select_in(conn, "SELECT response_id, code_id, confidence FROM suggestions WHERE response_id IN ({marks})",
                       ids):
        if r[1] in col:
            P[row_of[r[0]], col[r[1]]] = r[2]
    reviewed_texts = [r[0].strip() for r in conn.execute(
        "SELECT r.text FROM responses r JOIN review_state s ON s.response_id = r.id"
        " WHERE r.question_id = ? AND s.reviewed = 1 AND r.text IS NOT NULL LIMIT 5000", (question_id,))]
    rv = vectors(reviewed_texts)
    R = np.stack(list(rv.values())) if rv else None
    try:
        order = rank(P, X, R, k)
    except Exception:  # a model-side problem must not take the page down
        return None
    return [rows[keep[i]] for i in order]


@dataclass
class EventFilter:
    """Which audit events to list. Empty fields do not filter."""

    reviewer: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    action: str | None = None
    since: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = ["1 = 1"], []
        for column in ("reviewer", "entity", "entity_id"):
            value = getattr(self, column)
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.action:
            clauses.append("action LIKE ?")
            params.append(f"%{self.action}%")
        if self.since:
            clauses.append("at >= ?")
            params.append(self.since)
        return " AND ".join(clauses), params


def events(conn: sqlite3.Connection, filters: EventFilter, *, limit: int | None = 200, before: int | None = None) -> list[dict[str, Any]]:
    """Audit events matching ``filters``, newest first."""
    where, params = filters.where()
    if before is not None:
        where += " AND id < ?"
        params.append(before)
    sql = f"SELECT * FROM events WHERE {where} ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [dict(r) for r in conn.execute(sql, params)]


def events_since(conn: sqlite3.Connection, entity: str, entity_id: str | int, after_version: int) -> list[dict[str, Any]]:
    """Events on an entity whose ``after`` version is above ``after_version`` (what changed meanwhile)."""
    out = []
    for r in conn.execute(
        "SELECT * FROM events WHERE entity = ? AND entity_id = ? ORDER BY id", (entity, str(entity_id))
    ):
        after = json.loads(r["after_json"] or "null")
        if isinstance(after, dict) and after.get("version", 0) > after_version:
            out.append(dict(r))
    return out


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


# --------------------------------------------------------------------------- duplicate groups and campaigns

# Reviewers' decisions about duplicates live in ``dedupe_overrides``, in the vocabulary of
# consult.store (NOT_DUPLICATE, GROUP_PREFIX) that consult.pipeline.stage_dedupe reapplies.


@dataclass
class Membership:
    """Where one answer sits: the machine's group, the person's decision, and the effect of both."""

    response_id: int
    machine_group: str | None
    decision: str | None
    group: str | None  # the group it is in once the decision is applied (None: in no group)
    kind: str | None = None
    similarity: float | None = None
    personal_addition: str | None = None
    reviewer: str | None = None
    at: str | None = None


def decision_group(question_id: str, decision: str | None, known: set[str] | frozenset[str] = frozenset()) -> str | None:
    """The stored group id a 'group:<id>' decision puts an answer in (None for 'not-duplicate').

    The pipeline stores the group the deduplicator is asked for as '<question>:<id>';
    ids already known in the workspace are kept as they are.
    """
    if decision is None or not decision.startswith(GROUP_PREFIX):
        return None
    gid = decision[len(GROUP_PREFIX):]
    if gid in known:
        return gid
    return f"{question_id}:{override_target(decision, question_id)}"


def _machine_groups(conn: sqlite3.Connection, question_id: str) -> set[str]:
    rows = conn.execute(
        "SELECT id FROM dedupe_groups WHERE question_id = ? UNION"
        " SELECT d.group_id FROM response_dedupe d JOIN responses r ON r.id = d.response_id"
        " WHERE r.question_id = ? AND d.group_id IS NOT NULL",
        (question_id, question_id),
    )
    return {r[0] for r in rows}


def memberships(conn: sqlite3.Connection, question_id: str) -> dict[int, Membership]:
    """Every answer of a question that is in a group or has a person's decision, by response id."""
    known = _machine_groups(conn, question_id)
    out: dict[int, Membership] = {}
    for r in conn.execute(
        "SELECT r.id, d.kind, d.group_id, d.similarity, d.personal_addition, o.decision, o.reviewer, o.at"
        " FROM responses r LEFT JOIN response_dedupe d ON d.response_id = r.id"
        " LEFT JOIN dedupe_overrides o ON o.response_id = r.id"
        " WHERE r.question_id = ? AND (d.group_id IS NOT NULL OR o.response_id IS NOT NULL) ORDER BY r.id",
        (question_id,),
    ):
        decision = r["decision"]
        group = r["group_id"] if decision is None else decision_group(question_id, decision, known)
        out[r["id"]] = Membership(r["id"], r["group_id"], decision, group, r["kind"], r["similarity"],
                                  r["personal_addition"], r["reviewer"], r["at"])
    return out


def membership(conn: sqlite3.Connection, response_id: int) -> tuple[str, Membership] | None:
    """The question and :class:`Membership` of one answer, or None when there is no such answer."""
    row = conn.execute(
        "SELECT r.question_id, d.kind, d.group_id, d.similarity, d.personal_addition, o.decision, o.reviewer, o.at"
        " FROM responses r LEFT JOIN response_dedupe d ON d.response_id = r.id"
        " LEFT JOIN dedupe_overrides o ON o.response_id = r.id WHERE r.id = ?",
        (response_id,),
    ).fetchone()
    if row is None:
        return None
    qid, decision = row["question_id"], row["decision"]
    group = row["group_id"] if decision is None else decision_group(qid, decision, _machine_groups(conn, qid))
    return qid, Membership(response_id, row["group_id"], decision, group, row["kind"], row["similarity"],
                           row["personal_addition"], row["reviewer"], row["at"])


def dedupe_version(conn: sqlite3.Connection, response_id: int) -> int:
    """The id of the last audit event on an answer's duplicate decision (0: never changed by a person)."""
    row = conn.execute(
        "SELECT MAX(id) FROM events WHERE entity = 'dedupe' AND entity_id = ?", (str(response_id),)
    ).fetchone()
    return row[0] or 0


def dedupe_versions(conn: sqlite3.Connection, response_ids: list[int]) -> dict[int, int]:
    """:func:`dedupe_version` of many answers at once."""
    out = {rid: 0 for rid in response_ids}
    for r in select_in(conn, "SELECT entity_id, MAX(id) FROM events WHERE entity = 'dedupe'"
                       " AND entity_id IN ({marks}) GROUP BY entity_id", [str(x) for x in response_ids]):
        out[int(r[0])] = r[1]
    return out


def group_versions(conn: sqlite3.Connection) -> dict[str, int]:
    """Per group id, the last audit event that moved an answer into or out of it, or confirmed or merged it.

    It only grows, so it serves as the group's version for optimistic locking.
    """
    rows = conn.execute(
        "SELECT g, MAX(id) FROM ("
        " SELECT id, json_extract(before_json, '$.group') AS g FROM events WHERE entity = 'dedupe'"
        " UNION ALL SELECT id, json_extract(after_json, '$.group') FROM events WHERE entity = 'dedupe'"
        " UNION ALL SELECT id, entity_id FROM events WHERE entity = 'dedupe-group'"
        ") WHERE g IS NOT NULL GROUP BY g"
    )
    return {r[0]: r[1] for r in rows}


def group_version(conn: sqlite3.Connection, group_id: str) -> int:
    """:func:`group_versions` of one group."""
    row = conn.execute(
        "SELECT MAX(id) FROM events WHERE (entity = 'dedupe' AND (json_extract(before_json, '$.group') = ?"
        " OR json_extract(after_json, '$.group') = ?)) OR (entity = 'dedupe-group' AND entity_id = ?)",
        (group_id, group_id, group_id),
    ).fetchone()
    return row[0] or 0


@dataclass
class DupGroup:
    """A duplicate group or campaign of a question, with reviewers' decisions applied."""

    id: str
    question_id: str
    text: str  # the campaign's template, else the group's canonical text
    campaign: bool
    machine_size: int  # members at the last analysis
    members: int  # members once reviewers' decisions are applied
    confirmed: int  # members a person put in this group
    additions: int  # members who added words of their own to the template
    taken_out: int  # answers the analysis put here that a person took out
    version: int
    confirmed_by: str | None = None
    confirmed_at: str | None = None

    @property
    def status(self) -> str:
        if self.members and self.confirmed >= self.members:
            return "confirmed"
        return "partly confirmed" if self.confirmed else "not confirmed"


def dedupe_groups(conn: sqlite3.Connection, question_id: str, *, group_id: str | None = None) -> list[DupGroup]:
    """The question's groups (or just ``group_id``), largest first once decisions are applied.

    Groups every member was taken out of are listed only when asked for by id.
    """
    ms = memberships(conn, question_id)
    members: dict[str, list[Membership]] = {}
    machine: dict[str, list[Membership]] = {}
    for m in ms.values():
        if m.group:
            members.setdefault(m.group, []).append(m)
        if m.machine_group:
            machine.setdefault(m.machine_group, []).append(m)
    stored = {r["id"]: r for r in conn.execute("SELECT * FROM dedupe_groups WHERE question_id = ?", (question_id,))}
    templates = {r["id"]: r["template"] for r in conn.execute(
        "SELECT id, template FROM campaigns WHERE question_id = ?", (question_id,))}
    ids = [group_id] if group_id is not None else list(members)
    ids = [g for g in ids if g in members or g in machine or g in stored]
    if not ids:
        return []
    versions = group_versions(conn)
    confirms: dict[str, tuple[str, str]] = {}
    for r in conn.execute("SELECT entity_id, reviewer, at FROM events WHERE entity = 'dedupe-group'"
                          " AND action = 'confirm' ORDER BY id"):
        confirms[r[0]] = (r[1], r[2])
    # Texts of groups the analysis has not described yet (made by reviewers, or older workspaces).
    first = {g: min(m.response_id for m in members.get(g) or machine.get(g, [])) for g in ids
             if g not in stored and g not in templates and (members.get(g) or machine.get(g))}
    texts = {r[0]: r[1] or "" for r in conn.execute(
        f"SELECT id, text FROM responses WHERE id IN ({','.join('?' * len(first))})", list(first.values()))} if first else {}
    out = []
    for g in ids:
        mine, auto = members.get(g, []), machine.get(g, [])
        row = stored.get(g)
        text = templates.get(g) or (row["canonical_text"] if row else None) or texts.get(first.get(g, -1), "")
        out.append(DupGroup(
            id=g, question_id=question_id, text=text,
            campaign=g in templates or bool(row and row["campaign_id"]) or any(m.kind == "campaign" for m in auto),
            machine_size=row["size"] if row else len(auto),
            members=len(mine),
            confirmed=sum(1 for m in mine if m.decision is not None),
            additions=sum(1 for m in mine if (m.personal_addition or "").strip()),
            taken_out=sum(1 for m in auto if m.group != g),
            version=versions.get(g, 0),
            confirmed_by=confirms.get(g, (None, None))[0], confirmed_at=confirms.get(g, (None, None))[1],
        ))
    out.sort(key=lambda x: (-x.members, x.id))
    return out


def dedupe_group(conn: sqlite3.Connection, question_id: str, group_id: str) -> DupGroup | None:
    """One group of a question (see :func:`dedupe_groups`), or None when there is none with that id."""
    found = dedupe_groups(conn, question_id, group_id=group_id)
    return found[0] if found else None


@dataclass
class MemberPage:
    """One page of a group's members (keyset paging on response id), and the answers taken out of it."""

    rows: list[dict[str, Any]]
    total: int
    next_after: int | None
    prev_before: int | None
    taken_out: list[dict[str, Any]]


def group_members(
    conn: sqlite3.Connection,
    question_id: str,
    group_id: str,
    *,
    after: int | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> MemberPage:
    """The answers in a group once reviewers' decisions apply, ``limit`` at a time, with their texts.

    Each row says how the answer got there (``how``: 'analysis', 'confirmed' or 'moved here'),
    its personal addition, its redaction segments and its ``version`` for :mod:`actions`.
    """
    ms = memberships(conn, question_id)
    inside = sorted((m for m in ms.values() if m.group == group_id), key=lambda m: m.response_id)
    if before is not None:
        earlier = [m for m in inside if m.response_id < before]
        page = earlier[-limit:]
        more_before, more_after = len(earlier) > limit, True
    else:
        later = [m for m in inside if after is None or m.response_id > after]
        page = later[:limit]
        more_before, more_after = after is not None, len(later) > limit
    out = [_member_row(m, "moved here" if m.machine_group != group_id else
                       "confirmed" if m.decision is not None else "analysis") for m in page]
    gone = [_member_row(m, "not a duplicate" if m.group is None else "moved to another group")
            for m in sorted(ms.values(), key=lambda m: m.response_id)
            if m.machine_group == group_id and m.group != group_id]
    _attach_texts(conn, out + gone)
    canonical = conn.execute("SELECT canonical_response_id FROM dedupe_groups WHERE id = ?", (group_id,)).fetchone()
    for r in out:
        r["canonical"] = bool(canonical and canonical[0] == r["id"])
    return MemberPage(
        rows=out, total=len(inside),
        next_after=out[-1]["id"] if out and more_after else None,
        prev_before=out[0]["id"] if out and more_before else None,
        taken_out=gone,
    )


def _member_row(m: Membership, how: str) -> dict[str, Any]:
    return {"id": m.response_id, "how": how, "kind": m.kind, "similarity": m.similarity,
            "addition": (m.personal_addition or "").strip(), "decision": m.decision, "group": m.group,
            "machine_group": m.machine_group, "decided_by": m.reviewer, "decided_at": m.at}


def _attach_texts(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in rows]
    texts: dict[int, tuple[str, list[list[int]]]] = {}
    for r in select_in(conn, "SELECT r.id, COALESCE(r.text, ''), s.redactions_json FROM responses r"
                       " LEFT JOIN review_state s ON s.response_id = r.id WHERE r.id IN ({marks})", ids):
        texts[r[0]] = (r[1], json.loads(r[2] or "[]"))
    versions = dedupe_versions(conn, ids)
    for r in rows:
        text, spans = texts.get(r["id"], ("", []))
        r["text"] = text
        r["segments"] = redaction_segments(text, spans)
        r["version"] = versions[r["id"]]
