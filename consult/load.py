"""Loading: read a consultation's data file (CSV, XLSX or JSONL; wide or long) into the data model.

All validation happens here, before anything is written, so bad input stops the
run with one line naming the file, row and column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from consult.config import ROW_ID, Config, load_config
from consult.errors import ConsultError
from consult.files import MAX_CELL_CHARS, decode, open_workbook
from consult.model import Consultation, Question, Respondent, Response
from consult.progress import SILENT, Progress

TRUE_WORDS = ("yes", "y", "true", "1", "agree", "i agree", "consent")
FALSE_WORDS = ("no", "n", "false", "0", "do not", "don't", "confidential")


@dataclass
class Table:
    """Rows of a data file as text, with the spreadsheet row number of each (header = row 1)."""

    path: Path
    columns: list[str]
    rows: list[dict[str, str]]
    row_numbers: list[int]
    encoding: str = "utf-8"


def clean(value: object) -> str:
    """A cell as text: stray whitespace trimmed, Windows and old-Mac newlines made ``\\n``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    return "\n".join(line.strip() for line in text.strip().split("\n"))


def _header(columns: list[str], path: Path) -> list[str]:
    """Column names, cleaned; a repeated name gets " (2)", " (3)", ... (exports repeat "Please explain
    your answer" under every question)."""
    cols = [clean(c) for c in columns]
    taken = set(cols)
    seen: set[str] = set()
    for i, c in enumerate(cols):
        if not c:
            continue
        if c in seen:
            k = 2
            while f"{c} ({k})" in taken:
                k += 1
            cols[i] = f"{c} ({k})"
            taken.add(cols[i])
        seen.add(cols[i])
    return cols


def read_table(
    path: str | Path, *, encoding: str = "auto", sheet: str | None = None, header_rows: int = 1,
    progress: Progress = SILENT,
) -> Table:
    """Read a CSV, TSV, XLSX or JSONL file into text rows.

    ``header_rows`` rows at the top are not data; the first of them names the
    columns (Qualtrics puts the question text and import ids in rows 2 and 3).
    Row numbers stay those of the file.
    """
    path = Path(path)
    if path.is_dir():
        raise ConsultError("is a folder, not a data file", file=path)
    if not path.is_file():
        raise ConsultError("no such file", file=path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet, header_rows, progress)
    if suffix in (".jsonl", ".ndjson"):
        if header_rows != 1:
            raise ConsultError("header_rows does not apply to JSONL (each line names its fields)", file=path)
        return _read_jsonl(path, encoding, progress)
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_csv(path, encoding, header_rows, progress)
    raise ConsultError(f"unsupported file type {suffix!r}; use CSV, XLSX or JSONL", file=path)


def _delimiter(text: str, suffix: str) -> str:
    """The field separator: tab for TSV, else whichever of , ; or tab the header line uses most."""
    if suffix == ".tsv":
        return "\t"
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def _quote_fault(text: str, start: int, delimiter: str) -> tuple[int, int, str] | None:
    """Where the quoting of the record starting at ``start`` goes wrong.

    Returns (cell index of the quote that opened, line offset from the record's
    first line to where it went wrong, what went wrong) or ``None``.
    """
    field, i, n, line = 0, start, len(text), 0
    at_start = True
    while i < n:
        ch = text[i]
        if at_start and ch == '"':
            opened, j = field, i + 1
            while True:
                k = text.find('"', j)
                if k < 0:
                    return opened, line, "never closed"
                line_at = line + text.count("\n", i, k)
                nxt = text[k + 1] if k + 1 < n else ""
                if nxt == '"':
                    j = k + 2
                    continue
                if nxt in (delimiter, "\n", "\r", ""):
                    line, i = line_at, k + 1
                    break
                return opened, line_at, f"closed by a quote followed by {nxt!r}"
            at_start = False
            continue
        if ch == delimiter:
            field += 1
            at_start = True
        elif ch in "\r\n":
            return None
        else:
            at_start = False
        i += 1
    return None


def _read_csv(path: Path, encoding: str, header_rows: int = 1, progress: Progress = SILENT) -> Table:
    text, enc = decode(path.read_bytes(), path, encoding)
    if not text.strip():
        raise ConsultError("the file is empty", file=path)
    delimiter = _delimiter(text, path.suffix.lower())
    # strict: a quote must close right before a separator or a line end, so an
    # unclosed quote stops the file instead of swallowing the next rows.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    records: list[list[str]] = []
    columns: list[str] = []
    bar = progress.bar(f"load {path.name}", len(line_starts), unit="line")
    while True:
        if len(records) % 5000 == 0:
            bar.update(reader.line_num - bar.n)
        first_line = reader.line_num + 1  # physical line (1-based) where this record starts
        row = len(records) + 1
        try:
            rec = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise _csv_error(e, text, line_starts, first_line, row, delimiter, columns, path) from None
        if reader.line_num > first_line and columns:
            _check_spanning(rec, columns, path, row, first_line, reader.line_num)
        records.append(rec)
        if len(records) == 1:
            columns = _header(rec, path)
    bar.close()
    columns = _header(records[0], path)
    rows, numbers = [], []
    for n, rec in enumerate(records[header_rows:], start=header_rows + 1):
        if not any(cell.strip() for cell in rec):
            continue
        if len(rec) > len(columns) and any(c.strip() for c in rec[len(columns):]):
            raise ConsultError(
                f"{len(rec)} cells but the header has {len(columns)} columns", file=path, row=n
            )
        rows.append({c: clean(rec[i]) if i < len(rec) else "" for i, c in enumerate(columns) if c})
        numbers.append(n)
    return Table(path, [c for c in columns if c], rows, numbers, enc)


def _where(row: int, first_line: int) -> str:
    return "" if row == first_line else f" (line {first_line} of the file)"


def _csv_error(
    e: csv.Error, text: str, line_starts: list[int], first_line: int, row: int, delimiter: str,
    columns: list[str], path: Path,
) -> ConsultError:
    start = line_starts[min(first_line - 1, len(line_starts) - 1)]
    if "field larger than field limit" in str(e):
        return ConsultError(
            f"a cell holds more than {MAX_CELL_CHARS:,} characters{_where(row, first_line)}; no answer is that "
            "long, so a quote is probably not closed (or the file is not a real export)", file=path, row=row,
        )
    fault = _quote_fault(text, start, delimiter)
    if fault is None:
        return ConsultError(f"CSV does not parse{_where(row, first_line)}: {e}", file=path, row=row)
    cell, lines_on, what = fault
    column = columns[cell] if cell < len(columns) and columns[cell] else None
    where = "" if column else f"cell {cell + 1}: "
    if what == "never closed":
        msg = "the quote that opens this cell is never closed, so the rest of the file would be read into it"
    elif lines_on:
        msg = (f"the quote that opens this cell is not closed on its line, so line {first_line + lines_on} "
               "would be read into this answer")
    else:
        msg = f'a quote inside this quoted cell is not doubled ("") but {what.removeprefix("closed by a quote ")}'
    return ConsultError(f"{where}{msg}{_where(row, first_line)}; fix the quotes on this row", file=path, row=row,
                        column=column)


def _check_spanning(rec: list[str], columns: list[str], path: Path, row: int, first: int, last: int) -> None:
    """A record over several lines must still have the header's cells (else a quote ran on)."""
    cells = len(rec)
    while cells > len(columns) and not rec[cells - 1].strip():
        cells -= 1
    if cells == len(columns):
        return
    cell = next((i for i, v in enumerate(rec) if "\n" in v or "\r" in v), 0)
    column = columns[cell] if cell < len(columns) and columns[cell] else None
    raise ConsultError(
        f"this row runs over lines {first}-{last} of the file and has {cells} cells where the header has "
        f"{len(columns)}: a quote in it is probably not closed where it should be; fix the quotes on this row",
        file=path, row=row, column=column,
    )


EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384


def _read_xlsx(path: Path, sheet: str | None, header_rows: int = 1, progress: Progress = SILENT) -> Table:
    wb = open_workbook(path)
    try:
        if sheet is not None:
            if sheet not in wb.sheetnames:
                raise ConsultError(f"no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}", file=path)
            ws = wb[sheet]
        else:
            ws = wb.worksheets[0]
        try:
            # Rows are padded to the width they are read at: read the header at Excel's
            # widest, then the data only as wide as the header, so a stray far-right
            # cell cannot make every row thousands of cells wide.
            head = next(ws.iter_rows(max_row=1, max_col=EXCEL_MAX_COLUMNS, values_only=True), None)
            if head is None or not any(c is not None and str(c).strip() for c in head):
                raise ConsultError("the sheet is empty", file=path)
            head = list(head)
            while head and (head[-1] is None or not str(head[-1]).strip()):
                head.pop()
            columns = _header([("" if c is None else str(c)) for c in head], path)
            rows, numbers = [], []
            it = ws.iter_rows(min_row=header_rows + 1, max_col=len(columns), values_only=True)
            bar = progress.bar(f"load {path.name}", ws.max_row, unit="row")
            for n, rec in enumerate(it, start=header_rows + 1):
                bar.update()
                if n > EXCEL_MAX_ROWS:
                    raise ConsultError(f"more than {EXCEL_MAX_ROWS:,} rows, which Excel never writes", file=path)
                if not any(c is not None and str(c).strip() for c in rec):
                    continue
                rows.append({c: clean(rec[i]) if i < len(rec) else "" for i, c in enumerate(columns) if c})
                numbers.append(n)
            bar.close()
        except (zipfile.BadZipFile, EOFError, KeyError, ValueError) as e:
            raise ConsultError(f"XLSX is truncated or corrupt: {e}", file=path) from None
    finally:
        wb.close()
    return Table(path, [c for c in columns if c], rows, numbers, "xlsx")


def _read_jsonl(path: Path, encoding: str, progress: Progress = SILENT) -> Table:
    text, enc = decode(path.read_bytes(), path, encoding)
    rows, numbers, columns = [], [], []
    seen: set[str] = set()
    lines = text.split("\n")
    bar = progress.bar(f"load {path.name}", len(lines), unit="line")
    for n, line in enumerate(lines, start=1):
        if n % 5000 == 0:
            bar.update(5000)
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise ConsultError(f"not valid JSON: {e.msg}", file=path, row=n) from None
        if not isinstance(obj, dict):
            raise ConsultError("each line must be a JSON object", file=path, row=n)
        for k in obj:
            if k not in seen:
                seen.add(k)
                columns.append(k)
        rows.append({str(k): clean(v) if not isinstance(v, (list, dict)) else json.dumps(v) for k, v in obj.items()})
        numbers.append(n)
    bar.close()
    if not rows:
        raise ConsultError("the file is empty", file=path)
    for r in rows:
        for c in columns:
            r.setdefault(c, "")
    return Table(path, columns, rows, numbers, enc)


# --- from a table to the data model --------------------------------------------------


def _require(table: Table, column: str | None, what: str) -> None:
    if column is not None and column not in table.columns:
        raise ConsultError(f"{what}: no such column in the data", file=table.path, row=1, column=column)


def parse_type(raw: str, cfg: Config, table: Table, row: int) -> str | None:
    if not raw:
        return None
    tv = cfg.respondent.type_values
    canon = tv.get(raw) or next((v for k, v in tv.items() if k.lower() == raw.lower()), None)
    if canon is not None:
        return None if canon == "unknown" else canon
    low = raw.lower()
    if "organi" in low or "behalf" in low:
        return "organisation"
    if "individual" in low or "myself" in low or "personal" in low:
        return "individual"
    raise ConsultError(
        f"cannot tell whether {raw!r} is an individual or an organisation; map it in [respondent.type_values]",
        file=table.path, row=row, column=cfg.respondent.type,
    )


def parse_consent(
    raw: str, table: Table, row: int, column: str | None, values: dict[str, bool] | None = None
) -> bool | None:
    """Whether a consent answer allows publishing; ``values`` maps answers the yes/no words miss."""
    if not raw:
        return None
    if values:
        may = values.get(raw)
        if may is None:
            may = next((v for k, v in values.items() if k.lower() == raw.lower()), None)
        if may is not None:
            return may
    low = raw.lower().strip(" .!")
    if low in TRUE_WORDS or low.startswith("yes"):
        return True
    if low in FALSE_WORDS or low.startswith("no") or low.startswith("do not") or low.startswith("don't"):
        return False
    raise ConsultError(f"consent to publish {raw!r} is neither yes nor no", file=table.path, row=row, column=column)


def parse_option(raw: str, q: Question, table: Table, row: int, column: str | None) -> str | None:
    if not raw:
        return None
    if not q.options or raw in q.options:
        return raw
    low = raw.lower()
    for o in q.options:
        if o.lower() == low:
            return o
    raise ConsultError(
        f"{raw!r} is not one of the options of {q.id} ({', '.join(q.options)}); add it to options in the config",
        file=table.path, row=row, column=column,
    )


def _respondent(cfg: Config, table: Table, rid: str, row: dict[str, str], n: int) -> Respondent:
    rf = cfg.respondent
    return Respondent(
        id=rid,
        type=parse_type(row.get(rf.type, ""), cfg, table, n) if rf.type else None,  # type: ignore[arg-type]
        organisation=(row.get(rf.organisation) or None) if rf.organisation else None,
        group=(row.get(rf.group) or None) if rf.group else None,
        consent=parse_consent(row.get(rf.consent, ""), table, n, rf.consent, rf.consent_values) if rf.consent else None,
        attributes={a: row.get(a, "") for a in rf.attributes},
        source_row=n,
    )


def _check_respondent_columns(cfg: Config, table: Table) -> None:
    rf = cfg.respondent
    for what, col in (
        ("respondent id", None if rf.id == ROW_ID else rf.id), ("respondent type", rf.type), ("organisation", rf.organisation),
        ("respondent group", rf.group), ("consent", rf.consent),
    ):
        _require(table, col, f"[respondent] {what}")
    for a in rf.attributes:
        _require(table, a, "[respondent] attribute")


def build_wide(cfg: Config, table: Table) -> Consultation:
    """One row per respondent, a column per question."""
    _check_respondent_columns(cfg, table)
    for q in cfg.questions:
        _require(table, q.closed_column, f"question {q.id}")
        _require(table, q.text_column, f"question {q.id}")
    respondents: list[Respondent] = []
    responses: list[Response] = []
    first_row: dict[str, int] = {}
    by_row = cfg.respondent.id == ROW_ID
    for row, n in zip(table.rows, table.row_numbers):
        rid = f"row-{n}" if by_row else row.get(cfg.respondent.id or "", "")
        if not rid:
            raise ConsultError("respondent id is blank", file=table.path, row=n, column=cfg.respondent.id)
        if rid in first_row:
            raise ConsultError(
                f"duplicate respondent id {rid!r} (first on row {first_row[rid]})",
                file=table.path, row=n, column=cfg.respondent.id,
            )
        first_row[rid] = n
        respondents.append(_respondent(cfg, table, rid, row, n))
        for q in cfg.questions:
            option = parse_option(row.get(q.closed_column, ""), q, table, n, q.closed_column) if q.closed_column else None
            text = row.get(q.text_column, "") if q.text_column else ""
            # A row for every open/hybrid question keeps blank answers countable.
            if option is not None or text or q.has_text:
                responses.append(Response(rid, q.id, option, text or None))
    return _consultation(cfg, respondents, responses)


def build_long(cfg: Config, table: Table) -> Consultation:
    """One row per (respondent, question, answer)."""
    for what, col in (("respondent", cfg.respondent_column), ("question", cfg.question_column), ("answer", cfg.answer_column)):
        _require(table, col, f"[data] {what}_column")
    _check_respondent_columns(cfg, table)
    by_key: dict[str, tuple[Question, str]] = {}
    for q in cfg.questions:
        if q.closed_column:
            by_key[q.closed_column] = (q, "closed")
        if q.text_column:
            by_key[q.text_column] = (q, "text")
    respondents: dict[str, Respondent] = {}
    answers: dict[tuple[str, str], Response] = {}
    seen_pair: dict[tuple[str, str, str], int] = {}
    for row, n in zip(table.rows, table.row_numbers):
        rid = row.get(cfg.respondent_column or "", "")
        if not rid:
            raise ConsultError("respondent id is blank", file=table.path, row=n, column=cfg.respondent_column)
        key = row.get(cfg.question_column or "", "")
        if key not in by_key:
            raise ConsultError(
                f"question {key!r} is not in the config", file=table.path, row=n, column=cfg.question_column
            )
        q, part = by_key[key]
        if (rid, q.id, part) in seen_pair:
            raise ConsultError(
                f"respondent {rid!r} answers {key!r} twice (first on row {seen_pair[(rid, q.id, part)]})",
                file=table.path, row=n, column=cfg.question_column,
            )
        seen_pair[(rid, q.id, part)] = n
        r = respondents.get(rid)
        new = _respondent(cfg, table, rid, row, n)
        if r is None:
            respondents[rid] = new
        else:  # fill fields from later rows where earlier ones were blank
            for f in ("type", "organisation", "group", "consent"):
                if getattr(r, f) is None:
                    setattr(r, f, getattr(new, f))
            for a, v in new.attributes.items():
                if not r.attributes.get(a):
                    r.attributes[a] = v
        resp = answers.setdefault((rid, q.id), Response(rid, q.id))
        value = row.get(cfg.answer_column or "", "")
        if part == "closed":
            resp.option = parse_option(value, q, table, n, cfg.answer_column)
        else:
            resp.text = value or None
    # Every respondent gets a row for every open/hybrid question, so blanks are counted.
    for rid in respondents:
        for q in cfg.questions:
            if q.has_text:
                answers.setdefault((rid, q.id), Response(rid, q.id))
    order = {q.id: i for i, q in enumerate(cfg.questions)}
    position = {rid: i for i, rid in enumerate(respondents)}
    responses = sorted(answers.values(), key=lambda r: (position[r.respondent_id], order[r.question_id]))
    return _consultation(cfg, list(respondents.values()), responses)


def _consultation(cfg: Config, respondents: list[Respondent], responses: list[Response]) -> Consultation:
    return Consultation(
        id=cfg.id, title=cfg.title, organisation=cfg.organisation, opened=cfg.opened, closed=cfg.closed,
        how=cfg.how, questions=list(cfg.questions), respondents=respondents, responses=responses,
    )


def file_hash(*paths: Path) -> str:
    """SHA-256 over the bytes of the given files, in order."""
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()


def load(config_or_folder: str | Path | Config, *, progress: Progress = SILENT) -> Consultation:
    """Load and validate a consultation from its config (or the folder holding it)."""
    cfg = config_or_folder if isinstance(config_or_folder, Config) else load_config(config_or_folder)
    table = read_table(cfg.data_file, encoding=cfg.encoding, sheet=cfg.sheet, header_rows=cfg.header_rows,
                       progress=progress)
    if not table.rows:
        raise ConsultError("the file has a header but no rows", file=table.path)
    consultation = build_long(cfg, table) if cfg.layout == "long" else build_wide(cfg, table)
    consultation.input_hash = file_hash(cfg.path, cfg.data_file)
    return consultation
