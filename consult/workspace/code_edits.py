"""Reviewers' edits of a question's codebook: add, rename, describe, merge, split, delete.

Codes carry a ``version`` (``codes.version``); an edit made against an old
version raises :class:`~consult.workspace.answers.VersionConflict`. Answers a
person coded move with their codes (each an audited change of the answer); the
model's suggestions follow merges and reassignments through ``code_targets``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from consult.codebook import slugify, unique_id
from consult.errors import ConsultError
from consult.workspace.answers import VersionConflict, answer_state, check_reviewer, update_answer
from consult.workspace.codes import code as _code
from consult.workspace.db import select_in, transaction
from consult.workspace.events import log_event


@dataclass(frozen=True)
class Moved:
    """What merging or deleting codes did to the answers' final codes: the counts the code lists show.

    ``answers``: answers that had one of the codes (by a person's decision or the model's); ``gained``: of
    them, answers that now count towards ``target`` and did not before; ``decided``: answers whose
    person's decision was rewritten (each an audited change of the answer); ``target_before`` and
    ``target_after``: answers coded ``target`` before and after (None when the answers go nowhere).
    """

    answers: int
    gained: int
    decided: int
    target: str | None = None
    target_before: int | None = None
    target_after: int | None = None


def _coded(conn: sqlite3.Connection, question_id: str, code_ids: Sequence[str]) -> set[int]:
    """The answers whose final codes include any of ``code_ids`` (the final_codes view, as the lists count)."""
    return {r[0] for r in select_in(
        conn, "SELECT DISTINCT response_id FROM final_codes WHERE question_id = ? AND code_id IN ({marks})",
        list(code_ids), before=[question_id])}


def _moved(conn: sqlite3.Connection, question_id: str, sources: Sequence[str], target: str | None,
           edit: Any) -> tuple[Moved, Any]:
    """Run ``edit()`` (which rewrites ``decided`` answers, returned first) and count what it did to the final codes."""
    had = _coded(conn, question_id, sources)
    before = _coded(conn, question_id, [target]) if target else set()
    decided, result = edit()
    if not target:
        return Moved(len(had), 0, decided), result
    after = _coded(conn, question_id, [target])
    return Moved(len(had), len(had - before), decided, target, len(before), len(after)), result


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
        code_id = unique_id(slugify(label), {r["id"] for r in rows})
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


def merge_codes(conn: sqlite3.Connection, question_id: str, sources: Sequence[str], into: str, reviewer: str) -> Moved:
    """Merge ``sources`` into the code ``into``; their answers move to it. Return what moved (:class:`Moved`)."""
    reviewer = check_reviewer(reviewer)
    sources = [s for s in dict.fromkeys(sources) if s != into]
    if not sources:
        raise ConsultError("choose at least one code to merge into another")
    with transaction(conn):
        target = _code(conn, question_id, into)
        if target["status"] != "active":
            raise ConsultError(f"code {into!r} is not active")
        for src in sources:
            code = _code(conn, question_id, src)
            if code["status"] != "active":
                raise ConsultError(f"code {src!r} is not active")
            if code["builtin"]:
                raise ConsultError(f"the built-in code {src!r} cannot be merged away")

        def edit() -> tuple[int, None]:
            decided = 0
            for src in sources:
                code = _code(conn, question_id, src)
                decided += _reassign(conn, question_id, src, [into], reviewer)
                conn.execute(
                    "UPDATE codes SET status = 'merged', merged_into = ?, source = 'reviewer', version = version + 1"
                    " WHERE question_id = ? AND id = ?",
                    (into, question_id, src),
                )
                conn.execute("UPDATE codes SET parent = ? WHERE question_id = ? AND parent = ?", (into, question_id, src))
                _log_code(conn, reviewer, question_id, src, "merge", _public(code),
                          _public(_code(conn, question_id, src)))
            return decided, None

        moved, _ = _moved(conn, question_id, sources, into, edit)
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
) -> Moved:
    """Delete a code; its answers move to ``reassign_to`` (or just lose the code). Return what moved (:class:`Moved`)."""
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

        def edit() -> tuple[int, None]:
            decided = _reassign(conn, question_id, code_id, [reassign_to] if reassign_to else [], reviewer)
            conn.execute(
                "UPDATE codes SET status = 'deleted', merged_into = ?, source = 'reviewer', version = version + 1"
                " WHERE question_id = ? AND id = ?",
                (reassign_to or None, question_id, code_id),
            )
            conn.execute("UPDATE codes SET parent = ? WHERE question_id = ? AND parent = ?",
                         (code["parent"], question_id, code_id))
            return decided, None

        moved, _ = _moved(conn, question_id, [code_id], reassign_to, edit)
        _log_code(conn, reviewer, question_id, code_id, "delete", _public(code),
                  dict(_public(_code(conn, question_id, code_id)), answers_moved=moved.decided,
                       answers_changed=moved.answers))
        return moved
