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
