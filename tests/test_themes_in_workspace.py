"""Themes through the whole pipeline: readable labels and descriptions stored, and a codebook draft
that merges near themes from the analysis's own vectors."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from consult.cli import app
from consult.pipeline import analyse
from consult.workspace import open_workspace
from consult.workspace import themes as ws_themes

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
TOPICS = {
    "money": (["Councils", "Local authorities", "Many services", "Our team", "Providers"],
              ["will not have the funding to pay for advocates", "need more money before this can work",
               "cannot afford extra advocacy hours", "are already short of funding for advocacy"]),
    "independence": (["Advocates", "The advocate", "An advocacy service", "Every advocate", "Advocacy staff"],
                     ["must be independent of the council that pays them",
                      "should be managed outside children's services",
                      "cannot be truly independent if the council employs them", "need to be free of council control"]),
    "training": (["Advocates", "New advocates", "Staff", "Every advocate", "Advocacy workers"],
                 ["need proper training before they start", "should hold a recognised qualification",
                  "must be trained in communicating with disabled children", "need regular training and supervision"]),
}


def answers() -> list[str]:
    out = []
    for subjects, predicates in TOPICS.values():
        out += [f"{s} {p}." for s in subjects for p in predicates]
    return out


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("themes")
    shutil.copytree(MINI, base / "in")
    with open(base / "in" / "responses.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    for i, text in enumerate(answers()):
        rows.append([f"T{i}", "As an individual", "", "Parent", "Yes", "London", "Agree", text, text, "Email"])
    with open(base / "in" / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    analyse(base / "in", base / "out", progress=False, skip=("assign",))
    return base / "out"


@pytest.mark.slow
def test_themes_have_readable_labels_and_descriptions(workspace: Path) -> None:
    conn = open_workspace(workspace)
    rows = [r for r in ws_themes.themes(conn, "q1") if r["theme_id"] != -1]
    assert len(rows) >= 3
    for r in rows:
        words = r["label"].split()
        assert 2 <= len(words) <= 6 and len({w.casefold() for w in words}) == len(words), r["label"]
        assert "[" not in r["label"] and r["description"] and "[" not in r["description"]
    result = CliRunner().invoke(app, ["themes", str(workspace), "-q", "q1"])
    assert result.exit_code == 0 and rows[0]["label"][:20] in result.output


@pytest.mark.slow
def test_codebook_draft_merges_near_themes_and_says_how_many(workspace: Path, tmp_path: Path) -> None:
    conn = open_workspace(workspace)
    themes = [r for r in ws_themes.themes(conn, "q2") if r["theme_id"] != -1]
    out = tmp_path / "q2.yaml"
    result = CliRunner().invoke(app, ["codebook", "draft", str(workspace), "-q", "q2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    codes = yaml.safe_load(out.read_text(encoding="utf-8"))["codes"]
    assert 2 <= len(codes) <= 12 and len(codes) <= len(themes)
    if len(codes) < len(themes):
        assert "near themes merged into others" in result.output
    for c in codes:
        assert c["description"] and c["examples"]
        assert all(len(e.split()) <= 20 for e in c["examples"])
