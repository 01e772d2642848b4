"""The active-learning review queue (consult.active and answers.review_queue) on small synthetic embeddings."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from consult.active import ActiveLearner
from consult.assign import CodeAssigner, CodePrototypes, code_texts
from consult.codebook import NON_SUBSTANTIVE, OTHER, Code
from consult.embed import text_hash
from consult.review.demo import build_demo_workspace
from consult.settings import QualitySettings
from consult.workspace import answers, connect
from consult.workspace import codes as ws_codes
from consult.workspace import quality as ws_quality
from consult.workspace.caches import EmbeddingCache

DIM = 32


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def world():
    """Three codes around orthogonal centres; a pool of clear answers, a tight cluster of answers that sit
    between code 0 and code 1 (uncertain, near-identical), and a few other uncertain answers."""
    rng = np.random.default_rng(0)
    centres = np.linalg.qr(rng.normal(size=(DIM, 3)))[0].T  # orthonormal
    codes = [Code(f"code-{i}", f"Code {i}", f"about topic {i}") for i in range(3)]
    protos = {c.id: CodePrototypes(unit(centres[i] + 0.2 * rng.normal(size=(3, DIM)) / np.sqrt(DIM)),
                                   np.zeros((0, DIM), np.float32))
              for i, c in enumerate(codes)}
    clear = [unit(centres[i % 3] + 0.5 * rng.normal(size=DIM) / np.sqrt(DIM)) for i in range(60)]
    middle = unit(centres[0] + centres[1])
    cluster = [unit(middle + 0.02 * rng.normal(size=DIM) / np.sqrt(DIM)) for _ in range(6)]
    others = [unit(centres[1] + centres[2] + 0.3 * rng.normal(size=DIM) / np.sqrt(DIM)),
              unit(centres[0] + centres[2] + 0.3 * rng.normal(size=DIM) / np.sqrt(DIM))]
    X = np.array(clear + cluster + others)
    return {"codes": codes, "protos": protos, "X": X, "clear": list(range(60)),
            "cluster": list(range(60, 66)), "others": [66, 67], "centres": centres}


def fitted(world, **params) -> ActiveLearner:
    return ActiveLearner(**params).fit(world["codes"], world["X"], code_embeddings=world["protos"])


def test_uncertain_answers_rank_first_and_near_copies_are_not_queued_together(world):
    learner = fitted(world)
    errors = learner.expected_errors()
    uncertain = set(world["cluster"]) | set(world["others"])
    assert np.mean(errors[list(uncertain)]) > 2 * np.mean(errors[world["clear"]])
    top = learner.rank(3).tolist()
    assert set(top) <= uncertain
    assert len(set(top) & set(world["cluster"])) == 1  # one of the near-identical answers, then others
    # without diversity the near-identical answers come together
    plain = fitted(world, diversity=0.0, redundancy=1.0).rank(3).tolist()
    assert len(set(plain) & set(world["cluster"])) >= 2


def test_answers_reviewed_since_the_last_fit_count_as_picked(world):
    learner = fitted(world)
    first = int(learner.rank(1)[0])
    assert first in world["cluster"]
    rest = [i for i in world["cluster"] if i != first]
    after = learner.rank(2, candidates=[i for i in range(len(world["X"])) if i != first], recent=[first]).tolist()
    assert not set(after) & set(rest)


def test_a_group_outranks_an_equally_uncertain_single_answer(world):
    learner = fitted(world)
    a, b = world["others"]
    errors = learner.expected_errors()
    assert 0.5 < errors[a] / errors[b] < 2.0  # about as uncertain
    assert learner.rank(1, candidates=[a, b], weights=[1, 10]).tolist() == [b]
    assert learner.rank(1, candidates=[a, b], weights=[10, 1]).tolist() == [a]
    # a campaign of clear answers still waits behind uncertain ones when its weight is small
    clear = world["clear"][0]
    assert learner.rank(1, candidates=[clear, a], weights=[1.2, 1]).tolist() == [a]


def test_a_refit_learns_from_reviews_and_changes_the_ranking(world):
    learner = fitted(world)
    cluster = world["cluster"]
    before_codes = learner.predict()
    before_rank = learner.rank(5).tolist()
    before_errors = learner.expected_errors()[cluster[3:]].copy()
    # reviewers say the in-between answers are code-0 only (and the clear ones are what they look like)
    reviewed = world["clear"][:30] + cluster[:3]
    labels = [{f"code-{i % 3}"} for i in world["clear"][:30]] + [{"code-0"}] * 3
    learner.refit(reviewed, labels)
    assert learner.n_fits_ == 2 and sorted(learner.reviewed_.tolist()) == sorted(reviewed)
    after_codes = learner.predict()
    assert any(before_codes[i] != after_codes[i] for i in cluster[3:])
    assert all(after_codes[i] == {"code-0"} for i in cluster[3:])
    assert np.all(learner.expected_errors()[cluster[3:]] < before_errors)
    after_rank = learner.rank(5).tolist()
    assert after_rank != before_rank and not set(after_rank) & set(reviewed)


def test_refit_equals_a_fit_with_the_same_reviews(world):
    reviewed = world["clear"][:25]
    labels = [{f"code-{i % 3}"} for i in reviewed]
    refitted = fitted(world).refit(reviewed, labels)
    direct = ActiveLearner().fit(world["codes"], world["X"], code_embeddings=world["protos"],
                                 reviewed=reviewed, labels=labels)
    np.testing.assert_allclose(refitted.proba_, direct.proba_, atol=1e-9)
    assert refitted.rank(4).tolist() == direct.rank(4).tolist()


@pytest.mark.parametrize("params, message", [
    ({"diversity": -0.1}, "diversity must be at least 0"),
    ({"diversity": 1.5}, "diversity must be at least 0 and at most 1"),
    ({"diversity": "high"}, "diversity must be a number"),
    ({"redundancy": 0.0}, "redundancy must be above 0"),
    ({"redundancy": float("nan")}, "redundancy must be a number"),
    ({"random_state": 1.5}, "random_state must be a whole number"),
    ({"assigner": "ridge"}, "assigner must be a CodeAssigner"),
])
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(ValueError, match=message):
        ActiveLearner(**params)


def test_bad_calls_are_refused(world):
    with pytest.raises(ValueError, match="not been fitted"):
        ActiveLearner().rank(3)
    learner = fitted(world)
    n = len(world["X"])
    with pytest.raises(ValueError, match="k must be"):
        learner.rank(-1)
    with pytest.raises(ValueError, match="weights must be 2"):
        learner.rank(1, candidates=[0, 1], weights=[1])
    with pytest.raises(ValueError, match="weights must be"):
        learner.rank(1, candidates=[0, 1], weights=[1, -1])
    with pytest.raises(ValueError, match="outside the pool"):
        learner.rank(1, candidates=[n])
    with pytest.raises(ValueError, match="more than once"):
        learner.rank(1, candidates=[3, 3])
    with pytest.raises(ValueError, match="2 reviewed answers but 1 label sets"):
        learner.refit([0, 1], [{"code-0"}])
    with pytest.raises(ValueError, match="more than once"):
        learner.refit([0, 0], [{"code-0"}, {"code-0"}])
    with pytest.raises(ValueError, match="non-empty 2-D"):
        ActiveLearner().fit(world["codes"], np.zeros((0, DIM)), code_embeddings=world["protos"])
    assert learner.rank(0).tolist() == []


@pytest.mark.parametrize("params, name", [
    ({"threshold": 1.5}, "threshold"), ({"relative": -0.1}, "relative"), ({"cv_folds": 1}, "cv_folds"),
    ({"alphas": ()}, "alphas"), ({"alphas": (1.0, 0.0)}, "alphas"), ({"l2": 0}, "l2"),
    ({"self_training": "yes"}, "self_training"), ({"top_k": 0}, "top_k"), ({"top_k_grid": (1, 2.5)}, "top_k_grid"),
    ({"other_quantile": 2.0}, "other_quantile"), ({"max_text_reviewed": 0}, "max_text_reviewed"),
    ({"text_weight": float("inf")}, "text_weight"), ({"random_state": None}, "random_state"),
])
def test_the_code_assigner_checks_its_parameters(params, name):
    with pytest.raises(ValueError, match=f"^{name} must"):
        CodeAssigner(**params)
    CodeAssigner(threshold=None, top_k=None, other_quantile=None)  # None is allowed where documented


# --------------------------------------------------------------------------- in a workspace


def vector(text: str) -> np.ndarray:
    """A fixed pseudo-random direction per distinct text."""
    seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
    return unit(np.random.default_rng(seed).normal(size=DIM))


def with_vectors(conn, question_id: str = "q1") -> None:
    """Cache vectors for every answer and code text, as `consult analyse` leaves them."""
    texts = [r[0].strip() for r in conn.execute("SELECT text FROM responses WHERE text IS NOT NULL")]
    codes = [c for c in ws_codes.workspace_codes(conn, question_id) if c.id not in (OTHER, NON_SUBSTANTIVE)]
    texts += [t for c in codes for part in code_texts(c) for t in part]
    EmbeddingCache(conn).put("test-model", {text_hash(t): vector(t) for t in texts})


@pytest.fixture()
def conn(tmp_path):
    c = connect(build_demo_workspace(tmp_path, questions=1, answers_per_question=120, random_state=3))
    with_vectors(c)
    yield c
    c.close()


def copies_of(conn) -> dict[int, int]:
    return {r[0]: r[1] for r in conn.execute("SELECT response_id, canonical_id FROM answer_copies WHERE NOT own_words")}


def test_the_queue_uses_the_model_and_folds_copies_into_their_group(conn):
    model = answers.queue_model(conn, "q1")
    assert model is not None and model.learner.n_fits_ == 1
    queue = answers.review_queue(conn, "q1", 500)
    ids = [r["id"] for r in queue]
    assert len(ids) == len(set(ids)) > 20
    copies = copies_of(conn)
    assert copies  # the demo has a campaign and duplicate groups
    assert not set(ids) & {rid for rid, canon in copies.items() if canon in ids}
    for canon in set(copies.values()) & set(ids):
        row = next(r for r in queue if r["id"] == canon)
        assert row["weight"] == 1 + sum(1 for c in copies.values() if c == canon)
    # the ranking is the learner's: best expected benefit (times weight) first
    learner = model.learner
    benefit = [r["weight"] * learner.expected_errors()[model.pos[r["id"]]] for r in queue]
    assert benefit[0] == pytest.approx(max(benefit))


def test_decided_answers_quality_samples_and_inheriting_copies_leave_the_queue(conn):
    members = ws_quality.draw(conn, "q1", QualitySettings(margin=0.3))
    assert members
    queue = answers.review_queue(conn, "q1", 500)
    ids = {r["id"] for r in queue}
    assert not ids & set(members)
    copies = copies_of(conn)
    assert not {rid for rid, canon in copies.items() if canon in members} & ids
    # a person decides a group's answer: it and every copy of it leave the queue, with the codes it was given
    canon = next(c for c in set(copies.values()) if c in ids)
    answers.update_answer(conn, canon, "Ann", codes=["funding"], reviewed=True)
    after = {r["id"] for r in answers.review_queue(conn, "q1", 500)}
    group = {canon} | {rid for rid, c in copies.items() if c == canon}
    assert not after & group
    finals = ws_codes.final_codes(conn, response_ids=sorted(group))
    assert all(set(finals[rid]) == {"funding"} for rid in group)
    for rid in group - {canon}:  # with provenance: a person's decision, made on the group's answer
        assert ws_codes.final_code_sources(conn, rid) == {"source": "person", "by": "Ann", "via": canon}
    # coding without marking reviewed is a decision too
    other = next(iter(after))
    answers.set_codes(conn, other, ["training"], "Ann")
    assert other not in {r["id"] for r in answers.review_queue(conn, "q1", 500)}


def test_the_queue_model_refits_after_enough_decisions(conn):
    model = answers.queue_model(conn, "q1")
    queue = answers.review_queue(conn, "q1", 40)
    first = queue[0]["id"]
    answers.update_answer(conn, first, "Ann", codes=["funding"], reviewed=True)
    again = answers.queue_model(conn, "q1")
    assert again is model and model.learner.n_fits_ == 1  # one decision: not yet (default refit_every 10)
    assert model.recent == [model.pos[first]]  # ... but the queue moves away from it
    for row in queue[1:10]:
        answers.update_answer(conn, row["id"], "Ann", codes=["training"], reviewed=True)
    answers.queue_model(conn, "q1")
    assert model.learner.n_fits_ == 2 and model.recent == []
    assert len(model.learnt) == 10 and model.learnt[first] == frozenset({"funding"})


def test_the_queue_falls_back_without_vectors(tmp_path):
    c = connect(build_demo_workspace(tmp_path, questions=1, answers_per_question=30, random_state=2))
    assert answers.queue_model(c, "q1") is None
    queue = answers.review_queue(c, "q1", 10)
    tops = [r["top_confidence"] or 0 for r in queue]
    assert tops == sorted(tops) and len(queue) == 10
    c.close()


def test_a_refit_with_texts_counts_the_words_once_and_equals_a_fit(world):
    """The word model's refit reads stored n-gram counts of the pool; its codes are a fresh fit's."""
    rng = np.random.default_rng(7)
    words = [["fund", "money", "budget", "cost"], ["train", "skill", "course", "learn"], ["choice", "choose", "pick"]]
    X = world["X"]
    texts = []
    for i in range(len(X)):
        k = i % 3 if i < 60 else int(rng.integers(0, 3))
        texts.append(" ".join(rng.choice(words[k], 3)) + f" answer {i % 7}")
    reviewed = list(range(0, 60, 2))
    labels = [{f"code-{i % 3}"} for i in reviewed]
    learner = ActiveLearner().fit(world["codes"], X, texts, code_embeddings=world["protos"])
    learner.refit(reviewed, labels)
    assert learner.assigner_._counts is not None and learner.assigner_._text["vocab"] is not None
    direct = ActiveLearner().fit(world["codes"], X, texts, code_embeddings=world["protos"],
                                 reviewed=reviewed, labels=labels)
    assert direct.assigner_._text["vectorizers"] is not None  # the plain path, texts read by sklearn
    np.testing.assert_allclose(learner.proba_, direct.proba_, atol=1e-9)
    # texts outside the pool go through the same vectorizers, fitted when first needed
    new = ["fund money budget", "learn a course"]
    np.testing.assert_allclose(learner.assigner_.predict_proba(new, X[:2]), direct.assigner_.predict_proba(new, X[:2]),
                               atol=1e-9)
