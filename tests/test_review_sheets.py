"""The XLSX round trip: export, validated import, audited decisions."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from consult.errors import ConsultError
from consult.workspace import answers, codes
from consult.review.demo import build_demo_workspace
from consult.review.sheets import FIXED, META, export_xlsx, import_xlsx
from consult.workspace.db import connect


@pytest.fixture()
def conn(tmp_path):
    db = build_demo_workspace(tmp_path / "ws", questions=2, answers_per_question=8, random_state=3,
                              texts={2: "=HYPERLINK(\"http://evil\") <b>bold</b>"})
    c = connect(db)
    yield c
    c.close()


def export(conn, tmp_path):
    path = tmp_path / "review.xlsx"
    export_xlsx(conn, path)
    return path


def col(ws, header):
    return [c.value for c in ws[1]].index(header) + 1


def test_export_layout(conn, tmp_path):
    path = export(conn, tmp_path)
    wb = load_workbook(path)
    assert wb.sheetnames == [META, "q1", "q2"]
    assert wb[META].sheet_state == "veryHidden" and wb[META].protection.sheet
    ws = wb["q1"]
    headers = [c.value for c in ws[1]]
    assert tuple(headers[:4]) == FIXED and headers[-1] == "reviewed"
    assert set(headers[4:-1]) == {c["id"] for c in codes.codes(conn, "q1")}
    assert ws.max_row == 9
    assert ws.cell(row=3, column=4).data_type == "s" and ws.cell(row=3, column=4).value.startswith("=HYPERLINK")
    final = answers.answer_state(conn, 1).final_codes
    yes = [h for h in headers[4:-1] if ws.cell(row=2, column=col(ws, h)).value == "Yes"]
    assert sorted(yes) == final
    assert ws.data_validations.dataValidation[0].formula1 == '"Yes"'


def test_round_trip_applies_only_changed_rows(conn, tmp_path):
    path = export(conn, tmp_path)
    wb = load_workbook(path)
    ws = wb["q1"]
    # row 2 = answer 1: tick "other" as well; row 4 = answer 3: mark reviewed only
    ws.cell(row=2, column=col(ws, "other"), value="Yes")
    ws.cell(row=4, column=col(ws, "reviewed"), value="Yes")
    wb.save(path)
    before_3 = answers.answer_state(conn, 3)
    summary = import_xlsx(conn, path, "Carol")
    assert (summary.decisions, summary.reviewed_changes, summary.rows) == (1, 1, 16)
    assert summary.unchanged == 14
    s1 = answers.answer_state(conn, 1)
    assert s1.decided and "other" in s1.final_codes
    s3 = answers.answer_state(conn, 3)
    assert s3.reviewed and s3.decided and s3.final_codes == before_3.final_codes
    evs = conn.execute("SELECT reviewer, entity_id, action FROM events ORDER BY id").fetchall()
    assert [tuple(e) for e in evs] == [("Carol", "1", "codes"), ("Carol", "3", "reviewed")]
    # importing the same file again changes nothing (rows now match)
    assert import_xlsx(conn, path, "Carol").decisions == 0


def test_unknown_code_column(conn, tmp_path):
    path = export(conn, tmp_path)
    wb = load_workbook(path)
    wb["q1"].cell(row=1, column=5, value="made-up")
    wb.save(path)
    with pytest.raises(ConsultError, match=r"sheet q1: unknown code 'made-up'"):
        import_xlsx(conn, path, "Carol")


def test_changed_text_lists_rows_and_applies_nothing(conn, tmp_path):
    path = export(conn, tmp_path)
    wb = load_workbook(path)
    ws = wb["q1"]
    ws.cell(row=4, column=4, value="I changed this")
    ws.cell(row=9, column=4, value="And this")
    ws.cell(row=2, column=col(ws, "other"), value="Yes")  # a valid change that must not be applied
    wb.save(path)
    with pytest.raises(ConsultError) as err:
        import_xlsx(conn, path, "Carol")
    assert "sheet q1, rows 4, 9: answer text changed" in str(err.value)
    assert str(err.value).startswith(str(path))
    assert conn.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
    assert not answers.answer_state(conn, 1).decided


def test_duplicated_and_unknown_rows(conn, tmp_path):
    path = export(conn, tmp_path)
    wb = load_workbook(path)
    ws = wb["q1"]
    ws.append([c.value for c in ws[3]])  # duplicate of row 3 -> row 10
    ws.append([99999, None, None, "ghost", None])  # row 11
    ws.append([9, None, None, "from q2", None])  # a q2 answer on the q1 sheet, row 12
    wb.save(path)
    with pytest.raises(ConsultError) as err:
        import_xlsx(conn, path, "Carol")
    msg = str(err.value)
    assert "sheet q1, rows 3, 10: duplicated rows" in msg
    assert "sheet q1, rows 11, 12: unknown response ids" in msg


def test_bad_cell_value_and_conflict_with_web_edit(conn, tmp_path):
    path = export(conn, tmp_path)
    answers.set_codes(conn, 1, ["choice", "training", "other"], "Ann")  # after the export
    wb = load_workbook(path)
    ws = wb["q1"]
    ws.cell(row=2, column=col(ws, "non-substantive"), value="Yes")
    ws.cell(row=5, column=col(ws, "funding"), value="maybe")
    wb.save(path)
    with pytest.raises(ConsultError) as err:
        import_xlsx(conn, path, "Carol")
    msg = str(err.value)
    assert "row 2: changed in the workspace since the export (by Ann)" in msg
    assert "row 5: cells must be 'Yes' or empty" in msg
    assert answers.answer_state(conn, 1).final_codes == ["choice", "other", "training"]


def test_not_an_export(conn, tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_text("not a zip")
    with pytest.raises(ConsultError, match="not a readable XLSX"):
        import_xlsx(conn, bad, "Carol")
    with pytest.raises(ConsultError, match="file not found"):
        import_xlsx(conn, tmp_path / "missing.xlsx", "Carol")
    from openpyxl import Workbook
    Workbook().save(tmp_path / "plain.xlsx")
    with pytest.raises(ConsultError, match="no _meta sheet"):
        import_xlsx(conn, tmp_path / "plain.xlsx", "Carol")
