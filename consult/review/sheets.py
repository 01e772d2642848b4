"""Spreadsheet round trip: export answers for coding in Excel/LibreOffice, import the coding back.

The export has a sheet per question (one row per answer, a "Yes"/blank column
per active code, a reviewed column) and a hidden, protected ``_meta`` sheet with
each answer's text hash and version, so an import can tell edited answer text and
answers changed in the workspace since the export.
"""

from __future__ import annotations

import io

import hashlib
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
from consult.workspace.db import transaction

META = "_meta"
FIXED = ("response_id", "respondent_group", "closed_answer", "answer_text")
REVIEWED = "reviewed"
YES = "Yes"
FORMAT = "consult-review-1"


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
    meta.append(["format", FORMAT])
    meta.append(["sheet", "question_id", "response_id", "text_sha256", "version"])
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
            meta.append([title, q["id"], r["id"], text_digest(r["text"]), r["version"]])
        if rows:
            dv = DataValidation(type="list", formula1=f'"{YES}"', allow_blank=True)
            dv.error, dv.errorTitle = "Choose Yes or leave blank", "Yes or blank"
            ws.add_data_validation(dv)
            dv.add(f"{get_column_letter(len(FIXED) + 1)}2:{get_column_letter(len(headers))}{n}")
    meta.sheet_state = "veryHidden"
    meta.protection.password = secrets.token_hex(8)
    meta.protection.sheet = True
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(path, buf.getvalue())
    return path


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
    columns, edited answer text, duplicated rows, unknown answers, answers changed
    in the workspace since the export); then nothing is applied.
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


def _import(conn: sqlite3.Connection, wb, path: Path, reviewer: str) -> ImportSummary:
    if META not in wb.sheetnames:
        raise ConsultError("not a consult review export (no _meta sheet)", file=path)
    meta: dict[tuple[str, int], tuple[str, str, int]] = {}
    for i, row in enumerate(wb[META].iter_rows(values_only=True)):
        if i < 2 or not row or row[0] is None:
            continue
        try:
            meta[(str(row[0]), int(row[2]))] = (str(row[1]), str(row[3]), int(row[4] or 0))
        except (TypeError, ValueError, IndexError):
            raise ConsultError("the _meta sheet is damaged; export again", file=path) from None
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
            try:
                rid = int(row[0])
            except (TypeError, ValueError):
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
