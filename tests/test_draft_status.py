"""A summary is honest about what people have checked: draft until the quality check meets its bar."""

from __future__ import annotations

import pytest

from consult.errors import ConsultError
from consult.report import render, render_html, summary_data
from consult.review.demo import build_demo_workspace
from consult.settings import QualitySettings
from consult.workspace import answers, codes, connect
from consult.workspace import quality as ws_quality
from consult.workspace import responses as ws_responses


@pytest.fixture()
def ws(tmp_path):
    build_demo_workspace(tmp_path, questions=2, answers_per_question=300, random_state=4)
    conn = connect(tmp_path / "consult.db")
    for q in ("q1", "q2"):
        ws_quality.draw(conn, q, QualitySettings())
    conn.close()
    return tmp_path


def check_everything_drawn(conn, question_id: str, agree: bool = True) -> None:
    for row in ws_quality.sample(conn, question_id):
        rid = row["response_id"]
        model = sorted(codes.model_codes(conn, [rid])[rid])
        answers.update_answer(conn, rid, "Ann", codes=model if agree else ["other"], quality_check=True)


def test_an_unchecked_summary_is_a_draft_and_cannot_be_rendered_final(ws) -> None:
    conn = connect(ws / "consult.db")
    data = summary_data(conn)
    assert data["draft"] == ["Q1", "Q2"] and all(q["status"] == "draft" for q in data["questions"])
    html = render_html(data)
    assert "<title>DRAFT – Summary of responses" in html and 'id="draft"' in html
    assert "Status: draft." in html and "no one has reviewed its suggestions yet" in html
    assert "people reviewed" not in html  # the annex does not contradict its own table (0 reviewed)
    with pytest.raises(ConsultError, match="Q1, Q2 are still a draft"):
        render(ws, "html", ws / "final.html", final=True)
    assert not (ws / "final.html").exists()


def test_a_question_whose_check_meets_the_bar_is_checked(ws) -> None:
    conn = connect(ws / "consult.db")
    check_everything_drawn(conn, "q1")
    data = summary_data(conn)
    q1, q2 = data["questions"]
    assert q1["status"] == "checked" and q2["status"] == "draft" and data["draft"] == ["Q2"]
    assert q1["quality"]["figures"]["f1"].lower > 0.75
    html = render_html(data)
    assert "Status: checked." in html and "people reviewed" in html
    quality_rows = {r[0]: r for r in next(t for t in data["tables"] if t.id == "method-quality-check").rows}
    assert quality_rows["Q1"][1] == "checked" and quality_rows["Q2"][1] == "draft"
    with pytest.raises(ConsultError, match="Q2 is still a draft"):
        render(ws, "md", final=True)
    check_everything_drawn(conn, "q2")
    assert render(ws, "html", ws / "final.html", final=True).is_file()
    final = (ws / "final.html").read_text(encoding="utf-8")
    assert "DRAFT" not in final and 'id="draft"' not in final


def test_a_check_that_disagrees_keeps_the_question_a_draft(ws) -> None:
    conn = connect(ws / "consult.db")
    check_everything_drawn(conn, "q1", agree=False)
    assert summary_data(conn)["questions"][0]["status"] == "draft"


def test_quotes_come_from_answers_a_person_confirmed_else_are_marked_unconfirmed(ws) -> None:
    conn = connect(ws / "consult.db")
    data = summary_data(conn)
    items = data["questions"][0]["quotes_by_code"]
    assert items and not any(i["confirmed"] for i in items if i["quotes"])
    assert "No one has confirmed yet that these answers make this point" in render_html(data)
    # A person confirms one consenting answer for "funding": it is the one quoted, as confirmed.
    consenting = {r["id"] for r in ws_responses.respondents(conn) if r["consent"] == 1}
    rid = next(r["id"] for r in ws_responses.responses(conn, "q1")
               if r["respondent_id"] in consenting and not ws_quality.in_sample(conn, r["id"]))
    answers.update_answer(conn, rid, "Ann", codes=["funding"], reviewed=True)
    text = conn.execute("SELECT text FROM responses WHERE id = ?", (rid,)).fetchone()[0]
    funding = next(i for i in summary_data(conn)["questions"][0]["quotes_by_code"] if i["label"] == "Worried about funding")
    assert funding["confirmed"] and any(q.startswith(text.split()[0]) for q in funding["quotes"])


def test_consent_and_type_not_recorded_are_said_plainly(tmp_path) -> None:
    build_demo_workspace(tmp_path, questions=1, answers_per_question=30)
    conn = connect(tmp_path / "consult.db")
    conn.execute("UPDATE respondents SET consent = NULL, type = NULL")
    html = render_html(summary_data(conn))
    assert "Consent to publish was not recorded, so no quotes are published." in html
    assert "was not recorded" in html and "0 as individuals" not in html
