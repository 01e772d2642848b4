"""The bundled sample consultation, loaded by consult itself and written to a workspace."""

from __future__ import annotations

import csv
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from consult.load import load
from consult.pipeline import analyse
from consult.workspace.db import connect

SAMPLE = Path(__file__).resolve().parent.parent / "responses" / "advocacy-standards"


@pytest.fixture(scope="module")
def source() -> tuple[dict, list[dict[str, str]]]:
    cfg = tomllib.loads((SAMPLE / "consultation.toml").read_text(encoding="utf-8"))
    with open(SAMPLE / cfg["data"]["file"], newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    return cfg, rows


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    analyse(SAMPLE, out, progress=False, skip=("themes", "assign"))
    return out


def test_sample_loads_with_its_questions_and_groups(source) -> None:
    cfg, rows = source
    c = load(SAMPLE)
    assert [q.id for q in c.questions] == [q["id"] for q in cfg["questions"]]
    kinds = Counter(q.kind for q in c.questions)
    assert kinds["hybrid"] >= 6 and kinds["open"] >= 2 and len(c.questions) >= 8
    assert len(c.respondents) == len(rows) >= 1500
    types = Counter(r.type for r in c.respondents)
    assert types["organisation"] > 0 and types["individual"] > types["organisation"]
    groups = {r.group for r in c.respondents}
    for g in ("Young person", "Parent or carer", "Local authority"):
        assert any(g.lower() in (x or "").lower() for x in groups), (g, groups)
    assert any(r.consent is False for r in c.respondents)


def test_workspace_holds_every_respondent_and_answer(source, workspace: Path) -> None:
    cfg, rows = source
    conn = connect(workspace / "consult.db")
    assert conn.execute("SELECT COUNT(*) FROM respondents").fetchone()[0] == len(rows)
    for q in cfg["questions"]:
        db = {
            r["respondent_id"]: (r["option"], r["text"])
            for r in conn.execute("SELECT respondent_id, option, text FROM responses WHERE question_id = ?", (q["id"],))
        }
        for row in rows:
            rid = row[cfg["respondent"]["id"]]
            text = (row.get(q.get("text_column", ""), "") or "").strip()
            option = (row.get(q.get("closed_column", ""), "") or "").strip()
            if q["kind"] in ("open", "hybrid"):
                assert rid in db  # blank answers are rows too: every response counts
                assert bool(db[rid][1]) == bool(text)
            elif option:
                assert db[rid][0] == option


def test_every_answer_is_accounted_for_by_deduplication(workspace: Path) -> None:
    conn = connect(workspace / "consult.db")
    for (qid,) in conn.execute("SELECT id FROM questions WHERE kind != 'closed'").fetchall():
        total = conn.execute("SELECT COUNT(*) FROM responses WHERE question_id = ?", (qid,)).fetchone()[0]
        kinds = dict(conn.execute(
            "SELECT d.kind, COUNT(*) FROM response_dedupe d JOIN responses r ON r.id = d.response_id"
            " WHERE r.question_id = ? GROUP BY d.kind", (qid,),
        ).fetchall())
        assert sum(kinds.values()) == total, (qid, kinds)
    campaigns = conn.execute("SELECT question_id, size FROM campaigns ORDER BY size DESC").fetchall()
    # the planted "Every Child Heard" campaign (185 copies, a few edited beyond recognition)
    assert campaigns[0][0] == "q1" and campaigns[0][1] >= 150
