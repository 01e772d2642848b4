"""Every write a reviewer can make: one transaction each, with its audit event.

Answers carry a ``version`` (``review_state.version``) and codes a ``version``
(``codes.version``); a change made against an old version raises
:class:`VersionConflict` instead of overwriting someone else's work.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from consult.codebook import slugify
from consult.errors import ConsultError
from consult.review.queries import (
    AnswerState,
    DupGroup,
    Membership,
    answer_state,
    code_map,
    dedupe_group,
    dedupe_version,
    group_version,
    memberships,
)
from consult.store import GROUP_PREFIX, NOT_DUPLICATE, log_event, now, transaction

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


# --------------------------------------------------------------------------- answers


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
) -> AnswerState:
    """Change an answer's codes, reviewed flag, quote flag and/or redactions; return its new state.

    Codes become the answer's decision when they differ from its current final
    codes (or it was already decided), and when the answer is marked reviewed. Nothing changes, and no event is
    written, when the values are already there.
    """
    reviewer = check_reviewer(reviewer)
    with transaction(conn):
        state = answer_state(conn, response_id)
        if state is None:
            raise ConsultError(f"no answer with id {response_id}")
        if expected_version is not None and int(expected_version) != state.version:
            raise VersionConflict("answer", response_id, int(expected_version), state, state.reviewer)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        decided, human = state.decided, list(state.human_codes)
        if revert_to_model and state.decided:
            decided, human = False, []
            before.update(decided=True, codes=state.final_codes)
            after["decided"] = False
        elif codes is not None:
            new = sorted(set(codes))
            _check_codes(conn, state.question_id, new)
            if new != state.final_codes or (state.decided and new != state.human_codes):
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
            "INSERT INTO review_state (response_id, decided, reviewed, quote, redactions_json, reviewer, at, version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(response_id) DO UPDATE SET decided = excluded.decided,"
            " reviewed = excluded.reviewed, quote = excluded.quote, redactions_json = excluded.redactions_json,"
            " reviewer = excluded.reviewer, at = excluded.at, version = excluded.version",
            (
                response_id, int(decided), int(after.get("reviewed", state.reviewed)),
                int(after.get("quote", state.quote)), json.dumps(spans), reviewer, at, version,
            ),
        )
        if "codes" in after or "decided" in after:
            conn.execute("DELETE FROM human_codes WHERE response_id = ?", (response_id,))
            conn.executemany(
                "INSERT INTO human_codes (response_id, code_id, reviewer, at) VALUES (?, ?, ?, ?)",
                [(response_id, c, reviewer, at) for c in human],
            )
        before["version"], after["version"] = state.version, version
        action = "revert" if revert_to_model and "decided" in after and "codes" not in after else "+".join(
            k for k in ("codes", "reviewed", "quote", "redactions") if k in after and before.get(k) != after[k])
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
    active = {r[0] for r in conn.execute(
        "SELECT id FROM codes WHERE question_id = ? AND status = 'active'", (question_id,))}
    unknown = [c for c in ids if c not in active]
    if unknown:
        raise ConsultError(f"question {question_id} has no active code {', '.join(map(repr, unknown))}")


# --------------------------------------------------------------------------- codebook


def _code(conn: sqlite3.Connection, question_id: str, code_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM codes WHERE question_id = ? AND id = ?", (question_id, code_id)).fetchone()
    if row is None:
        raise ConsultError(f"question {question_id} has no code {code_id!r}")
    return dict(row)


def _public(code: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("label", "description", "status", "merged_into", "parent", "version")
    return {k: code[k] for k in keys}


def _check_version(code: Mapping[str, Any], expected: int | None) -> None:
    if expected is not None and int(expected) != code["version"]:
        raise VersionConflict("code", f"{code['question_id']}:{code['id']}", int(expected), _public(code), None)


def _label(label: str) -> str:
    text = " ".join((label or "").split())
    if not text:
        raise ConsultError("a code needs a label")
    return text


def _log_code(conn, reviewer: str, question_id: str, code_id: str, action: str, before: Any, after: Any) -> None:
    log_event(conn, reviewer, "code", f"{question_id}:{code_id}", action, before, after)


def add_code(
    conn: sqlite3.Connection,
    question_id: str,
    label: str,
    reviewer: str,
    *,
    description: str = "",
    parent: str | None = None,
) -> str:
    """Add a code to a question's codebook; return its new id (a unique slug of the label)."""
    reviewer = check_reviewer(reviewer)
    label = _label(label)
    with transaction(conn):
        if conn.execute("SELECT 1 FROM questions WHERE id = ?", (question_id,)).fetchone() is None:
            raise ConsultError(f"no question {question_id!r}")
        rows = conn.execute("SELECT id, label, status FROM codes WHERE question_id = ?", (question_id,)).fetchall()
        if any(r["status"] == "active" and r["label"].casefold() == label.casefold() for r in rows):
            raise ConsultError(f"question {question_id} already has a code labelled {label!r}")
        if parent:
            _code(conn, question_id, parent)
        code_id = _unique_slug(slugify(label), {r["id"] for r in rows})
        position = conn.execute(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM codes WHERE question_id = ? AND builtin = 0", (question_id,)
        ).fetchone()[0]
        conn.execute(
            "INSERT INTO codes (question_id, id, label, description, parent, position, source)"
            " VALUES (?, ?, ?, ?, ?, ?, 'reviewer')",
            (question_id, code_id, label, description.strip(), parent or None, position),
        )
        _log_code(conn, reviewer, question_id, code_id, "add", None,
                  _public(_code(conn, question_id, code_id)))
    return code_id


def _unique_slug(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def edit_code(
    conn: sqlite3.Connection,
    question_id: str,
    code_id: str,
    reviewer: str,
    *,
    label: str | None = None,
    description: str | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Rename and/or describe a code (its id never changes); return the code as it is now."""
    reviewer = check_reviewer(reviewer)
    with transaction(conn):
        code = _code(conn, question_id, code_id)
        _check_version(code, expected_version)
        changes: dict[str, str] = {}
        if label is not None and _label(label) != code["label"]:
            new_label = _label(label)
            clash = conn.execute(
                "SELECT 1 FROM codes WHERE question_id = ? AND id != ? AND status = 'active' AND lower(label) = lower(?)",
                (question_id, code_id, new_label),
            ).fetchone()
            if clash:
                raise ConsultError(f"question {question_id} already has a code labelled {new_label!r}")
            changes["label"] = new_label
        if description is not None and description.strip() != code["description"]:
            changes["description"] = description.strip()
        if not changes:
            return code
        conn.execute(
            f"UPDATE codes SET {', '.join(f'{k} = ?' for k in changes)}, source = 'reviewer', version = version + 1"
            " WHERE question_id = ? AND id = ?",
            [*changes.values(), question_id, code_id],
        )
        after = _code(conn, question_id, code_id)
        action = "+".join(("rename" if k == "label" else "describe") for k in changes)
        _log_code(conn, reviewer, question_id, code_id, action, _public(code), _public(after))
        return after


def rename_code(conn, question_id: str, code_id: str, label: str, reviewer: str, *, expected_version: int | None = None):
    """Give a code a new label; its id stays."""
    return edit_code(conn, question_id, code_id, reviewer, label=label, expected_version=expected_version)


def describe_code(conn, question_id: str, code_id: str, description: str, reviewer: str, *, expected_version: int | None = None):
    """Give a code a new description."""
    return edit_code(conn, question_id, code_id, reviewer, description=description, expected_version=expected_version)


def _reassign(
    conn: sqlite3.Connection, question_id: str, old: str, new: Iterable[str] | Mapping[int, Iterable[str]] | None, reviewer: str
) -> int:
    """Replace ``old`` in every decided answer's codes; return how many answers changed.

    ``new`` is the replacement codes for all answers, or a mapping response id ->
    replacement codes (answers not in it keep ``old``).
    """
    changed = 0
    rows = conn.execute(
        "SELECT h.response_id FROM human_codes h JOIN responses r ON r.id = h.response_id"
        " JOIN review_state s ON s.response_id = h.response_id AND s.decided = 1"
        " WHERE r.question_id = ? AND h.code_id = ? ORDER BY h.response_id",
        (question_id, old),
    ).fetchall()
    for (rid,) in rows:
        if isinstance(new, Mapping):
            if rid not in new:
                continue
            replacement = set(new[rid])
        else:
            replacement = set(new or ())
        state = answer_state(conn, rid)
        assert state is not None
        codes = (set(state.human_codes) - {old}) | replacement
        update_answer(conn, rid, reviewer, codes=codes)
        changed += 1
    return changed


def merge_codes(conn: sqlite3.Connection, question_id: str, sources: Sequence[str], into: str, reviewer: str) -> int:
    """Merge ``sources`` into the code ``into``; their answers move to it. Return answers moved."""
    reviewer = check_reviewer(reviewer)
    sources = [s for s in dict.fromkeys(sources) if s != into]
    if not sources:
        raise ConsultError("choose at least one code to merge into another")
    with transaction(conn):
        target = _code(conn, question_id, into)
        if target["status"] != "active":
            raise ConsultError(f"code {into!r} is not active")
        moved = 0
        for src in sources:
            code = _code(conn, question_id, src)
            if code["status"] != "active":
                raise ConsultError(f"code {src!r} is not active")
            if code["builtin"]:
                raise ConsultError(f"the built-in code {src!r} cannot be merged away")
            moved += _reassign(conn, question_id, src, [into], reviewer)
            conn.execute(
                "UPDATE codes SET status = 'merged', merged_into = ?, source = 'reviewer', version = version + 1"
                " WHERE question_id = ? AND id = ?",
                (into, question_id, src),
            )
            conn.execute("UPDATE codes SET parent = ? WHERE question_id = ? AND parent = ?", (into, question_id, src))
            _log_code(conn, reviewer, question_id, src, "merge", _public(code), _public(_code(conn, question_id, src)))
        return moved


def split_code(
    conn: sqlite3.Connection,
    question_id: str,
    code_id: str,
    labels: Sequence[str],
    reviewer: str,
    *,
    assign: Mapping[int, Iterable[str]] | None = None,
) -> list[str]:
    """Split a code into new child codes (one per label); return their ids.

    The original code stays as their parent, so answers not yet moved keep a
    valid, coarser code; ``assign`` (response id -> new code ids) moves answers
    to the new codes straight away.
    """
    reviewer = check_reviewer(reviewer)
    labels = [_label(l) for l in labels if l and l.strip()]
    if len(labels) < 2:
        raise ConsultError("splitting a code needs at least two new labels")
    with transaction(conn):
        code = _code(conn, question_id, code_id)
        if code["status"] != "active":
            raise ConsultError(f"code {code_id!r} is not active")
        new_ids = [
            add_code(conn, question_id, label, reviewer, description=f"Split from {code['label']}.", parent=code_id)
            for label in labels
        ]
        moved = 0
        if assign:
            for rid, ids in assign.items():
                unknown = set(ids) - set(new_ids)
                if unknown:
                    raise ConsultError(f"answer {rid}: {', '.join(sorted(unknown))} are not codes of this split")
            moved = _reassign(conn, question_id, code_id, {int(k): list(v) for k, v in assign.items()}, reviewer)
        conn.execute("UPDATE codes SET version = version + 1 WHERE question_id = ? AND id = ?", (question_id, code_id))
        after = dict(_public(_code(conn, question_id, code_id)), split_into=new_ids, answers_moved=moved)
        _log_code(conn, reviewer, question_id, code_id, "split", _public(code), after)
        return new_ids


SPLIT_CHOICES = ("keep", "move", "both")


def split_code_answers(
    conn: sqlite3.Connection,
    question_id: str,
    code_id: str,
    label: str,
    reviewer: str,
    choices: Mapping[int, str],
    *,
    description: str | None = None,
    versions: Mapping[int, int] | None = None,
    expected_version: int | None = None,
) -> str:
    """Split code A (``code_id``) into A and a new code B labelled ``label``; return B's id.

    ``choices`` maps answers now coded A to 'keep' (A stays), 'move' (A is replaced by B)
    or 'both' (B is added); unlisted answers keep A. Each changed answer becomes a person's
    decision. ``versions`` (response id -> answer version) and ``expected_version`` (A's)
    refuse the split when someone changed them meanwhile. All of it is one transaction.
    """
    reviewer = check_reviewer(reviewer)
    unknown = sorted({str(c) for c in choices.values()} - set(SPLIT_CHOICES))
    if unknown:
        raise ConsultError(f"unknown choice {', '.join(map(repr, unknown))}; use keep, move or both")
    with transaction(conn):
        code = _code(conn, question_id, code_id)
        if code["status"] != "active":
            raise ConsultError(f"code {code_id!r} is not active")
        _check_version(code, expected_version)
        new_id = add_code(conn, question_id, label, reviewer, parent=code["parent"],
                          description=description.strip() if description and description.strip()
                          else f"Split from {code['label']}.")
        done = {"move": 0, "both": 0}
        for rid, choice in sorted((int(k), str(v)) for k, v in choices.items()):
            if choice == "keep":
                continue
            state = answer_state(conn, rid)
            if state is None or state.question_id != question_id:
                raise ConsultError(f"question {question_id} has no answer {rid}")
            expected = versions.get(rid) if versions else None
            if expected is not None and int(expected) != state.version:
                raise VersionConflict("answer", rid, int(expected), state, state.reviewer)
            if code_id not in state.final_codes:
                raise ConsultError(f"answer {rid} is no longer coded {code['label']!r}; reload the page")
            new = (set(state.final_codes) - ({code_id} if choice == "move" else set())) | {new_id}
            update_answer(conn, rid, reviewer, expected_version=state.version, codes=new)
            done[choice] += 1
        conn.execute("UPDATE codes SET version = version + 1 WHERE question_id = ? AND id = ?", (question_id, code_id))
        after = dict(_public(_code(conn, question_id, code_id)), split_into=[new_id],
                     answers_moved=done["move"], answers_both=done["both"])
        _log_code(conn, reviewer, question_id, code_id, "split", _public(code), after)
        return new_id


def delete_code(
    conn: sqlite3.Connection, question_id: str, code_id: str, reviewer: str, *, reassign_to: str | None = None
) -> int:
    """Delete a code; its answers move to ``reassign_to`` (or just lose the code). Return answers changed."""
    reviewer = check_reviewer(reviewer)
    with transaction(conn):
        code = _code(conn, question_id, code_id)
        if code["status"] != "active":
            raise ConsultError(f"code {code_id!r} is not active")
        if code["builtin"]:
            raise ConsultError(f"the built-in code {code_id!r} cannot be deleted")
        if reassign_to == code_id:
            raise ConsultError("a code cannot be reassigned to itself")
        if reassign_to:
            target = _code(conn, question_id, reassign_to)
            if target["status"] != "active":
                raise ConsultError(f"code {reassign_to!r} is not active")
        moved = _reassign(conn, question_id, code_id, [reassign_to] if reassign_to else [], reviewer)
        conn.execute(
            "UPDATE codes SET status = 'deleted', merged_into = ?, source = 'reviewer', version = version + 1"
            " WHERE question_id = ? AND id = ?",
            (reassign_to or None, question_id, code_id),
        )
        conn.execute("UPDATE codes SET parent = ? WHERE question_id = ? AND parent = ?",
                     (code["parent"], question_id, code_id))
        _log_code(conn, reviewer, question_id, code_id, "delete", _public(code),
                  dict(_public(_code(conn, question_id, code_id)), answers_moved=moved))
        return moved


# --------------------------------------------------------------------------- duplicate groups
#
# A decision is a row of ``dedupe_overrides`` in the vocabulary consult.pipeline.stage_dedupe
# reapplies on every re-run: 'not-duplicate', or 'group:<group id>' to put the answer in that
# group (created if the analysis no longer makes it). Confirming a group records
# 'group:<its id>' for every member, so the grouping no longer depends on the thresholds;
# merging B into A records 'group:<A>' for every member of B. Each changed answer gets an
# event (entity 'dedupe'), and confirm and merge also one on the group ('dedupe-group').

NEW_GROUP = "new"


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
        row = conn.execute("SELECT reviewer FROM events WHERE id = ?", (current,)).fetchone()
        raise VersionConflict("answer", response_id, int(expected), current, row[0] if row else None)


def _check_group_version(conn: sqlite3.Connection, group_id: str, expected: int | None) -> None:
    if expected is None:
        return
    current = group_version(conn, group_id)
    if int(expected) != current:
        row = conn.execute("SELECT reviewer FROM events WHERE id = ?", (current,)).fetchone()
        raise VersionConflict("group", group_id, int(expected), current, row[0] if row else None)


def _decide(conn: sqlite3.Connection, reviewer: str, m: Membership, group: str | None, action: str) -> bool:
    """Record the decision putting answer ``m`` in ``group`` (None: in no group); False if already so."""
    if m.decision is not None and m.group == group:
        return False
    decision = NOT_DUPLICATE if group is None else f"{GROUP_PREFIX}{group}"
    conn.execute(
        "INSERT INTO dedupe_overrides (response_id, decision, reviewer, at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(response_id) DO UPDATE SET decision = excluded.decision, reviewer = excluded.reviewer,"
        " at = excluded.at",
        (m.response_id, decision, reviewer, now()),
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
            group_id = _unique_slug(f"{question_id}:rev-{ids[0]}", known)
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


__all__ = [
    "VersionConflict", "check_reviewer", "update_answer", "set_codes", "mark_reviewed", "set_quote",
    "add_redaction", "remove_redaction", "find_spans", "normalise_spans", "add_code", "edit_code",
    "rename_code", "describe_code", "merge_codes", "split_code", "split_code_answers", "delete_code", "code_map",
    "SPLIT_CHOICES", "NEW_GROUP", "confirm_group", "not_duplicate", "move_to_group", "merge_groups",
]
