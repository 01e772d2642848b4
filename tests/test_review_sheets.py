"""The XLSX round trip: export, validated import, audited decisions."""

from __future__ import annotations

import re
import zipfile

import pytest
from openpyxl import load_workbook

from consult.errors import ConsultError
from consult.workspace import answers, codes
from consult.review.demo import build_demo_workspace
from consult.review.sheets import FIXED, META, export_xlsx, import_xlsx
from consult.workspace.db import connect, secret


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


# --------------------------------------------------------------------------- the signed _meta sheet and exact ids


def meta_rows(wb) -> list[list]:
    return [list(r) for r in wb[META].iter_rows(values_only=True)]


def meta_cell(wb, sheet: str, rid: int, column: int):
    """The _meta cell of answer ``rid`` on ``sheet``; columns: 1 sheet, 2 question, 3 id, 4 text hash, 5 version."""
    for row in wb[META].iter_rows(min_row=3):
        if row[0].value == sheet and row[2].value == rid:
            return row[column - 1]
    raise AssertionError(f"no _meta row for {sheet} {rid}")


def events(conn) -> int:
    return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def test_a_forged_version_in_meta_cannot_overwrite_a_newer_change(conn, tmp_path):
    path = export(conn, tmp_path)
    answers.set_codes(conn, 1, ["choice", "training", "other"], "Ann")  # after the export: version 0 -> 1
    wb = load_workbook(path)
    meta_cell(wb, "q1", 1, 5).value = 1  # pretend the export saw Ann's change
    ws = wb["q1"]
    ws.cell(row=2, column=col(ws, "non-substantive"), value="Yes")
    wb.save(path)
    with pytest.raises(ConsultError, match="_meta sheet .*signature") as err:
        import_xlsx(conn, path, "Carol")
    assert "\n" not in str(err.value) and "nothing was imported" in str(err.value)
    assert answers.answer_state(conn, 1).final_codes == ["choice", "other", "training"] and events(conn) == 1


def _tamper(kind: str):
    def change(wb) -> None:
        meta = wb[META]
        if kind == "digest":
            meta_cell(wb, "q1", 3, 4).value = "0" * 64
        elif kind == "question":
            meta_cell(wb, "q1", 3, 2).value = "q2"
        elif kind == "sheet":
            meta_cell(wb, "q1", 3, 1).value = "q2"
        elif kind == "id":
            meta_cell(wb, "q1", 3, 3).value = 9
        elif kind == "float version":
            meta_cell(wb, "q1", 3, 5).value = 0.5
        elif kind == "text version":
            meta_cell(wb, "q1", 3, 5).value = "0"
        elif kind == "date":
            import datetime
            meta_cell(wb, "q1", 3, 5).value = datetime.datetime(2024, 1, 1)
        elif kind == "row removed":
            meta.delete_rows(meta_cell(wb, "q1", 3, 1).row)
        elif kind == "row added":
            meta.append(["q1", "q1", 99, "0" * 64, 0])
        elif kind == "row repeated":
            meta.append([c.value for c in meta[3]])
        elif kind == "format":
            meta["B1"].value = "consult-review-1"
        elif kind == "no mac":
            meta["D1"].value = None
        elif kind == "mac":
            meta["D1"].value = "0" * 64
        elif kind == "mac not ascii":
            meta["D1"].value = "é" * 64
        elif kind == "mac a number":
            meta["D1"].value = 12345
        elif kind == "header":
            meta["E2"].value = "versions"
    return change


@pytest.mark.parametrize("kind", ["digest", "question", "sheet", "id", "float version", "text version", "date",
                                  "row removed", "row added", "row repeated", "format", "no mac", "mac",
                                  "mac not ascii", "mac a number", "header"])
def test_any_change_to_meta_refuses_the_whole_file(conn, tmp_path, kind):
    path = export(conn, tmp_path)
    wb = load_workbook(path)
    _tamper(kind)(wb)
    ws = wb["q1"]
    ws.cell(row=2, column=col(ws, "other"), value="Yes")  # a valid change that must not be applied
    wb.save(path)
    with pytest.raises(ConsultError, match="_meta sheet") as err:
        import_xlsx(conn, path, "Carol")
    assert "\n" not in str(err.value) and str(err.value).startswith(str(path))
    assert events(conn) == 0 and not answers.answer_state(conn, 1).decided


def test_an_export_of_another_workspace_is_refused(conn, tmp_path):
    """Same answers, same versions, but another workspace's secret: its _meta cannot vouch for this one."""
    twin = connect(build_demo_workspace(tmp_path / "twin", questions=2, answers_per_question=8, random_state=3,
                                        texts={2: "=HYPERLINK(\"http://evil\") <b>bold</b>"}))
    path = export(twin, tmp_path)
    wb = load_workbook(path)
    ws = wb["q1"]
    ws.cell(row=2, column=col(ws, "other"), value="Yes")
    wb.save(path)
    with pytest.raises(ConsultError, match="_meta sheet"):
        import_xlsx(conn, path, "Carol")
    assert events(conn) == 0
    assert import_xlsx(twin, path, "Carol").decisions == 1  # its own workspace takes it


def test_the_meta_signature_does_not_leak_the_secret(conn, tmp_path):
    path = export(conn, tmp_path)
    with zipfile.ZipFile(path) as z:
        text = b"".join(z.read(n) for n in z.namelist())
    assert secret(conn).hex().encode() not in text
    head = meta_rows(load_workbook(path))[0]
    assert head[:3] == ["format", "consult-review-2", "hmac-sha256"] and re.fullmatch(r"[0-9a-f]{64}", head[3])


@pytest.mark.parametrize("bad_id", [1.5, 99999999999999999999999, 2**63, -(2**63) - 1, True, "\u0661", "+1", " 1",
                                    "1e0", 1e20, float("nan")])
def test_response_ids_must_be_exact_integers_in_range(conn, tmp_path, bad_id):
    path = export(conn, tmp_path)
    wb = load_workbook(path)
    ws = wb["q1"]
    ws.cell(row=2, column=col(ws, "other"), value="Yes")  # answer 1: a valid change that must not be applied
    ws.cell(row=3, column=1, value=bad_id)  # answer 2's row
    wb.save(path)
    with pytest.raises(ConsultError, match="sheet q1, row 3: no valid response_id") as err:
        import_xlsx(conn, path, "Carol")
    assert "\n" not in str(err.value) and "nothing was imported" in str(err.value)
    assert events(conn) == 0 and not answers.answer_state(conn, 1).decided


@pytest.mark.parametrize("good_id", [2.0, "2"])
def test_a_whole_number_written_as_a_float_or_text_is_the_same_id(conn, tmp_path, good_id):
    path = export(conn, tmp_path)
    wb = load_workbook(path)
    ws = wb["q1"]
    ws.cell(row=3, column=1, value=good_id)
    ws.cell(row=3, column=col(ws, "other"), value="Yes")
    wb.save(path)
    assert import_xlsx(conn, path, "Carol").decisions == 1
    assert "other" in answers.answer_state(conn, 2).final_codes


def test_a_chart_sheet_is_reported_not_a_traceback(conn, tmp_path):
    from openpyxl.chart import BarChart

    for title in ("q2", META):
        path = export(conn, tmp_path)
        wb = load_workbook(path)
        del wb[title]
        wb.create_chartsheet(title).add_chart(BarChart())
        wb.save(path)
        with pytest.raises(ConsultError, match=f"sheet {title}.*not a worksheet"):
            import_xlsx(conn, path, "Carol")
    assert events(conn) == 0
