"""Real export layouts, end to end through the command line: `consult init FILE` then `consult analyse`
with the drafted config unedited, and `consult analyse FILE` drafting the config itself."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consult.cli import app
from consult.workspace import open_workspace
from consult.workspace import responses as ws_responses

LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "layouts"
FIXTURES = ["citizen-space.csv", "smartsurvey.csv", "microsoft-forms.xlsx", "qualtrics.csv", "regulations-gov.csv",
            "long.csv"]
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", FIXTURES)
def test_init_then_analyse_with_the_draft_unedited(name: str, tmp_path: Path) -> None:
    data = tmp_path / "in" / name
    data.parent.mkdir()
    shutil.copy(LAYOUTS / name, data)
    assert run("init", str(data)).exit_code == 0
    draft = (data.parent / "consultation.toml").read_text(encoding="utf-8")
    result = run("analyse", str(data.parent), "--out", str(tmp_path / "out"), "--no-progress")
    assert result.exit_code == 0, result.output
    assert (data.parent / "consultation.toml").read_text(encoding="utf-8") == draft  # nothing edited
    conn = open_workspace(tmp_path / "out")
    assert ws_responses.respondents(conn) and ws_responses.text_questions(conn)
    assert (tmp_path / "out" / "summary.html").is_file()


@pytest.mark.slow
def test_analyse_a_data_file_drafts_its_config_in_the_output_folder(tmp_path: Path) -> None:
    data = tmp_path / "export.csv"
    shutil.copy(LAYOUTS / "smartsurvey.csv", data)  # Windows-1252, as Excel saves it
    out = tmp_path / "out"
    result = run("analyse", str(data), "--out", str(out), "--no-progress")
    assert result.exit_code == 0, result.output
    drafted = out / "consultation.toml"
    assert f"drafted {drafted}" in result.output and drafted.is_file()
    assert not (tmp_path / "consultation.toml").exists()  # nothing written beside the data
    # A second run uses the draft as it is now, so a person's edits to it are kept.
    drafted.write_text(drafted.read_text(encoding="utf-8").replace("title = ", "title = 'Edited' #", 1), encoding="utf-8")
    again = run("analyse", str(data), "--out", str(out), "--no-progress")
    assert again.exit_code == 0 and "drafted" not in again.output
    assert ws_responses.consultation(open_workspace(out))["title"] == "Edited"


def test_a_file_that_is_neither_config_nor_data_is_one_line_error(tmp_path: Path) -> None:
    odd = tmp_path / "notes.pdf"
    odd.write_bytes(b"%PDF-1.4")
    result = run("analyse", str(odd), "--out", str(tmp_path / "out"))
    assert result.exit_code != 0 and len(result.output.strip().splitlines()) == 1
    assert "notes.pdf" in result.output and not (tmp_path / "out").exists()
