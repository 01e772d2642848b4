"""Deduplication tables: what the dedupe stage found (``response_dedupe``, ``dedupe_groups``,
``campaigns``) and what reviewers decided about it (``dedupe_overrides``).

A decision is a row of ``dedupe_overrides``: 'not-duplicate', or 'group:<group id>' to
put the answer in that group (created if the analysis no longer makes it); the dedupe
stage applies them on every re-run. Confirming a group records 'group:<its id>' for
every member, so the grouping no longer depends on the thresholds; merging B into A
records 'group:<A>' for every member of B. Each changed answer gets an event
(entity 'dedupe'), and confirm and merge also one on the group ('dedupe-group').
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from consult.codebook import unique_id
from consult.errors import ConsultError
from consult.workspace.answers import PAGE_SIZE, VersionConflict, check_reviewer, redaction_segments
from consult.workspace.db import now, select_in, transaction
from consult.workspace.events import event_reviewer, log_event

NOT_DUPLICATE = "not-duplicate"

GROUP_PREFIX = "group:"

NEW_GROUP = "new"


def override_target(decision: str, question_id: str) -> str:
    """What a dedupe_overrides decision asks of the deduplicator: ``NOT_DUPLICATE``, or a group id
    as the deduplicator names it (stored group ids carry the question, ``q1:dup-...``; its own do not)."""
    return decision.removeprefix(GROUP_PREFIX).removeprefix(f"{question_id}:")


def stored_group_id(question_id: str, group: str | None) -> str | None:
    """A deduplicator's group or campaign id made unique across questions, as stored."""
    return None if group is None else f"{question_id}:{group}"


# --------------------------------------------------------------------------- the dedupe stage


def stage_input(conn: sqlite3.Connection, question_id: str) -> tuple[list[int], list[str | None], dict[int, str]]:
    """A question's answers (ids and texts, in id order) and reviewers' decisions, as the deduplicator takes them."""
    rows = conn.execute("SELECT id, text FROM responses WHERE question_id = ? AND withdrawn IS NULL ORDER BY id",
                        (question_id,)).fetchall()
    # A decision made on text that has changed since is not applied (the machine decides again).
    overrides = {
        r["response_id"]: override_target(r["decision"], question_id)
        for r in conn.execute(
            "SELECT o.response_id, o.decision FROM dedupe_overrides o JOIN responses r ON r.id = o.response_id"
            " WHERE r.question_id = ? AND r.withdrawn IS NULL AND o.text_hash IS r.text_hash",
            (question_id,),
        )
    }
    return [r["id"] for r in rows], [r["text"] for r in rows], overrides


def write_result(conn: sqlite3.Connection, question_id: str, result: Any) -> None:
    """Replace a question's deduplication tables with a :class:`consult.dedupe.DedupeResult`, in one transaction."""
    with transaction(conn):
        conn.execute(
            "DELETE FROM response_dedupe WHERE response_id IN (SELECT id FROM responses WHERE question_id = ?)",
            (question_id,),
        )
        conn.execute("DELETE FROM dedupe_groups WHERE question_id = ?", (question_id,))
        conn.execute("DELETE FROM campaigns WHERE question_id = ?", (question_id,))
        conn.executemany(
            "INSERT INTO campaigns (id, question_id, template, size) VALUES (?, ?, ?, ?)",
            [(stored_group_id(question_id, g.group_id), question_id, g.canonical_text, g.size)
             for g in result.groups if g.is_campaign],
        )
        conn.executemany(
            "INSERT INTO dedupe_groups (id, question_id, canonical_response_id, canonical_text, size, campaign_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (stored_group_id(question_id, g.group_id), question_id, g.canonical_id, g.canonical_text, g.size,
                 stored_group_id(question_id, g.group_id) if g.is_campaign else None)
                for g in result.groups
            ],
        )
        conn.executemany(
            "INSERT INTO response_dedupe (response_id, kind, group_id, campaign_id, similarity,"
            " personal_addition, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (rec.id, rec.kind, stored_group_id(question_id, rec.group_id), stored_group_id(question_id, rec.campaign_id),
                 rec.similarity, rec.personal_addition or None, rec.non_substantive)
                for rec in result.records
            ],
        )


def non_substantive_ids(conn: sqlite3.Connection, question_id: str) -> list[int]:
    """A question's answers that are blank or were found to say nothing on it."""
    return [r[0] for r in conn.execute(
        "SELECT r.id FROM responses r LEFT JOIN response_dedupe d ON d.response_id = r.id"
        " WHERE r.question_id = ? AND r.withdrawn IS NULL"
        " AND (trim(coalesce(r.text, '')) = '' OR d.kind = 'non-substantive') ORDER BY r.id",
        (question_id,))]


def campaign_templates(conn: sqlite3.Connection, question_id: str) -> dict[str, str]:
    """Campaign id -> template text, for a question."""
    return {r[0]: r[1] for r in conn.execute("SELECT id, template FROM campaigns WHERE question_id = ?", (question_id,))}


# --------------------------------------------------------------------------- memberships and groups


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
        " LEFT JOIN dedupe_overrides o ON o.response_id = r.id AND o.text_hash IS r.text_hash"
        " WHERE r.question_id = ? AND r.withdrawn IS NULL AND (d.group_id IS NOT NULL OR o.response_id IS NOT NULL)"
        " ORDER BY r.id",
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
        " LEFT JOIN dedupe_overrides o ON o.response_id = r.id AND o.text_hash IS r.text_hash WHERE r.id = ?",
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


# --------------------------------------------------------------------------- reviewers' decisions


def _answers_of(conn: sqlite3.Connection, question_id: str, response_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(r) for r in response_ids})
    if not ids:
        raise ConsultError("choose at least one answer")
    found = dict(conn.execute(
        f"SELECT id, question_id FROM responses WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall())
    for rid in ids:
        if found.get(rid) != question_id:
            raise ConsultError(f"question {question_id} has no answer {rid}")
    return ids


def _check_dedupe_version(conn: sqlite3.Connection, response_id: int, expected: int | None) -> None:
    if expected is None:
        return
    current = dedupe_version(conn, response_id)
    if int(expected) != current:
        raise VersionConflict("answer", response_id, int(expected), current, event_reviewer(conn, current))


def _check_group_version(conn: sqlite3.Connection, group_id: str, expected: int | None) -> None:
    if expected is None:
        return
    current = group_version(conn, group_id)
    if int(expected) != current:
        raise VersionConflict("group", group_id, int(expected), current, event_reviewer(conn, current))


def _decide(conn: sqlite3.Connection, reviewer: str, m: Membership, group: str | None, action: str) -> bool:
    """Record the decision putting answer ``m`` in ``group`` (None: in no group); False if already so."""
    if m.decision is not None and m.group == group:
        return False
    decision = NOT_DUPLICATE if group is None else f"{GROUP_PREFIX}{group}"
    conn.execute(
        "INSERT INTO dedupe_overrides (response_id, decision, reviewer, at, text_hash)"
        " VALUES (?, ?, ?, ?, (SELECT text_hash FROM responses WHERE id = ?))"
        " ON CONFLICT(response_id) DO UPDATE SET decision = excluded.decision, reviewer = excluded.reviewer,"
        " at = excluded.at, text_hash = excluded.text_hash",
        (m.response_id, decision, reviewer, now(), m.response_id),
    )
    log_event(conn, reviewer, "dedupe", m.response_id, action,
              {"group": m.group, "decision": m.decision}, {"group": group, "decision": decision})
    return True


def _membership(ms: Mapping[int, Membership], rid: int) -> Membership:
    return ms.get(rid) or Membership(rid, None, None, None)


def _group_or_fail(conn: sqlite3.Connection, question_id: str, group_id: str) -> DupGroup:
    group = dedupe_group(conn, question_id, group_id)
    if group is None:
        raise ConsultError(f"question {question_id} has no duplicate group {group_id!r}")
    return group


def confirm_group(
    conn: sqlite3.Connection, question_id: str, group_id: str, reviewer: str, *, expected_version: int | None = None
) -> int:
    """Confirm a group as it is now: every member is put in it by a person. Return answers newly decided."""
    reviewer = check_reviewer(reviewer)
    with transaction(conn):
        group = _group_or_fail(conn, question_id, group_id)
        _check_group_version(conn, group_id, expected_version)
        if group.members < 2:
            raise ConsultError("a group needs at least two answers; put another answer in it first")
        inside = [m for m in memberships(conn, question_id).values() if m.group == group_id]
        changed = sum(_decide(conn, reviewer, m, group_id, "confirm") for m in inside)
        if changed:
            log_event(conn, reviewer, "dedupe-group", group_id, "confirm",
                      {"members": group.members, "confirmed": group.confirmed},
                      {"members": group.members, "confirmed": group.members})
        return changed


def not_duplicate(
    conn: sqlite3.Connection,
    question_id: str,
    response_ids: Iterable[int],
    reviewer: str,
    *,
    expected_versions: Mapping[int, int] | None = None,
) -> int:
    """Take answers out of their groups: each counts as an answer of its own. Return answers changed."""
    reviewer = check_reviewer(reviewer)
    with transaction(conn):
        ids = _answers_of(conn, question_id, response_ids)
        ms = memberships(conn, question_id)
        changed = 0
        for rid in ids:
            _check_dedupe_version(conn, rid, (expected_versions or {}).get(rid))
            changed += _decide(conn, reviewer, _membership(ms, rid), None, "not-duplicate")
        return changed


def move_to_group(
    conn: sqlite3.Connection,
    question_id: str,
    response_ids: Iterable[int],
    group_id: str,
    reviewer: str,
    *,
    expected_versions: Mapping[int, int] | None = None,
) -> str:
    """Put answers in a group of the question (``NEW_GROUP``: a new one); return the group's id."""
    reviewer = check_reviewer(reviewer)
    with transaction(conn):
        ids = _answers_of(conn, question_id, response_ids)
        ms = memberships(conn, question_id)
        known = {m.group for m in ms.values() if m.group} | {m.machine_group for m in ms.values() if m.machine_group}
        known |= {r[0] for r in conn.execute("SELECT id FROM dedupe_groups WHERE question_id = ?", (question_id,))}
        if group_id == NEW_GROUP:
            group_id = unique_id(f"{question_id}:rev-{ids[0]}", set(known))
        elif group_id not in known:
            raise ConsultError(f"question {question_id} has no duplicate group {group_id!r}")
        for rid in ids:
            _check_dedupe_version(conn, rid, (expected_versions or {}).get(rid))
            _decide(conn, reviewer, _membership(ms, rid), group_id, "move")
        return group_id


def merge_groups(
    conn: sqlite3.Connection,
    question_id: str,
    source: str,
    into: str,
    reviewer: str,
    *,
    expected_version: int | None = None,
) -> int:
    """Merge group ``source`` into ``into``: every member of ``source`` moves. Return answers moved."""
    reviewer = check_reviewer(reviewer)
    if source == into:
        raise ConsultError("choose two different groups to merge")
    with transaction(conn):
        src = _group_or_fail(conn, question_id, source)
        dst = _group_or_fail(conn, question_id, into)
        _check_group_version(conn, source, expected_version)
        inside = [m for m in memberships(conn, question_id).values() if m.group == source]
        if not inside:
            raise ConsultError(f"group {source} has no answers left to merge")
        for m in inside:
            _decide(conn, reviewer, m, into, "merge")
        log_event(conn, reviewer, "dedupe-group", source, "merge",
                  {"members": src.members}, {"members": 0, "merged_into": into})
        log_event(conn, reviewer, "dedupe-group", into, "merge",
                  {"members": dst.members}, {"members": dst.members + len(inside), "merged_from": source})
        return len(inside)


def unit_rows(conn: sqlite3.Connection, question_id: str) -> list[sqlite3.Row]:
    """A question's answers with their deduplication outcome (id, text, kind, campaign_id, personal_addition)."""
    return conn.execute(
        "SELECT r.id, r.text, d.kind, d.campaign_id, d.personal_addition FROM responses r"
        " LEFT JOIN response_dedupe d ON d.response_id = r.id WHERE r.question_id = ? AND r.withdrawn IS NULL"
        " ORDER BY r.id",
        (question_id,),
    ).fetchall()


def dedupe_rows(conn: sqlite3.Connection) -> dict[int, sqlite3.Row]:
    """Every answer's deduplication outcome, by response id."""
    return {r["response_id"]: r for r in conn.execute("SELECT * FROM response_dedupe ORDER BY response_id")}


def groups(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    """Every duplicate group the analysis found, by id."""
    return {g["id"]: g for g in conn.execute("SELECT * FROM dedupe_groups ORDER BY id")}


def campaigns(conn: sqlite3.Connection, question_id: str) -> list[sqlite3.Row]:
    """A question's campaigns (id, template, size), largest first."""
    return conn.execute("SELECT * FROM campaigns WHERE question_id = ? ORDER BY size DESC, id", (question_id,)).fetchall()
