from __future__ import annotations

import io

from consult.progress import Progress


def test_a_step_of_unknown_length_shows_its_name_and_time_not_a_count_of_zero():
    out = io.StringIO()
    with Progress(stream=out).bar("assign q1: learn from 0 reviewed answers", None, unit="step") as bar:
        bar.refresh()
    shown = out.getvalue()
    assert "assign q1: learn from 0 reviewed answers" in shown and "00:00" in shown
    assert "0step" not in shown and "?step/s" not in shown


def test_a_counted_step_shows_counts_and_time_left():
    out = io.StringIO()
    with Progress(stream=out).bar("embed 10 texts", 10, unit="text") as bar:
        bar.update(4)
        bar.refresh()
    shown = out.getvalue()
    assert "embed 10 texts" in shown and "4/10" in shown and "<" in shown  # elapsed<left


def test_no_progress_prints_nothing():
    out = io.StringIO()
    with Progress(enabled=False, stream=out).bar("embed", 3) as bar:
        bar.update(3)
    assert out.getvalue() == ""


def test_the_report_stage_shows_which_question_it_is_summarising(mini, tmp_path):
    from consult.pipeline import analyse
    from consult.report import summary_data
    from consult.workspace.db import connect

    analyse(mini, tmp_path / "o", progress=False, skip=("themes", "assign", "report"))
    out = io.StringIO()
    conn = connect(tmp_path / "o" / "consult.db")
    try:
        data = summary_data(conn, progress=Progress(stream=out))
    finally:
        conn.close()
    shown = out.getvalue()
    assert data["questions"]
    for q in data["questions"]:
        assert f"report {q['id']}: summarise" in shown
    assert "report: method annex" in shown and f"/{len(data['questions']) + 1}" in shown
