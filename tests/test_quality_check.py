"""The quality check in a workspace: who is sampled, blind coding kept out of training and the queue,
and the estimate and status that follow from what people coded."""

from __future__ import annotations

import pytest

from consult.quality import sample_size
from consult.review.demo import build_demo_workspace
from consult.settings import QualitySettings
from consult.workspace import answers, codes, connect
from consult.workspace import quality as ws_quality


@pytest.fixture()
def conn(tmp_path):
    c = connect(build_demo_workspace(tmp_path, questions=1, answers_per_question=400, random_state=2))
    yield c
    c.close()


def test_the_sample_is_the_campaign_plus_a_random_draw_sized_for_the_margin(conn) -> None:
    settings = QualitySettings()
    f = ws_quality.frame(conn, "q1")
    members = ws_quality.draw(conn, "q1", settings)
    assert f.campaigns and set(members[: len(f.campaigns)]) == f.campaigns  # campaigns first, with certainty
    rest = set(f.weights) - f.campaigns
    assert len(members) == len(f.campaigns) + sample_size(len(rest), 0.05, 0.95)
    assert set(members) <= set(f.weights)
    # copies are folded into the answer they copy: the campaign's answer stands for all its members
    campaign = next(iter(f.campaigns))
    members_of = conn.execute("SELECT COUNT(*) FROM response_dedupe WHERE campaign_id = 'q1:c1'").fetchone()[0]
    assert f.weights[campaign] == members_of
    assert ws_quality.draw(conn, "q1", settings) == members  # the same again


def test_checked_answers_stay_in_the_sample_and_out_of_training_and_the_queue(conn) -> None:
    settings = QualitySettings()
    members = ws_quality.draw(conn, "q1", settings)
    first = ws_quality.next_to_check(conn, "q1")
    assert first == members[0]
    answers.update_answer(conn, first, "Ann", codes=["funding"], quality_check=True)
    assert ws_quality.next_to_check(conn, "q1") == members[1]
    assert first in ws_quality.draw(conn, "q1", settings)
    assert first not in [rid for rid, _, _ in answers.decided_answers(conn, "q1")]
    queue = {r["id"] for r in answers.review_queue(conn, "q1", 500)}
    assert queue and not queue & set(members)
    # an answer reviewed outside the check (seeing the model's codes) is training data, not a check
    second = ws_quality.next_to_check(conn, "q1")
    answers.mark_reviewed(conn, second, "Ann")
    assert second not in ws_quality.draw(conn, "q1", settings)
    assert second in [rid for rid, _, _ in answers.decided_answers(conn, "q1")]
    # an answer reviewed outside the check is not the model's coding any more: out of the frame
    other = next(iter(queue))
    answers.mark_reviewed(conn, other, "Ann")
    assert other not in ws_quality.frame(conn, "q1").weights
    assert other in [rid for rid, _, _ in answers.decided_answers(conn, "q1")]


def test_estimate_and_status_follow_what_people_coded(conn) -> None:
    settings = QualitySettings(bar=0.5)
    ws_quality.draw(conn, "q1", settings)
    before = ws_quality.assess(conn, "q1", settings)
    assert before.status == "draft" and before.estimate is None and before.checked == 0
    # Reviewers agree with the model on every sampled answer: perfect precision and recall.
    for row in ws_quality.sample(conn, "q1"):
        rid = row["response_id"]
        answers.update_answer(conn, rid, "Ann", codes=sorted(codes.model_codes(conn, [rid])[rid]), quality_check=True)
    after = ws_quality.assess(conn, "q1", settings)
    assert after.checked == after.sampled and after.estimate.precision.estimate == after.estimate.recall.estimate == 1.0
    assert after.status == "checked" and after.estimate.f1.lower > 0.9
    strict = ws_quality.assess(conn, "q1", QualitySettings(bar=0.999))
    assert strict.status == "draft"  # the interval's lower bound is below a bar that high


def test_a_disagreeing_check_gives_low_precision(conn) -> None:
    settings = QualitySettings()
    ws_quality.draw(conn, "q1", settings)
    for row in ws_quality.sample(conn, "q1")[:60]:
        rid = row["response_id"]
        model = codes.model_codes(conn, [rid])[rid]
        answers.update_answer(conn, rid, "Ann", codes=["other"] if "other" not in model else ["funding"],
                              quality_check=True)
    result = ws_quality.assess(conn, "q1", settings)
    assert result.estimate.precision.estimate < 0.2 and result.status == "draft"
    assert 0 < result.estimate.precision.upper < 0.5


def test_a_question_people_coded_entirely_is_checked_without_a_sample(conn) -> None:
    for (rid,) in conn.execute("SELECT id FROM responses WHERE question_id = 'q1'").fetchall():
        answers.mark_reviewed(conn, rid, "Ann")
    assert ws_quality.draw(conn, "q1", QualitySettings()) == []
    result = ws_quality.assess(conn, "q1", QualitySettings())
    assert result.status == "checked" and result.unreviewed == 0


def test_consult_evaluate_gives_the_same_estimate_from_the_command_line(conn, tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from consult.cli import app

    ws_quality.draw(conn, "q1", QualitySettings())
    for row in ws_quality.sample(conn, "q1")[:40]:
        answers.update_answer(conn, row["response_id"], "Ann", codes=["funding"], quality_check=True)
    result = CliRunner().invoke(app, ["evaluate", "--workspace", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)["q1"]
    assert shown == ws_quality.assess(conn, "q1", QualitySettings()).to_dict()
    assert shown["checked"] == 40 and shown["estimate"]["f1"]["lower"] is not None
    table = CliRunner().invoke(app, ["evaluate", "-w", str(tmp_path)])
    assert "q1: draft (40 of" in table.output
    bad = CliRunner().invoke(app, ["evaluate"])
    assert bad.exit_code != 0 and "quality check" in bad.output
