"""The audit trail (``events``): every human change, with who, when, what before and what after."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from consult.workspace.db import now, select_in


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


def event_reviewer(conn: sqlite3.Connection, event_id: int) -> str | None:
    """Who made the event with this id (None if there is none)."""
    row = conn.execute("SELECT reviewer FROM events WHERE id = ?", (event_id,)).fetchone()
    return row[0] if row else None


def last_event_ids(conn: sqlite3.Connection, entity: str, entity_ids: list[str]) -> dict[str, int]:
    """Per entity id, the id of its last event (ids with no event are left out)."""
    return {r[0]: r[1] for r in select_in(
        conn, "SELECT entity_id, MAX(id) FROM events WHERE entity = ? AND entity_id IN ({marks}) GROUP BY entity_id",
        entity_ids, before=[entity])}


# --------------------------------------------------------------------------- the audit trail in words


def described(conn: sqlite3.Connection, evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``evs`` with a ``sentence`` each ("Asha changed answer 628: + Funding, − Other") and, for events on
    one answer, its id as ``answer`` (for a link). Codes are named by their labels."""
    labels: dict[str, dict[str, str]] = {}
    for r in conn.execute("SELECT question_id, id, label FROM codes"):
        labels.setdefault(r[0], {})[r[1]] = r[2]
    answer_ids = sorted({int(e["entity_id"]) for e in evs
                         if e["entity"] in ("answer", "dedupe") and str(e["entity_id"]).isdigit()})
    question_of = {r[0]: r[1] for r in select_in(
        conn, "SELECT id, question_id FROM responses WHERE id IN ({marks})", answer_ids)}
    out = []
    for e in evs:
        rid = int(e["entity_id"]) if e["entity"] in ("answer", "dedupe") and str(e["entity_id"]).isdigit() else None
        qid = question_of.get(rid) if rid is not None else str(e["entity_id"]).partition(":")[0]
        out.append(dict(e, sentence=sentence(e, labels.get(qid or "", {})), answer=rid))
    return out


def sentence(e: dict[str, Any], labels: dict[str, str]) -> str:
    """One audit event as a sentence; ``labels`` maps the code ids of its question to their labels."""
    before = _json(e.get("before_json"))
    after = _json(e.get("after_json"))
    who, entity, eid, action = e["reviewer"], e["entity"], e["entity_id"], e["action"]

    def label(code_id: Any) -> str:
        return f"\u201c{labels.get(str(code_id), code_id)}\u201d"

    if entity == "answer":
        return f"{who} changed answer {eid}: {'; '.join(_answer_changes(before, after, labels)) or 'no change'}"
    if entity == "code":
        qid, _, cid = str(eid).partition(":")
        return f"{who} " + _code_change(action, cid, before, after, label) + f" (question {qid})"
    if entity == "dedupe":
        group = after.get("group")
        if group is None:
            return f"{who} marked answer {eid} as not a duplicate" + (
                f" (it was in group {before['group']})" if before.get("group") else "")
        verb = "confirmed answer" if action == "confirm" else "put answer"
        was = before.get("group")
        tail = f" (it was in group {was})" if was and was != group else ""
        return f"{who} {verb} {eid} in duplicate group {group}{tail}"
    if entity == "dedupe-group":
        if action == "confirm":
            return f"{who} confirmed duplicate group {eid} ({_n(after.get('members', 0))})"
        if action == "merge" and after.get("merged_into"):
            return f"{who} merged duplicate group {eid} into {after['merged_into']} ({_n(before.get('members', 0))})"
        if action == "merge" and after.get("merged_from"):
            return (f"{who} merged group {after['merged_from']} into duplicate group {eid}, which now has "
                    f"{_n(after.get('members', 0))}")
    if entity == "codebook":
        done = "wrote the edit to" if action == "write" else "wrote the edits made in the review app into"
        return f"{who} {done} {after.get('file', 'the codebook file')} (question {eid})"
    if entity == "withdrawn" and action == "purge":
        return (f"{who} deleted {_n(len(before.get('answers', [])))} withdrawn from the input, and "
                f"{len(before.get('respondents', []))} respondents with no answer left")
    return f"{who}: {action} {entity} {eid}"


def _json(text: str | None) -> dict[str, Any]:
    value = json.loads(text or "null")
    return value if isinstance(value, dict) else {}


def _n(count: int, what: str = "answer") -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"


def _answer_changes(before: dict[str, Any], after: dict[str, Any], labels: dict[str, str]) -> list[str]:
    def name(code_id: str) -> str:
        return labels.get(code_id, code_id)

    parts = []
    if before.get("text_changed"):
        parts.append("looked at it again after its text changed")
    if "codes" in after or "codes" in before:
        was, now = set(before.get("codes") or ()), set(after.get("codes") or ())
        changes = [f"+ {name(c)}" for c in sorted(now - was, key=name)] + [f"\u2212 {name(c)}" for c in sorted(was - now, key=name)]
        if changes:
            parts.append(", ".join(changes))
        elif after.get("decided") and not before.get("decided"):
            parts.append("kept the codes " + (", ".join(sorted(map(name, now))) if now else "(none)"))
    if after.get("decided") is False and before.get("decided"):
        parts.append("went back to the model's codes")
    if "reviewed" in after:
        parts.append("marked reviewed" if after["reviewed"] else "marked not reviewed")
    if "quote" in after:
        parts.append("flagged as a quote worth publishing" if after["quote"] else "no longer a quote")
    if "redactions" in after:
        was_n, now_n = len(before.get("redactions") or ()), len(after.get("redactions") or ())
        if now_n >= was_n:
            parts.append(f"marked {_n(now_n - was_n or 1, 'passage')} to redact")
        else:
            parts.append(f"took off {_n(was_n - now_n, 'redaction')}")
    return parts


def _code_change(action: str, cid: str, before: dict[str, Any], after: dict[str, Any], label) -> str:  # noqa: ANN001
    if action == "add":
        under = f" under {label(after['parent'])}" if after.get("parent") else ""
        return f"added the code \u201c{after.get('label', cid)}\u201d{under}"
    if action == "merge":
        return f"merged \u201c{before.get('label', cid)}\u201d into {label(after.get('merged_into'))}"
    if action == "split":
        moved = [f"{_n(after[k])} {w}" for k, w in (("answers_moved", "moved"), ("answers_both", "given both"))
                 if after.get(k)]
        return (f"split \u201c{before.get('label', cid)}\u201d into "
                + ", ".join(label(c) for c in after.get("split_into", [])) + (f": {', '.join(moved)}" if moved else ""))
    if action == "delete":
        to = after.get("merged_into")
        return f"deleted the code \u201c{before.get('label', cid)}\u201d" + (
            f"; its answers go to {label(to)}" if to else "; its answers lose it")
    parts = []
    if before.get("label") != after.get("label") and "label" in after:
        parts.append(f"renamed \u201c{before.get('label')}\u201d to \u201c{after['label']}\u201d")
    if before.get("description") != after.get("description") and "description" in after:
        what = f"the description of \u201c{after.get('label', cid)}\u201d"
        parts.append(f"changed {what} to \u201c{after['description']}\u201d" if after["description"] else f"removed {what}")
    return " and ".join(parts) or f"changed the code {label(cid)} ({action})"
