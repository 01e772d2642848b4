"""Fine-tuning the encoder on reviewers' codes (consult.tune), alone and inside ``consult analyse``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from consult.errors import ConsultError
from consult.pipeline import analyse
from consult.settings import Settings
from consult.config import load_config
from consult.workspace.db import connect, now, transaction
from consult.tune import FineTuner, training_key, training_set, tuned_probabilities
from consult.workspace.caches import TunedCache
from test_pipeline import write_codebook

TRANSPORT = [
    "The ambulance came late and the journey took hours.",
    "Transport to the hospital was never on time.",
    "The bus to the clinic is too far away.",
    "Getting a lift to my appointment was impossible.",
    "The taxi never arrived to take me home.",
    "No parking near the hospital and the car park is full.",
    "The patient transport vehicle was uncomfortable.",
    "It took three hours to get a ride back home.",
]
STAFF = [
    "The nurse was kind and listened to me.",
    "Staff were rude and would not explain anything.",
    "The doctor was caring and patient with my son.",
    "Lovely friendly staff who made us welcome.",
    "The receptionist was unhelpful and dismissive.",
    "Every member of the team treated me with respect.",
    "The paramedics were calm and reassuring.",
    "The carer was gentle and polite.",
]
CLASSES = ["transport", "staff", "other"]


def small_tuner(**kw) -> FineTuner:
    return FineTuner(**{"epochs": 3, "batch_size": 8, "max_length": 32, **kw})


def training_data() -> tuple[list[str], list[set[str]]]:
    return TRANSPORT + STAFF, [{"transport"}] * len(TRANSPORT) + [{"staff"}] * len(STAFF)


@pytest.mark.parametrize(
    "kw", [{"epochs": 0}, {"batch_size": 0}, {"weight": 1.5}, {"min_reviewed": 0}, {"learning_rate": 0.0}]
)
def test_settings_out_of_range_are_refused(kw: dict) -> None:
    with pytest.raises(ValueError):
        FineTuner(**kw)


def test_fit_refuses_unknown_codes_and_too_little_data() -> None:
    with pytest.raises(ValueError, match="not in the classes"):
        small_tuner().fit(["a", "b"], [{"transport"}, {"nope"}], CLASSES)
    with pytest.raises(ValueError, match="at least two"):
        small_tuner().fit(["a"], [{"transport"}], CLASSES)
    with pytest.raises(RuntimeError, match="not been fitted"):
        small_tuner().predict_proba(["a"])


@pytest.mark.slow
def test_learns_the_codes_and_is_deterministic() -> None:
    texts, labels = training_data()
    tuner = small_tuner().fit(texts, labels, CLASSES)
    assert tuner.loss_[-1] < tuner.loss_[0]
    unseen = ["The ambulance was two hours late.", "The nurses were so kind to my mum."]
    P = tuner.predict_proba(unseen)
    assert P.shape == (2, 3) and np.all((P >= 0) & (P <= 1))
    assert list(P[:, :2].argmax(1)) == [0, 1]
    again = small_tuner().fit(texts, labels, CLASSES).predict_proba(unseen)
    np.testing.assert_allclose(P, again, atol=1e-6)


@pytest.mark.slow
def test_model_on_disk_is_not_changed() -> None:
    from consult.embed import Embedder

    before = Embedder(show_progress=False, precision="fp32").embed(["The ambulance was late."])
    texts, labels = training_data()
    small_tuner(epochs=1).fit(texts, labels, CLASSES)
    after = Embedder(show_progress=False, precision="fp32").embed(["The ambulance was late."])
    np.testing.assert_allclose(before, after, atol=1e-6)


def test_training_set_adds_the_codebook_texts_and_blend_weighs_the_tuned_model() -> None:
    from consult.codebook import Code

    codes = [Code(id="transport", label="Transport", description="Getting there and back.",
                  examples=["The ambulance was late."])]
    texts, labels = training_set(codes, ["Bus was late"], [{"transport", "other"}])
    assert texts == ["Bus was late", "Getting there and back.", "The ambulance was late."]
    assert labels == [{"transport", "other"}, {"transport"}, {"transport"}]
    P, T = np.array([[0.2, 0.8]]), np.array([[0.6, 0.0]])
    np.testing.assert_allclose(FineTuner(weight=0.25).blend(P, T), [[0.3, 0.6]])


def test_training_key_changes_with_what_was_learnt() -> None:
    texts, labels = training_data()
    key = training_key(small_tuner(), "m", texts, labels, CLASSES)
    assert key == training_key(small_tuner(), "m", texts[::-1], labels[::-1], CLASSES)  # order is irrelevant
    changed = labels[:-1] + [{"transport"}]
    assert key != training_key(small_tuner(), "m", texts, changed, CLASSES)
    assert key != training_key(small_tuner(epochs=4), "m", texts, labels, CLASSES)
    assert key != training_key(small_tuner(), "other-model", texts, labels, CLASSES)


@pytest.mark.slow
def test_tuned_probabilities_are_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = connect(tmp_path / "x.db")
    texts, labels = training_data()
    answers = ["The ambulance was two hours late.", "The nurses were so kind to my mum."]
    first = tuned_probabilities(conn, "q1", small_tuner(epochs=1), "m", texts, labels, CLASSES, answers)

    def refuse(*a, **k):
        raise AssertionError("fit again")

    monkeypatch.setattr(FineTuner, "fit", refuse)
    again = tuned_probabilities(conn, "q1", small_tuner(epochs=1), "m", texts, labels, CLASSES, answers[::-1])
    np.testing.assert_array_equal(first, again[::-1])
    monkeypatch.undo()
    # new reviews: the old key's rows go, the new ones are stored
    tuned_probabilities(conn, "q1", small_tuner(epochs=1), "m", texts[:-1], labels[:-1], CLASSES, answers)
    keys = {r[0] for r in conn.execute("SELECT key FROM tuned_scores")}
    assert len(keys) == 1 and conn.execute("SELECT COUNT(*) FROM tuned_scores").fetchone()[0] == 2
    assert TunedCache(conn).get(next(iter(keys)), [], 3) == {}


@pytest.mark.slow
def test_analyse_fine_tunes_once_enough_answers_are_reviewed(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_codebook(mini, "\n[tune]\nmin_reviewed = 2\nepochs = 1\nmax_length = 32\n")
    out = tmp_path / "out"
    analyse(mini, out, progress=False, skip=("themes",))
    conn = connect(out / "consult.db")
    versions = {r[0] for r in conn.execute(
        "SELECT s.model_version FROM suggestions s JOIN responses r ON r.id = s.response_id"
        " WHERE r.question_id = 'q1' AND s.code_id != 'non-substantive'")}
    assert versions == {"assign-5"}  # nobody has reviewed anything yet
    ids = [r[0] for r in conn.execute("SELECT id FROM responses WHERE question_id = 'q1' ORDER BY id")][:2]
    with transaction(conn):
        for rid, code in zip(ids, ["dont-know-to-ask", "choice"]):
            conn.execute("INSERT INTO review_state (response_id, decided, reviewed, reviewer, at, version, text_hash)"
                         " VALUES (?, 1, 1, 'Ana', ?, 1, (SELECT text_hash FROM responses WHERE id = ?))",
                         (rid, now(), rid))
            conn.execute("INSERT INTO human_codes VALUES (?, ?, 'Ana', ?)", (rid, code, now()))
    conn.close()

    analyse(mini, out, progress=False, skip=("themes",))
    conn = connect(out / "consult.db")
    versions = {r[0] for r in conn.execute(
        "SELECT s.model_version FROM suggestions s JOIN responses r ON r.id = s.response_id"
        " WHERE r.question_id = 'q1' AND s.code_id != 'non-substantive'")}
    assert versions == {"assign-5+tune-1"}
    assert conn.execute("SELECT COUNT(*) FROM tuned_scores").fetchone()[0] > 0
    final = [tuple(r) for r in conn.execute("SELECT code_id, assigned_by FROM final_codes WHERE response_id = ?",
                                            (ids[0],))]
    assert final == [("dont-know-to-ask", "Ana")]
    before = [tuple(r) for r in conn.execute("SELECT * FROM suggestions ORDER BY response_id, code_id")]
    conn.close()

    # the same reviews again: the tuned scores come from the cache, and the result is the same
    monkeypatch.setattr(FineTuner, "fit", lambda *a, **k: (_ for _ in ()).throw(AssertionError("fit again")))
    analyse(mini, out, progress=False, skip=("themes",))
    conn = connect(out / "consult.db")
    assert [tuple(r) for r in conn.execute("SELECT * FROM suggestions ORDER BY response_id, code_id")] == before
    conn.close()


@pytest.mark.parametrize("table, message", [
    ("[tune]\nweight = 2.0\n", "weight"),
    ("[tune]\nepochs = \"many\"\n", "epochs"),
    ("[tune]\nlearning_rat = 0.1\n", "unknown setting"),
])
def test_bad_tune_settings_stop_the_run_before_it_writes(mini: Path, table: str, message: str) -> None:
    with open(mini / "consultation.toml", "a", encoding="utf-8") as f:
        f.write("\n" + table)
    with pytest.raises(ConsultError, match=message):
        cfg = load_config(mini)
        Settings.from_tables(cfg.settings, file=cfg.path)
