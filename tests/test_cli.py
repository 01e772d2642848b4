from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consult import __version__
from consult.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_version_and_help() -> None:
    assert run("--version").output.strip() == f"consult {__version__}"
    result = run("--help")
    assert result.exit_code == 0 and "analyse" in result.output
    for command in ("analyse", "init"):
        assert run(command, "--help").exit_code == 0


@pytest.mark.slow
def test_analyse(mini: Path, tmp_path: Path) -> None:
    result = run("analyse", str(mini), "--out", str(tmp_path / "o"), "--no-progress")
    assert result.exit_code == 0, result.output
    assert "load: 5 respondents, 14 answers" in result.output
    assert (tmp_path / "o" / "consult.db").is_file()


def _one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [l for l in result.output.splitlines() if l.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("consult: error: ")
    assert "Traceback" not in result.output
    for f in fragments:
        assert f in lines[0]


def test_bad_input_gives_one_line_and_writes_nothing(mini: Path, tmp_path: Path) -> None:
    rows = list(csv.reader(open(mini / "responses.csv", newline="", encoding="utf-8")))
    rows[3][0] = "R1"
    with open(mini / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    out = tmp_path / "o"
    _one_line_error(run("analyse", str(mini), "--out", str(out)), "responses.csv", "row 4", "Respondent ID", "duplicate")
    assert not out.exists()


def test_missing_folder(tmp_path: Path) -> None:
    _one_line_error(run("analyse", str(tmp_path / "nope")), "nope", "no such file")


@pytest.mark.slow
def test_failed_rerun_keeps_previous_outputs(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    assert run("analyse", str(mini), "--out", str(out)).exit_code == 0
    before = (out / "summary.html").read_bytes()
    (mini / "consultation.toml").write_text("[consultation\n")
    _one_line_error(run("analyse", str(mini), "--out", str(out)), "consultation.toml", "does not parse")
    assert (out / "summary.html").read_bytes() == before


def test_init_drafts_a_working_config(mini: Path) -> None:
    (mini / "consultation.toml").unlink()
    result = run("init", str(mini / "responses.csv"))
    assert result.exit_code == 0, result.output
    cfg = tomllib.loads((mini / "consultation.toml").read_text())
    assert cfg["respondent"]["id"] == "Respondent ID"
    assert cfg["respondent"]["consent"] == "May we publish your response?"
    kinds = {q["id"]: (q["kind"], q.get("closed_column"), q.get("text_column")) for q in cfg["questions"]}
    assert kinds["q1"] == ("hybrid", "Q1 Do you agree?", "Q1 Why?")
    assert kinds["q2"] == ("open", None, "Q2 What else?")
    assert kinds["q3"][0] == "closed"
    # refuses to overwrite
    _one_line_error(run("init", str(mini / "responses.csv")), "already exists")


def test_init_on_a_missing_file(tmp_path: Path) -> None:
    _one_line_error(run("init", str(tmp_path / "x.csv")), "x.csv", "no such file")


@pytest.mark.parametrize(
    "table, fragment",
    [
        ("[themes]\nmin_themse = 3\n", "[themes]: unknown setting 'min_themse' (did you mean 'min_themes'?)"),
        ("[themes]\nmin_themes = 40\nmax_themes = 30\n", "[themes]"),
        ("[dedupe]\njaccard_threshold = 2.0\n", "[dedupe]"),
        ("[assign]\nthreshold = 'high'\n", "[assign]"),
        ("[codebook]\nfolders = 'x'\n", "[codebook]: unknown setting 'folders' (did you mean 'folder'?)"),
        ("[embedd]\nmodel = 'x'\n", "unknown table [embedd] (did you mean [embed]?)"),
        ("[assign]\nalphas = [1.0, -2.0]\n", "[assign] alphas must be above 0"),
        ("[themes]\nn_themes = 2.5\n", "[themes] n_themes must be a whole number"),
    ],
)
def test_bad_stage_settings_stop_before_anything_is_written(mini: Path, tmp_path: Path, table: str, fragment: str) -> None:
    with open(mini / "consultation.toml", "a", encoding="utf-8") as f:
        f.write("\n" + table)
    out = tmp_path / "o"
    _one_line_error(run("analyse", str(mini), "--out", str(out)), "consultation.toml", fragment)
    assert not out.exists()
