from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from consult.config import load_config
from consult.errors import ConsultError
from consult.load import load, read_table

HEADER = [
    "Respondent ID", "Responding as", "Organisation name", "Which best describes you?",
    "May we publish your response?", "Region", "Q1 Do you agree?", "Q1 Why?", "Q2 What else?", "Q3 How did you hear?",
]


def rows_of(mini: Path) -> list[list[str]]:
    with open(mini / "responses.csv", newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_wide_csv_loads_every_respondent_and_answer(mini: Path) -> None:
    c = load(mini)
    assert [r.id for r in c.respondents] == ["R1", "R2", "R3", "R4", "R5"]
    assert [q.id for q in c.questions] == ["q1", "q2", "q3"]
    r3 = c.respondents[2]
    assert (r3.type, r3.organisation, r3.group, r3.consent) == ("organisation", "Northshire Council", "Local authority", True)
    assert r3.attributes == {"Region": "South East"}  # stray whitespace trimmed
    assert c.respondents[1].consent is False and c.respondents[4].consent is None
    by = {(r.respondent_id, r.question_id): r for r in c.responses}
    assert by[("R3", "q1")].option == "Agree"  # matched case-insensitively to the option
    assert by[("R3", "q1")].text == "Opt-out makes sure every child hears about advocacy."
    assert by[("R2", "q1")].text == "Some children do not want one.\nThey should choose."  # newline inside a cell
    assert by[("R4", "q1")].text is None and by[("R4", "q1")].option == "Not sure"
    # blank free text still has a row (so it is counted); a blank closed-only answer has none
    assert ("R2", "q2") in by and ("R4", "q3") not in by
    assert len(c.input_hash) == 64


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_encodings_detected(mini: Path, encoding: str) -> None:
    rows = rows_of(mini)
    rows[1][7] = "Children’s advocates – not “council” staff – café"
    with open(mini / "responses.csv", "w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    c = load(mini)
    assert c.responses[0].text == "Children’s advocates – not “council” staff – café"
    assert c.respondents[0].id == "R1"  # the BOM did not stick to the first column name


def test_windows_newlines_inside_cells(mini: Path) -> None:
    rows = rows_of(mini)
    rows[1][7] = "First line\r\nsecond line"
    with open(mini / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    assert load(mini).responses[0].text == "First line\nsecond line"


def test_xlsx_wide(mini: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows_of(mini):
        ws.append(row)
    wb.save(mini / "responses.xlsx")
    cfg = (mini / "consultation.toml").read_text().replace('file = "responses.csv"', 'file = "responses.xlsx"')
    (mini / "consultation.toml").write_text(cfg)
    c = load(mini)
    assert len(c.respondents) == 5 and c.responses[0].text == "Children don't know to ask for an advocate."


def test_truncated_xlsx_is_a_clear_error(mini: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(HEADER)
    wb.save(mini / "responses.xlsx")
    data = (mini / "responses.xlsx").read_bytes()
    (mini / "responses.xlsx").write_bytes(data[: len(data) // 2])
    with pytest.raises(ConsultError, match="responses.xlsx.*(truncated|corrupt)"):
        read_table(mini / "responses.xlsx")


def _long_config(mini: Path, file: str) -> None:
    cfg = (mini / "consultation.toml").read_text()
    cfg = cfg.replace(
        'file = "responses.csv"\nlayout = "wide"',
        f'file = "{file}"\nlayout = "long"\nrespondent_column = "respondent"\nquestion_column = "question"\nanswer_column = "answer"',
    )
    cfg = cfg.replace('id = "Respondent ID"\n', "")
    (mini / "consultation.toml").write_text(cfg)


def test_long_jsonl(mini: Path) -> None:
    _long_config(mini, "answers.jsonl")
    lines = [
        {"respondent": "A", "question": "Q1 Do you agree?", "answer": "Agree", "Responding as": "As an individual",
         "Which best describes you?": "Parent", "May we publish your response?": "Yes", "Region": "London",
         "Organisation name": ""},
        {"respondent": "A", "question": "Q1 Why?", "answer": "Because children\ndon't know to ask."},
        {"respondent": "B", "question": "Q2 What else?", "answer": "  Training  ", "Responding as": "On behalf of an organisation",
         "Organisation name": "Helping Hands"},
    ]
    (mini / "answers.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    c = load(mini)
    assert [r.id for r in c.respondents] == ["A", "B"]
    assert c.respondents[0].group == "Parent" and c.respondents[1].type == "organisation"
    by = {(r.respondent_id, r.question_id): r for r in c.responses}
    assert by[("A", "q1")].option == "Agree" and by[("A", "q1")].text == "Because children\ndon't know to ask."
    assert by[("B", "q2")].text == "Training"
    assert by[("A", "q2")].text is None  # blank answers exist for every open question


def test_long_csv_duplicate_answer_is_an_error(mini: Path) -> None:
    _long_config(mini, "answers.csv")
    (mini / "answers.csv").write_text(
        "respondent,question,answer,Responding as,Organisation name,Which best describes you?,"
        "May we publish your response?,Region\nA,Q2 What else?,x,,,,,\nA,Q2 What else?,y,,,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ConsultError, match=r"answers.csv: row 3, column 'question': .*twice"):
        load(mini)


@pytest.mark.parametrize(
    "mutate, pattern",
    [
        (lambda rows: rows.__setitem__(3, ["R1"] + rows[3][1:]), r"responses.csv: row 4, column 'Respondent ID': duplicate respondent id 'R1' \(first on row 2\)"),
        (lambda rows: rows[2].__setitem__(6, "Maybe"), r"row 3, column 'Q1 Do you agree\?': 'Maybe' is not one of the options"),
        (lambda rows: rows[2].__setitem__(4, "Perhaps"), r"row 3, column 'May we publish your response\?'"),
        (lambda rows: rows[2].__setitem__(0, ""), r"row 3, column 'Respondent ID': respondent id is blank"),
    ],
)
def test_bad_rows_name_file_row_and_column(mini: Path, mutate, pattern: str) -> None:
    rows = rows_of(mini)
    mutate(rows)
    with open(mini / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    with pytest.raises(ConsultError, match=pattern):
        load(mini)


def test_missing_column_named_in_config(mini: Path) -> None:
    cfg = (mini / "consultation.toml").read_text().replace('text_column = "Q2 What else?"', 'text_column = "Q2 Nope"')
    (mini / "consultation.toml").write_text(cfg)
    with pytest.raises(ConsultError, match=r"responses.csv: row 1, column 'Q2 Nope': question q2: no such column"):
        load(mini)


def test_empty_file(mini: Path) -> None:
    (mini / "responses.csv").write_text("")
    with pytest.raises(ConsultError, match="responses.csv: the file is empty"):
        load(mini)
    (mini / "responses.csv").write_text(",".join(HEADER) + "\n")
    with pytest.raises(ConsultError, match="header but no rows"):
        load(mini)


def test_missing_data_file(mini: Path) -> None:
    (mini / "responses.csv").unlink()
    with pytest.raises(ConsultError, match="responses.csv: no such file"):
        load(mini)


@pytest.mark.parametrize(
    "text, pattern",
    [
        ("[consultation\nid = 'x'", "does not parse"),
        ("[data]\nfile='x.csv'", r"missing \[consultation\]"),
        ("[consultation]\nid='x'\n[data]\nfile='responses.csv'\n[respondent]\nid='Respondent ID'\n[[questions]]\nid='q1'\nkind='weird'\ntext_column='a'",
         "kind must be one of"),
        ("[consultation]\nid='x'\n[data]\nfile='responses.csv'\n[respondent]\nid='Respondent ID'\n[[questions]]\nid='q1'\nkind='hybrid'\ntext_column='a'",
         "missing 'closed_column'"),
    ],
)
def test_bad_config(mini: Path, text: str, pattern: str) -> None:
    (mini / "consultation.toml").write_text(text)
    with pytest.raises(ConsultError, match=pattern):
        load_config(mini)


def test_yaml_config_parse_error_names_line(mini: Path) -> None:
    (mini / "consultation.toml").unlink()
    (mini / "consultation.yaml").write_text("consultation:\n  id: x\n data: [\n")
    with pytest.raises(ConsultError, match=r"consultation.yaml: row \d+: config does not parse"):
        load_config(mini)


# --- hostile or broken files ----------------------------------------------------------


def _write_csv_text(mini: Path, text: str, encoding: str = "utf-8") -> None:
    (mini / "responses.csv").write_bytes(text.encode(encoding))


def _csv_text(rows: list[list[str]]) -> str:
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def test_unterminated_quote_names_the_row_where_it_opened(mini: Path, tmp_path: Path) -> None:
    rows = rows_of(mini)
    rows[2][7] = "Some children, not all, do not want one."
    rows[3][7] = "Opt-out, so every child hears about advocacy."
    text = _csv_text(rows)
    # Row 3 (R2) loses the closing quote of its "why": R3's row would be read into that answer.
    assert 'want one.",' in text
    _write_csv_text(mini, text.replace('want one.",', 'want one.,'))
    with pytest.raises(ConsultError, match=r"responses.csv: row 3, column 'Q1 Why\?': .*quote") as e:
        load(mini)
    assert "\n" not in str(e.value)
    # and nothing is written: the pipeline validates everything before it creates the output folder
    from consult.pipeline import analyse

    with pytest.raises(ConsultError):
        analyse(mini, tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_quote_never_closed_before_the_end_of_the_file(mini: Path) -> None:
    text = _csv_text(rows_of(mini)) + 'R6,As an individual,,Parent,Yes,North,Agree,"It never ends\nand more\n'
    _write_csv_text(mini, text)
    with pytest.raises(ConsultError, match=r"row 7, column 'Q1 Why\?': the quote .* never closed"):
        load(mini)


def test_a_stray_quote_inside_a_quoted_cell_is_named(mini: Path) -> None:
    text = _csv_text(rows_of(mini)) + 'R6,As an individual,,Parent,Yes,North,Agree,"He said "no" twice",x,Email\n'
    _write_csv_text(mini, text)
    with pytest.raises(ConsultError, match=r"row 7, column 'Q1 Why\?': .*quote"):
        load(mini)


def test_multiline_cells_that_look_like_rows_still_load(mini: Path) -> None:
    rows = rows_of(mini)
    # A properly quoted answer may hold newlines, even a line that reads like a whole row.
    rows[1][7] = "First point.\nR9,As an individual,,Parent,Yes,North,Agree,why,what,Email\nLast point."
    _write_csv_text(mini, _csv_text(rows))
    c = load(mini)
    assert len(c.respondents) == 5
    assert c.responses[0].text.splitlines()[1].startswith("R9,As an individual")


def test_a_row_running_over_lines_with_the_wrong_cell_count_is_refused(mini: Path) -> None:
    # The opened quote closes at a quote followed by a comma on the next line: the quoting is
    # formally valid but the record has the wrong number of cells.
    text = _csv_text(rows_of(mini)) + 'R6,As an individual,,Parent,Yes,North,Agree,"runs on\nR7,",x\n'
    _write_csv_text(mini, text)
    with pytest.raises(ConsultError, match=r"row 7.*(cells|quote)"):
        load(mini)


def test_an_overlong_csv_cell_is_refused_in_one_line(mini: Path) -> None:
    rows = rows_of(mini)
    rows[2][7] = "x" * 200_000
    _write_csv_text(mini, _csv_text(rows))
    with pytest.raises(ConsultError, match=r"responses.csv: row 3.*131,072 characters"):
        load(mini)


@pytest.mark.parametrize("encoding, bom", [("utf-16", True), ("utf-16-le", False), ("utf-16-be", False)])
@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_utf16_files_are_read(mini: Path, encoding: str, bom: bool, delimiter: str) -> None:
    rows = rows_of(mini)
    rows[1][7] = "Children’s advocates – café"
    import io

    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    (mini / "responses.csv").write_bytes(buf.getvalue().encode(encoding))
    c = load(mini)
    assert [r.id for r in c.respondents] == ["R1", "R2", "R3", "R4", "R5"]
    assert c.responses[0].text == "Children’s advocates – café"


def _bomb(src: Path, dst: Path, part: str, head: bytes, filler: bytes, count: int, tail: bytes) -> Path:
    """Copy workbook ``src`` to ``dst`` with ``part`` replaced by head + filler*count + tail, streamed."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != part:
                zout.writestr(info, zin.read(info))
        with zout.open(part, "w", force_zip64=True) as f:
            f.write(head)
            block = filler * max(1, 2**20 // len(filler))
            left = count
            while left > 0:
                k = min(left, 2**20 // len(filler))
                f.write(block if k == len(block) // len(filler) else filler * k)
                left -= k
            f.write(tail)
    return dst


@pytest.fixture
def small_workbook(tmp_path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["Respondent ID", "Q1 Why?"])
    wb.active.append(["R1", "placeholder"])
    wb.save(tmp_path / "small.xlsx")
    return tmp_path / "small.xlsx"


SST = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="3" uniqueCount="3"><si><t>Respondent ID</t></si><si><t>Q1 Why?</t></si><si><t>R1</t></si><si><t>'
SHEET = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Respondent ID</t></is></c><c r="B1" t="inlineStr"><is><t>Q1 Why?</t></is></c></row>'
ROW = b'<row><c t="inlineStr"><is><t>R</t></is></c><c t="inlineStr"><is><t>Spam spam spam</t></is></c></row>'


@pytest.mark.parametrize(
    "part, head, filler, count, tail, pattern",
    [
        # 300 MB in one cell from a ~300 KB file: refused from the zip directory (total size)
        ("xl/sharedStrings.xml", SST, b"A", 300 * 2**20, b"</t></si></sst>", "expands to 300 MB"),
        # 400 MB of rows from about 1 MB: refused from the zip directory (total size)
        ("xl/worksheets/sheet1.xml", SHEET, ROW, 400 * 2**20 // len(ROW), b"</sheetData></worksheet>", "expands to 400 MB"),
        # 100 MB of rows, under the total limit, but expanding a thousand times
        ("xl/worksheets/sheet1.xml", SHEET, ROW, 100 * 2**20 // len(ROW), b"</sheetData></worksheet>", "expands .* times"),
        # a 5 MB cell, under both: found by streaming the part
        ("xl/sharedStrings.xml", SST, b"A", 5 * 2**20, b"</t></si></sst>", "more than 131,072 characters"),
    ],
    ids=["cell-300MB", "rows-400MB", "rows-100MB", "cell-5MB"],
)
def test_xlsx_bombs_are_refused_fast_in_bounded_memory(
    small_workbook: Path, tmp_path: Path, part: str, head: bytes, filler: bytes, count: int, tail: bytes, pattern: str
) -> None:
    import time
    import tracemalloc

    bomb = _bomb(small_workbook, tmp_path / "bomb.xlsx", part, head, filler, count, tail)
    assert bomb.stat().st_size < 2 * 2**20
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ConsultError, match=f"bomb.xlsx: .*{pattern}") as e:
            read_table(bomb)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "\n" not in str(e.value)
    assert elapsed < 5, elapsed  # a hang guard, not a speed target: before the check these ran for minutes
    assert peak < 64 * 2**20, peak


def test_the_longest_excel_cell_loads_and_a_longer_one_is_refused(small_workbook: Path, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.append(["Respondent ID", "Q1 Why?"])
    wb.active.append(["R1", "é&" * 16_383])  # 32,766 characters, as long as Excel allows; 82 KB of XML
    wb.save(tmp_path / "long.xlsx")
    assert read_table(tmp_path / "long.xlsx").rows[0]["Q1 Why?"] == "é&" * 16_383
    # Not written by Excel (nor openpyxl, which cuts at 32,767), but by a script: 140,000 characters.
    bomb = _bomb(small_workbook, tmp_path / "long.xlsx", "xl/sharedStrings.xml", SST, "ü".encode(), 140_000,
                 b"</t></si></sst>")
    with pytest.raises(ConsultError, match=r"long.xlsx: a cell holds more than 131,072 characters"):
        read_table(bomb)


def test_a_far_away_cell_does_not_widen_every_row(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Respondent ID", "Q1 Why?"])
    for i in range(3):
        ws.append([f"R{i}", "text"])
    ws.cell(row=2, column=16_000, value="stray")
    wb.save(tmp_path / "wide.xlsx")
    t = read_table(tmp_path / "wide.xlsx")
    assert t.columns == ["Respondent ID", "Q1 Why?"] and len(t.rows) == 3


def test_repeated_column_names_are_numbered(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text(
        "id,Q1 Agree?,Please explain your answer,Q2 Agree?,Please explain your answer,Please explain your answer (2)\n"
        "R1,Yes,because,No,since,extra\n", encoding="utf-8")
    t = read_table(tmp_path / "d.csv")
    assert t.columns == ["id", "Q1 Agree?", "Please explain your answer", "Q2 Agree?",
                         "Please explain your answer (3)", "Please explain your answer (2)"]
    assert t.rows[0]["Please explain your answer (3)"] == "since"
