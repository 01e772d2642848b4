"""Spreadsheet round trip: export answers for coding in Excel/LibreOffice, import the coding back.

The export has a sheet per question (one row per answer, a "Yes"/blank column
per active code, a reviewed column) and a hidden, protected ``_meta`` sheet with
each answer's text hash and version, so an import can tell edited answer text and
answers changed in the workspace since the export. Sheet protection only stops
casual edits, so ``_meta`` also carries an HMAC made with the workspace's own
secret: an import refuses a ``_meta`` that was changed, or that another
workspace wrote.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import secrets
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from consult.errors import ConsultError
from consult.files import atomic_write_bytes, open_workbook
from consult.workspace import answers
from consult.workspace.answers import check_reviewer, update_answer
from consult.workspace.codes import codes as workspace_codes
from consult.workspace.codes import final_codes
from consult.workspace.db import secret, transaction

META = "_meta"
FIXED = ("response_id", "respondent_group", "closed_answer", "answer_text")
REVIEWED = "reviewed"
YES = "Yes"
FORMAT = "consult-review-2"  # 2: _meta is signed
MAC = "hmac-sha256"
META_HEADER = ("sheet", "question_id", "response_id", "text_sha256", "version")
SQLITE_INTEGERS = (-(2**63), 2**63 - 1)
_WHOLE = re.compile(r"-?[0-9]{1,20}")

MetaRow = tuple[str, str, int, str, int]  # sheet, question id, response id, text hash, version


def meta_mac(key: bytes, rows: list[MetaRow]) -> str:
    """HMAC-SHA256 (hex) of the export format and the ``_meta`` rows, in a canonical JSON.

    The rows are sorted, so the signature does not depend on their order in the sheet.
    """
    body = json.dumps({"format": FORMAT, "rows": sorted(rows)}, ensure_ascii=True, separators=(",", ":"))
    return hmac.new(key, body.encode("ascii"), hashlib.sha256).hexdigest()


def whole_number(value) -> int | None:  # noqa: ANN001 - a cell value
    """A cell value that is exactly a whole number SQLite can hold, else None.

    An int, a float with no fraction (and small enough to be exact), or plain ASCII digits; never
    a bool, a truncated float, '+1', ' 1' or other scripts' digits.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer() or abs(value) > 2**53:
            return None
        value = int(value)
    elif isinstance(value, str):
        if not _WHOLE.fullmatch(value):
            return None
        value = int(value)
    if not isinstance(value, int):
        return None
    return value if SQLITE_INTEGERS[0] <= value <= SQLITE_INTEGERS[1] else None


def cell_text(text: str | None) -> str:
    """The answer text as it is written to a cell (characters XLSX cannot hold removed)."""
    return ILLEGAL_CHARACTERS_RE.sub("", text or "")


def text_digest(text: str | None) -> str:
    """SHA-256 of the text as written to the sheet."""
    return hashlib.sha256(cell_text(text).replace("\r\n", "\n").encode("utf-8")).hexdigest()


def _sheet_title(question_id: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", question_id)[:31] or "question"
    title, n = base, 2
    while title.lower() in taken or title == META:
        suffix = f"~{n}"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _text_cell(ws, row: int, col: int, value: str | None):
    cell = ws.cell(row=row, column=col)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, even when the answer starts with "="
    return cell


def export_xlsx(conn: sqlite3.Connection, path: str | Path) -> Path:
    """Write every question with answer text to an XLSX workbook at ``path``; return the path."""
    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    meta = wb.create_sheet(META)
    signed: list[MetaRow] = []
    _text_row(meta, 1, ["format", FORMAT, MAC, ""])  # the MAC goes in D1 once every row is known
    _text_row(meta, 2, list(META_HEADER))
    taken: set[str] = set()
    for q in answers.questions(conn):
        if not q["with_text"]:
            continue
        codes = workspace_codes(conn, q["id"])
        title = _sheet_title(q["id"], taken)
        ws = wb.create_sheet(title)
        headers = [*FIXED, *(c["id"] for c in codes), REVIEWED]
        for col, h in enumerate(headers, start=1):
            cell = _text_cell(ws, 1, col, h)
            cell.font = Font(bold=True)
        for col, c in enumerate(codes, start=len(FIXED) + 1):
            ws.cell(row=1, column=col).comment = Comment(cell_text(c["label"]), "consult")
        ws.freeze_panes = "E2"
        ws.column_dimensions["D"].width = 80
        rows = answers.export_rows(conn, q["id"])
        finals = _final_codes(conn, q["id"])
        n = 1
        for n, r in enumerate(rows, start=2):
            ws.cell(row=n, column=1, value=r["id"])
            _text_cell(ws, n, 2, cell_text(r["grp"]) if r["grp"] else None)
            _text_cell(ws, n, 3, cell_text(r["option"]) if r["option"] else None)
            _text_cell(ws, n, 4, cell_text(r["text"])).alignment = Alignment(wrap_text=True, vertical="top")
            have = finals.get(r["id"], set())
            for col, c in enumerate(codes, start=len(FIXED) + 1):
                if c["id"] in have:
                    ws.cell(row=n, column=col, value=YES)
            if r["reviewed"]:
                ws.cell(row=n, column=len(headers), value=YES)
            signed.append((title, q["id"], r["id"], text_digest(r["text"]), r["version"]))
            _text_row(meta, len(signed) + 2, list(signed[-1]))
        if rows:
            dv = DataValidation(type="list", formula1=f'"{YES}"', allow_blank=True)
            dv.error, dv.errorTitle = "Choose Yes or leave blank", "Yes or blank"
            ws.add_data_validation(dv)
            dv.add(f"{get_column_letter(len(FIXED) + 1)}2:{get_column_letter(len(headers))}{n}")
    _text_cell(meta, 1, 4, meta_mac(secret(conn), signed))
    meta.sheet_state = "veryHidden"
    meta.protection.password = secrets.token_hex(8)
    meta.protection.sheet = True
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(path, buf.getvalue())
    return path


def _text_row(ws, row: int, values: list) -> None:  # noqa: ANN001 - openpyxl worksheet
    for col, value in enumerate(values, start=1):
        _text_cell(ws, row, col, value)


def _final_codes(conn: sqlite3.Connection, question_id: str) -> dict[int, set[str]]:
    return {rid: set(codes) for rid, codes in final_codes(conn, question_id=question_id).items()}


@dataclass
class ImportSummary:
    """What an import changed."""

    sheets: int = 0
    rows: int = 0
    decisions: int = 0
    reviewed_changes: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return (f"{self.rows} rows in {self.sheets} sheets: {self.decisions} coding decisions, "
                f"{self.reviewed_changes} reviewed flags changed, {self.unchanged} unchanged")


def _rows_text(rows: list[int]) -> str:
    rows = sorted(set(rows))
    shown = ", ".join(map(str, rows[:20])) + (f" and {len(rows) - 20} more" if len(rows) > 20 else "")
    return f"row{'s' if len(rows) > 1 else ''} {shown}"


def _flag(value, sheet: str, row: int, problems: dict) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    if isinstance(value, str) and value.strip().lower() in {"yes", "y", "x", "1", "true"}:
        return True
    if value is True or value == 1:
        return True
    problems[(sheet, "cells must be 'Yes' or empty")].append(row)
    return None


def import_xlsx(conn: sqlite3.Connection, path: str | Path, reviewer: str) -> ImportSummary:
    """Apply the coding in an exported workbook as decisions by ``reviewer``, all or nothing.

    Raises ConsultError naming the sheets and rows of every problem (unknown code
    columns, edited answer text, duplicated rows, unknown or inexact response ids,
    answers changed in the workspace since the export), or saying that the ``_meta``
    sheet fails its signature (edited, or exported by another workspace); then
    nothing is applied.
    """
    reviewer = check_reviewer(reviewer)
    path = Path(path)
    if not path.is_file():
        raise ConsultError("file not found", file=path)
    wb = open_workbook(path)
    try:
        return _import(conn, wb, path, reviewer)
    finally:
        wb.close()


def _worksheet(wb, title: str):  # noqa: ANN001, ANN202 - openpyxl workbook and worksheet
    """The sheet ``title`` when it holds cells (not a chart), else None."""
    ws = wb[title]
    return ws if hasattr(ws, "iter_rows") else None


def _trimmed(row) -> list:  # noqa: ANN001 - a row of cell values
    values = list(row or ())
    while values and values[-1] is None:
        values.pop()
    return values


def _read_meta(conn: sqlite3.Connection, wb, path: Path) -> dict[tuple[str, int], tuple[str, str, int]]:  # noqa: ANN001
    """The signed ``_meta`` rows by (sheet, response id); ConsultError unless intact and signed by this workspace."""
    if META not in wb.sheetnames:
        raise ConsultError("not a consult review export (no _meta sheet)", file=path)
    ws = _worksheet(wb, META)
    if ws is None:
        raise ConsultError(f"sheet {META}: not a worksheet; export again; nothing was imported", file=path)
    rows = [_trimmed(r) for r in ws.iter_rows(values_only=True)]
    tampered = ConsultError(
        "the _meta sheet does not match its signature (it was changed, or another workspace exported this "
        "file); export again; nothing was imported", file=path)
    head = rows[0] if rows else []
    if head[:2] == ["format", "consult-review-1"]:
        raise ConsultError("the _meta sheet is from an older export without a signature; export again; "
                           "nothing was imported", file=path)
    if len(head) != 4 or head[:3] != ["format", FORMAT, MAC] or not isinstance(head[3], str):
        raise tampered
    if len(rows) < 2 or tuple(rows[1]) != META_HEADER:
        raise tampered
    signed: list[MetaRow] = []
    for row in rows[2:]:
        if not row:
            continue
        if len(row) != 5 or not all(isinstance(v, t) and not isinstance(v, bool)
                                    for v, t in zip(row, (str, str, int, str, int))):
            raise tampered
        signed.append(tuple(row))
    given = head[3].encode("utf-8", "surrogatepass")
    if not hmac.compare_digest(meta_mac(secret(conn), signed).encode("ascii"), given):
        raise tampered
    meta = {(sheet, rid): (qid, digest, version) for sheet, qid, rid, digest, version in signed}
    if len(meta) != len(signed):
        raise tampered  # signed, yet one answer twice on a sheet: not something export writes
    return meta


def _import(conn: sqlite3.Connection, wb, path: Path, reviewer: str) -> ImportSummary:
    meta = _read_meta(conn, wb, path)
    problems: dict[tuple[str, str], list[int]] = defaultdict(list)
    errors: list[str] = []
    plans: list[tuple[int, set[str], bool, int]] = []  # response id, codes, reviewed, sheet row
    summary = ImportSummary()
    seen: dict[int, tuple[str, int]] = {}
    sheet_question = {s: q for (s, _), (q, _, _) in meta.items()}
    for title in wb.sheetnames:
        if title == META:
            continue
        question_id = sheet_question.get(title) or title
        if _worksheet(wb, title) is None:
            errors.append(f"sheet {title}: not a worksheet (a chart?); remove it")
            continue
        if answers.question(conn, question_id) is None:
            errors.append(f"sheet {title}: no question {question_id!r} in the workspace")
            continue
        summary.sheets += 1
        rows = wb[title].iter_rows(values_only=True)
        header = [("" if h is None else str(h).strip()) for h in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        if tuple(header[: len(FIXED)]) != FIXED or not header or header[-1] != REVIEWED:
            errors.append(f"sheet {title}: the header row must start {', '.join(FIXED)} and end {REVIEWED}")
            continue
        code_cols = header[len(FIXED):-1]
        active = {c["id"] for c in workspace_codes(conn, question_id)}
        unknown = [c for c in code_cols if c not in active]
        if unknown:
            errors.append(f"sheet {title}: unknown code{'s' if len(unknown) > 1 else ''} "
                          + ", ".join(repr(c) for c in unknown) + " (column header not in the codebook)")
            continue
        dupes = [c for c in set(code_cols) if code_cols.count(c) > 1]
        if dupes:
            errors.append(f"sheet {title}: code column{'s' if len(dupes) > 1 else ''} repeated: {', '.join(sorted(dupes))}")
            continue
        finals = _final_codes(conn, question_id)
        for n, row in enumerate(rows, start=2):
            row = list(row) + [None] * (len(header) - len(row))
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row[: len(header)]):
                continue
            summary.rows += 1
            rid = whole_number(row[0])
            if rid is None:
                problems[(title, "no valid response_id")].append(n)
                continue
            if rid in seen:
                problems[(title, "duplicated rows (same response_id)")].append(n)
                if seen[rid][0] == title:
                    problems[(title, "duplicated rows (same response_id)")].append(seen[rid][1])
                continue
            seen[rid] = (title, n)
            current = answers.answer_state(conn, rid)
            if current is None or current.question_id != question_id or (title, rid) not in meta:
                problems[(title, "unknown response ids")].append(n)
                continue
            _, digest, version = meta[(title, rid)]
            if text_digest("" if row[3] is None else str(row[3])) != digest:
                problems[(title, "answer text changed")].append(n)
                continue
            if text_digest(current.text) != digest:
                problems[(title, "answer text changed in the workspace since the export")].append(n)
                continue
            flags = [_flag(v, title, n, problems) for v in row[len(FIXED): len(header)]]
            if any(f is None for f in flags):
                continue
            codes = {c for c, f in zip(code_cols, flags[:-1]) if f}
            # Codes not exported as columns (none normally) are kept as they are.
            codes |= finals.get(rid, set()) - set(code_cols)
            reviewed = bool(flags[-1])
            wants_change = codes != finals.get(rid, set()) or reviewed != current.reviewed
            if wants_change and current.version != version:
                problems[(title, f"changed in the workspace since the export (by {current.reviewer or 'someone'}); export again")].append(n)
                continue
            if not wants_change:
                summary.unchanged += 1
                continue
            plans.append((rid, codes, reviewed, n))
    for (title, what), rows in sorted(problems.items(), key=lambda kv: (kv[0][0], min(kv[1]))):
        errors.append(f"sheet {title}, {_rows_text(rows)}: {what}")
    if errors:
        raise ConsultError("; ".join(errors) + "; nothing was imported", file=path)
    with transaction(conn):
        for rid, codes, reviewed, _ in plans:
            before = answers.answer_state(conn, rid)
            assert before is not None
            after = update_answer(
                conn, rid, reviewer, codes=codes if codes != set(before.final_codes) else None, reviewed=reviewed
            )
            summary.decisions += int(after.decided and after.final_codes != before.final_codes)
            summary.reviewed_changes += int(after.reviewed != before.reviewed)
    return summary
