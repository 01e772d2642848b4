"""Reviewers' edits of a question's codebook: add, rename, describe, merge, split, delete.

Codes carry a ``version`` (``codes.version``); an edit made against an old
version raises :class:`~consult.workspace.answers.VersionConflict`. Answers a
person coded move with their codes (each an audited change of the answer); the
model's suggestions follow merges and reassignments through ``code_targets``.

One source of truth: once ``consult analyse`` has read a question's codebook file
(:func:`reconcile_codebook`), every edit here is written back to that file in the
edit's transaction (comments kept, an audited ``codebook`` event), and an edit is
refused when the file changed since the workspace last read or wrote it. The next
``consult analyse`` merges changes made on either side, code by code, and refuses
(naming the codes) when the same code changed on both.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from consult.codebook import (
    Code, Codebook, check_unchanged, dump_codebook, file_sha256, load_codebook, slugify, unique_id,
    write_codebook_file,
)
from consult.errors import ConsultError
from consult.workspace.answers import VersionConflict, answer_state, check_reviewer, update_answer
from consult.workspace.codes import code as _code
from consult.workspace.codes import sync_codebook, workspace_codes
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


# --------------------------------------------------------------------------- the codebook file


def _meta(conn: sqlite3.Connection, question_id: str) -> dict[str, str]:
    """What the workspace knows of a question's codebook file: ``file``, its ``sha256`` and the ``base``
    codebook (YAML) both sides agreed on when it was last read or written."""
    keys = {f"codebook-{k}:{question_id}": k for k in ("file", "sha256", "base")}
    return {keys[r[0]]: r[1] for r in select_in(
        conn, "SELECT key, value FROM workspace_meta WHERE key IN ({marks})", list(keys))}


def _set_meta(conn: sqlite3.Connection, question_id: str, **values: str | None) -> None:
    for k, v in values.items():
        key = f"codebook-{k}:{question_id}"
        if v is None:
            conn.execute("DELETE FROM workspace_meta WHERE key = ?", (key,))
        else:
            conn.execute("INSERT INTO workspace_meta (key, value) VALUES (?, ?)"
                         " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, v))


def codebook_file(conn: sqlite3.Connection, question_id: str) -> Path | None:
    """The codebook file the workspace's edits of this question are written to (None: edits stay in the workspace)."""
    f = _meta(conn, question_id).get("file")
    return Path(f) if f else None


def workspace_codebook(conn: sqlite3.Connection, question_id: str) -> Codebook:
    """The question's active workspace codes as a :class:`Codebook` (what the file should say)."""
    return Codebook(question=question_id, codes=tuple(workspace_codes(conn, question_id)))


@contextmanager
def _editing(conn: sqlite3.Connection, question_id: str, reviewer: str) -> Iterator[None]:
    """One codebook edit: a transaction that, when it is the outermost, first refuses if the codebook file
    changed underneath the workspace, and last writes the edited codebook back to the file (atomically,
    audited). A failed write rolls the edit back."""
    outer = not conn.in_transaction
    with transaction(conn):
        meta = _meta(conn, question_id) if outer else {}
        if meta.get("file"):
            check_unchanged(Path(meta["file"]), meta.get("sha256"))
        yield
        if meta.get("file"):
            _write_back(conn, question_id, reviewer, meta, "write")


def _write_back(conn: sqlite3.Connection, question_id: str, who: str, meta: Mapping[str, str], action: str,
                book: Codebook | None = None) -> bool:
    """Write the workspace codebook (or ``book``) to the linked file when it differs from the agreed base."""
    book = book or workspace_codebook(conn, question_id)
    base = dump_codebook(book)
    if base == meta.get("base"):
        return False
    path = Path(meta["file"])
    sha = write_codebook_file(path, book, expected_sha256=meta.get("sha256"))
    _set_meta(conn, question_id, sha256=sha, base=base)
    log_event(conn, who, "codebook", question_id, action, {"file": str(path), "sha256": meta.get("sha256")},
              {"file": str(path), "sha256": sha})
    return True


def _own(book: Codebook) -> dict[str, Code]:
    return {c.id: c for c in book.codes if not c.builtin}


def _same(a: Code | None, b: Code | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a.to_dict() == b.to_dict())


def reconcile_codebook(conn: sqlite3.Connection, question_id: str, path: str | Path,
                       *, who: str = "consult analyse") -> list[str]:
    """Bring a question's workspace codes and its codebook file together; return notes for the run log.

    Code by code against the codebook both last agreed on: a change made only in the file comes into
    the workspace, a change made only in the review app goes into the file (comments kept), and a code
    changed on both sides is a ConsultError naming it, with nothing changed. A workspace from before
    write-back has no agreed codebook: its codes reviewers edited count as changed in the app, the
    others as the file last said. From then on the app writes its edits to this file.
    """
    path = Path(path)
    book = load_codebook(path)
    sha = file_sha256(path)
    notes: list[str] = []
    with transaction(conn):
        rows = {r["id"]: r for r in conn.execute("SELECT * FROM codes WHERE question_id = ?", (question_id,))}
        meta = _meta(conn, question_id)
        if not rows:
            sync_codebook(conn, question_id, book)
            _set_meta(conn, question_id, file=str(path), sha256=sha, base=dump_codebook(workspace_codebook(conn, question_id)))
            return notes
        file, ws = _own(book), _own(workspace_codebook(conn, question_id))
        if meta.get("base") is not None:
            base = _own(Codebook.from_dict(yaml.safe_load(meta["base"]), question=question_id))
        else:  # before write-back: reviewers' edits were kept over the file, the rest followed the file
            base = {cid: (ws.get(cid) if rows[cid]["source"] == "file" else file.get(cid))
                    for cid in rows if not rows[cid]["builtin"]}
        merged: dict[str, Code | None] = {}
        both, from_file, from_app = [], [], []
        for cid in [*file, *(c for c in ws if c not in file), *(c for c in base if c not in file and c not in ws)]:
            b, f, w = base.get(cid), file.get(cid), ws.get(cid)
            if _same(f, w):
                merged[cid] = f
            elif _same(f, b):
                merged[cid] = w
                from_app.append(cid)
            elif _same(w, b):
                merged[cid] = f
                from_file.append(cid)
            else:
                both.append(cid)
        if both:
            raise ConsultError(
                f"{path}: {_codes_words(both)} changed both in this file and in the review app since the last run; "
                "make the two agree (edit the file, or the code in the app) and run again; nothing was changed")
        result = Codebook(question=question_id, codes=tuple(c for c in merged.values() if c is not None),
                          title=book.title)
        for cid in from_file:
            _take_from_file(conn, question_id, cid, merged[cid], rows.get(cid))
        for pos, cid in enumerate(c.id for c in result.codes if not c.builtin):
            conn.execute("UPDATE codes SET position = ? WHERE question_id = ? AND id = ?", (pos, question_id, cid))
        if from_file:
            notes.append(f"{question_id}: codebook changes from {path.name} brought into the workspace: "
                         + _codes_words(from_file))
        meta = {"file": str(path), "sha256": sha, "base": meta.get("base") or dump_codebook(book)}
        _set_meta(conn, question_id, file=str(path), sha256=sha)
        if from_app and _write_back(conn, question_id, who, meta, "sync", result):
            notes.append(f"{question_id}: codebook edits made in the review app written into {path.name}: "
                         + _codes_words(from_app))
        _set_meta(conn, question_id, base=dump_codebook(result))
    return notes


def _codes_words(ids: Sequence[str]) -> str:
    return ("code " if len(ids) == 1 else "codes ") + ", ".join(repr(i) for i in ids)


def _take_from_file(conn: sqlite3.Connection, question_id: str, cid: str, code: Code | None, row: Any) -> None:
    """Make the workspace code ``cid`` what the file says (``code`` None: the file no longer has it)."""
    if code is None:
        if row is not None and row["status"] == "active":
            conn.execute("UPDATE codes SET status = 'deleted', source = 'file', version = version + 1"
                         " WHERE question_id = ? AND id = ?", (question_id, cid))
        return
    values = (code.label, code.description, json.dumps(list(code.examples), ensure_ascii=False),
              json.dumps(list(code.counter_examples), ensure_ascii=False), code.parent, code.colour)
    if row is None:
        conn.execute(
            "INSERT INTO codes (question_id, id, label, description, examples_json, counter_examples_json,"
            " parent, colour) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (question_id, cid, *values))
    else:
        conn.execute(
            "UPDATE codes SET label = ?, description = ?, examples_json = ?, counter_examples_json = ?, parent = ?,"
            " colour = ?, status = 'active', merged_into = NULL, source = 'file', version = version + 1"
            " WHERE question_id = ? AND id = ?", (*values, question_id, cid))


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
    with _editing(conn, question_id, reviewer):
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
    with _editing(conn, question_id, reviewer):
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
    with _editing(conn, question_id, reviewer):
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
    with _editing(conn, question_id, reviewer):
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
    with _editing(conn, question_id, reviewer):
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
    with _editing(conn, question_id, reviewer):
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
