"""The CLI commands beyond analyse/init: each is a thin layer, so these check wiring and errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from consult.cli import app
from consult.pipeline import analyse
from consult.workspace.db import connect, transaction

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code != 0
    lines = [l for l in result.output.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("consult: error: "), result.output
    for f in fragments:
        assert f in lines[0]


@pytest.fixture
def workspace(mini: Path, tmp_path: Path) -> Path:
    out = tmp_path / "ws"
    analyse(mini, out, progress=False, skip=("themes", "assign"))
    conn = connect(out / "consult.db")
    q1 = [r[0] for r in conn.execute("SELECT id FROM responses WHERE question_id='q1' ORDER BY id")]
    with transaction(conn):
        conn.execute(
            "INSERT INTO themes (question_id, theme_id, label, terms_json, size, split_json)"
            " VALUES ('q1', 0, 'ask for an advocate', ?, 3, '{}')",
            (json.dumps(["advocate", "ask", "children"]),),
        )
        conn.execute("INSERT INTO theme_quotes VALUES ('q1', 0, ?, 0)", (q1[0],))
        for rid in q1[:3]:
            conn.execute("INSERT INTO response_themes VALUES (?, 'q1', 0)", (rid,))
        conn.execute("INSERT INTO codes (question_id, id, label) VALUES ('q1', 'opt-out', 'Supports opt-out')")
        conn.execute("INSERT INTO suggestions VALUES (?, 'opt-out', 0.9, 'test')", (q1[0],))
    conn.close()
    return out


def test_dedupe_any_csv(tmp_path: Path) -> None:
    letter = (
        "I support the Every Child Heard campaign because every child in care deserves an independent "
        "advocate who is offered to them automatically and who works only for them."
    )
    rows = [["id", "answer"]] + [[f"a{i}", letter] for i in range(12)] + [["b1", "Training matters most."], ["b2", "n/a"]]
    src = tmp_path / "in.csv"
    with open(src, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    out = tmp_path / "groups.csv"
    result = run("dedupe", src, "--text-column", "answer", "--id-column", "id", "--out", out)
    assert result.exit_code == 0, result.output
    got = list(csv.DictReader(open(out, encoding="utf-8")))
    assert [r["id"] for r in got] == [r[0] for r in rows[1:]]
    kinds = {r["id"]: r["kind"] for r in got}
    assert {kinds[f"a{i}"] for i in range(12)} == {"campaign"}
    assert kinds["b1"] == "unique" and kinds["b2"] == "non-substantive"
    assert len({r["campaign_id"] for r in got if r["kind"] == "campaign"}) == 1


def test_dedupe_missing_column(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,answer\n1,x\n")
    one_line_error(run("dedupe", src, "--text-column", "text", "--out", tmp_path / "g.csv"), "in.csv", "row 1", "'text'", "no such column")
    assert not (tmp_path / "g.csv").exists()


def test_themes_lists_and_drafts_a_codebook(workspace: Path, tmp_path: Path) -> None:
    result = run("themes", workspace)
    assert result.exit_code == 0 and "ask for an advocate" in result.output and "advocate, ask, children" in result.output
    out = tmp_path / "draft.yaml"
    result = run("codebook", "draft", workspace, "--question", "q1", "--out", out)
    assert result.exit_code == 0, result.output
    draft = yaml.safe_load(out.read_text())
    assert draft["question"] == "q1" and draft["codes"][0]["id"] == "ask-for-an-advocate"
    assert draft["codes"][0]["examples"] == ["Children don't know to ask for an advocate."]
    assert run("codebook", "check", out).exit_code == 0
    one_line_error(run("codebook", "draft", workspace, "--question", "q2"), "no themes")


def test_codebook_import_export_round_trip(tmp_path: Path) -> None:
    src = Path(__file__).parent / "fixtures" / "codebooks" / "q1.yaml"
    qdc = tmp_path / "q1.qdc"
    assert run("codebook", "export", src, "--out", qdc).exit_code == 0
    back = tmp_path / "back.yaml"
    assert run("codebook", "import", qdc, "--question", "q1", "--out", back).exit_code == 0
    a = {c["id"]: c["label"] for c in yaml.safe_load(src.read_text())["codes"]}
    b = {c["id"]: c["label"] for c in yaml.safe_load(back.read_text())["codes"]}
    assert a == b
    bad = tmp_path / "bad.yaml"
    bad.write_text("question: q1\ncodes:\n  - id: a\n    label: A\n  - id: a\n    label: B\n")
    one_line_error(run("codebook", "check", bad), "bad.yaml", "duplicate")


def test_evaluate_workspace_against_gold(workspace: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text("respondent_id,question,code\nR1,q1,opt-out\nR2,q1,choice\n")
    result = run("evaluate", gold, "--workspace", workspace, "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["n_responses"] == 2 and figures["micro_f1"] == pytest.approx(2 / 3)
    conn = connect(workspace / "consult.db")
    assert conn.execute("SELECT COUNT(*) FROM evaluations").fetchone()[0] == 1
    gold.write_text("respondent_id,question,code\nR99,q1,opt-out\n")
    one_line_error(run("evaluate", gold, "--workspace", workspace), "not in the workspace")
    # a Windows-1252 export is decoded, not a traceback; a blank key names its row and column
    gold.write_bytes("respondent_id,question,code\nR1,q1,opt-out\nR2,q1,caf\u00e9\n".encode("cp1252"))
    result = run("evaluate", gold, "--workspace", workspace, "--json")
    assert result.exit_code == 0, result.output
    gold.write_text("respondent_id,question,code\nR1,,opt-out\n")
    one_line_error(run("evaluate", gold, "--workspace", workspace), "row 2, column 'question': blank respondent_id or question")


def test_render_formats(workspace: Path) -> None:
    for fmt, name in (("html", "summary.html"), ("md", "summary.md"), ("xlsx", "summary.xlsx"), ("csv", "summary-csv")):
        result = run("render", workspace, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert (workspace / name).exists()
    one_line_error(run("render", workspace, "--format", "pdf"), "pdf")
    one_line_error(run("render", workspace.parent / "nope"), "no workspace")


def test_review_spreadsheet_round_trip_via_cli(workspace: Path, tmp_path: Path) -> None:
    book = tmp_path / "review.xlsx"
    result = run("review", "export", workspace, "--xlsx", book)
    assert result.exit_code == 0, result.output
    result = run("review", "import", workspace, book, "--reviewer", "Ana")
    assert result.exit_code == 0, result.output
    one_line_error(run("review", "import", workspace, tmp_path / "missing.xlsx", "--reviewer", "Ana"), "missing.xlsx")


def test_review_refuses_to_serve_off_loopback_without_token(workspace: Path) -> None:
    one_line_error(run("review", workspace, "--host", "0.0.0.0"), "token")
