"""Tests of consult.assign on small synthetic embeddings clustered around code prototypes."""

from __future__ import annotations


import numpy as np
import pytest

from consult.assign import (
    MODEL_VERSION,
    OTHER,
    Assignment,
    CodeAssigner,
    CodePrototypes,
    code_texts,
    embed_codebook,
    review_queue,
)
from consult.codebook import Code
from consult.errors import ConsultError

DIM = 32


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def world():
    """Three codes with orthogonal-ish centres; answers are noisy copies of one or two centres."""
    rng = np.random.default_rng(0)
    centres = unit(rng.normal(size=(3, DIM)))
    codes = [Code(f"code-{i}", f"Code {i}", f"about topic {i}", [f"ex {i}"]) for i in range(3)]
    protos = {
        c.id: CodePrototypes(
            positive=unit(centres[i] + 0.3 * rng.normal(size=(4, DIM)) / np.sqrt(DIM)),
            negative=np.zeros((0, DIM), np.float32),
        )
        for i, c in enumerate(codes)
    }

    def answers(n, seed):
        r = np.random.default_rng(seed)
        X, Y = [], []
        for _ in range(n):
            k = r.integers(0, 3)
            if r.random() < 0.25:  # two codes
                j = (k + 1 + r.integers(0, 2)) % 3
                X.append(centres[k] + centres[j] + 0.8 * r.normal(size=DIM) / np.sqrt(DIM))
                Y.append({codes[k].id, codes[j].id})
            else:
                X.append(centres[k] + 0.8 * r.normal(size=DIM) / np.sqrt(DIM))
                Y.append({codes[k].id})
        return unit(np.array(X)).astype(np.float32), Y

    return codes, protos, centres, answers


def micro_f1(pred, gold):
    tp = sum(len(p & g) for p, g in zip(pred, gold))
    return 2 * tp / (sum(map(len, pred)) + sum(map(len, gold)))


def test_zero_shot_codes_answers_near_their_code(world):
    codes, protos, _, answers = world
    X, Y = answers(200, 1)
    model = CodeAssigner().fit(codes, code_embeddings=protos)
    out = model.predict(None, X)
    assert len(out) == len(X)
    for row in out:
        assert row and all(isinstance(a, Assignment) for a in row)
        assert all(0.0 <= a.confidence <= 1.0 for a in row)
        assert all(a.model_version == MODEL_VERSION for a in row)
        assert [a.confidence for a in row] == sorted((a.confidence for a in row), reverse=True)
    pred = model.predict_labels(None, X)
    top1 = [row[0].code for row in out]
    assert np.mean([t in y for t, y in zip(top1, Y)]) > 0.9
    assert micro_f1(pred, Y) > 0.75
    P = model.predict_proba(None, X)
    assert P.shape == (len(X), 4) and list(model.classes_) == [c.id for c in codes] + [OTHER]
    assert P.min() >= 0 and P.max() <= 1


def test_self_training_on_unlabeled_answers_runs_and_stays_good(world):
    codes, protos, _, answers = world
    X, Y = answers(300, 2)
    model = CodeAssigner().fit(codes, code_embeddings=protos, unlabeled_embeddings=X)
    assert micro_f1(model.predict_labels(None, X), Y) > 0.75


def test_other_when_nothing_fits(world):
    codes, protos, centres, _ = world
    rng = np.random.default_rng(5)
    # directions orthogonal to every code centre
    far = rng.normal(size=(20, DIM))
    q, _ = np.linalg.qr(centres.T)
    far = unit(far - far @ q @ q.T).astype(np.float32)
    model = CodeAssigner().fit(codes, code_embeddings=protos)
    labels = model.predict_labels(None, far)
    assert sum(s == {OTHER} for s in labels) >= 18
    near = unit(centres[:1]).astype(np.float32)
    assert model.predict_labels(None, near) == [{"code-0"}]


def test_multi_label_output(world):
    codes, protos, centres, _ = world
    both = unit((centres[0] + centres[1])[None]).astype(np.float32)
    model = CodeAssigner().fit(codes, code_embeddings=protos)
    assert model.predict_labels(None, both) == [{"code-0", "code-1"}]


def test_learning_from_reviewers_improves(world):
    codes, _, centres, answers = world
    # a misleading codebook: prototypes of code-1 and code-2 swapped
    rng = np.random.default_rng(3)
    bad = {
        "code-0": CodePrototypes(unit(centres[[0]]), np.zeros((0, DIM))),
        "code-1": CodePrototypes(unit(centres[[2]] + 0.1 * rng.normal(size=(1, DIM))), np.zeros((0, DIM))),
        "code-2": CodePrototypes(unit(centres[[1]] + 0.1 * rng.normal(size=(1, DIM))), np.zeros((0, DIM))),
    }
    Xr, Yr = answers(300, 4)
    Xt, Yt = answers(300, 5)
    zero = CodeAssigner().fit(codes, code_embeddings=bad)
    learnt = CodeAssigner().fit(codes, [""] * len(Xr), Xr, Yr, code_embeddings=bad)
    f_zero = micro_f1(zero.predict_labels(None, Xt), Yt)
    f_learnt = micro_f1(learnt.predict_labels(None, Xt), Yt)
    assert f_learnt > f_zero + 0.3
    assert f_learnt > 0.85
    assert 0.0 < learnt.threshold_ < 1.0


def test_deterministic(world):
    codes, protos, _, answers = world
    Xr, Yr = answers(120, 6)
    Xt, _ = answers(50, 7)

    def run():
        m = CodeAssigner(random_state=3).fit(
            codes, [""] * len(Xr), Xr, Yr, code_embeddings=protos, unlabeled_embeddings=Xt
        )
        return m.predict_proba(None, Xt), m.predict(None, Xt)

    (p1, a1), (p2, a2) = run(), run()
    np.testing.assert_array_equal(p1, p2)
    assert a1 == a2


def test_single_code_codebook(world):
    _, _, centres, answers = world
    code = Code("only", "Only")
    protos = {"only": CodePrototypes(unit(centres[[0]]), np.zeros((0, DIM)))}
    X, _ = answers(30, 8)
    model = CodeAssigner().fit([code], code_embeddings=protos)
    labels = model.predict_labels(None, X)
    assert all(s in ({"only"}, {OTHER}) for s in labels)
    assert {"only"} in labels
    # and learning with one code works too
    Yr = [{"only"} if x @ centres[0] > 0.5 else {OTHER} for x in X]
    model = CodeAssigner().fit([code], [""] * len(X), X, Yr, code_embeddings=protos)
    assert len(model.predict(None, X)) == len(X)


def test_codes_without_description_or_examples_use_their_label():
    bare = Code("parking", "Parking")
    assert code_texts(bare) == (["Parking"], [])
    full = Code("x", "X", "desc", ["e1"], ["not this"])
    assert code_texts(full) == (["X", "desc", "e1"], ["not this"])

    vocab = {"Parking": 0, "Food": 1, "desc": 2, "e1": 3, "not this": 4, "X": 5}

    def encode(texts):
        out = np.zeros((len(texts), 8), np.float32)
        for i, t in enumerate(texts):
            out[i, vocab[t]] = 1.0
        return out

    protos = embed_codebook([bare, Code("food", "Food")], encode)
    assert protos["parking"].positive.shape == (1, 8) and protos["parking"].negative.shape == (0, 8)
    model = CodeAssigner().fit([bare, Code("food", "Food")], encode=encode)
    x = np.zeros((2, 8), np.float32)
    x[0, 0] = 1.0
    x[1, 1] = 1.0
    assert model.predict_labels(None, x) == [{"parking"}, {"food"}]


def test_counter_examples_push_away(world):
    codes, _, centres, _ = world
    rng = np.random.default_rng(9)
    trap = unit(centres[0] + 0.6 * centres[1])
    protos = {
        "code-0": CodePrototypes(unit(centres[[0]]), unit(trap[None])),
        "code-1": CodePrototypes(unit(centres[[1]]), np.zeros((0, DIM))),
        "code-2": CodePrototypes(unit(centres[[2]]), np.zeros((0, DIM))),
    }
    x = unit(trap[None] + 0.01 * rng.normal(size=(1, DIM))).astype(np.float32)
    with_neg = CodeAssigner().fit(codes, code_embeddings=protos).predict_proba(None, x)
    protos["code-0"] = CodePrototypes(unit(centres[[0]]), np.zeros((0, DIM)))
    without = CodeAssigner().fit(codes, code_embeddings=protos).predict_proba(None, x)
    assert with_neg[0, 0] < without[0, 0]


def test_code_no_reviewer_used_keeps_zero_shot(world):
    codes, protos, centres, answers = world
    X, Y = answers(150, 10)
    keep = [i for i, y in enumerate(Y) if "code-2" not in y]
    model = CodeAssigner().fit(
        codes, [""] * len(keep), X[keep], [Y[i] for i in keep], code_embeddings=protos
    )
    assert model.code_counts_[2] == 0
    assert "code-2" in model.predict_labels(None, unit(centres[[2]]).astype(np.float32))[0]


def test_bad_inputs(world):
    codes, protos, _, answers = world
    X, Y = answers(10, 11)
    with pytest.raises(ConsultError, match="not in the codebook: nope"):
        CodeAssigner().fit(codes, [""] * 10, X, Y[:9] + [{"nope"}], code_embeddings=protos)
    with pytest.raises(ConsultError, match="reviewed"):
        CodeAssigner().fit(codes, [""] * 10, X[:5], Y, code_embeddings=protos)
    with pytest.raises(ConsultError, match="no codes"):
        CodeAssigner().fit(codes, [""] * 10, X, Y[:9] + [set()], code_embeddings=protos)
    with pytest.raises(ConsultError, match="no codes to assign"):
        CodeAssigner().fit([], code_embeddings=protos)
    with pytest.raises(ConsultError, match="code_embeddings or an encode"):
        CodeAssigner().fit(codes)
    with pytest.raises(ConsultError, match="repeats"):
        CodeAssigner().fit(codes + codes[:1], code_embeddings=protos)
    with pytest.raises(ConsultError, match="not been fitted"):
        CodeAssigner().predict(None, X)
    model = CodeAssigner().fit(codes, code_embeddings=protos)
    with pytest.raises(ConsultError, match="dimensions"):
        model.predict(None, np.ones((2, DIM + 1), np.float32))
    with pytest.raises(ConsultError, match="texts"):
        model.predict(["a"], X)
    assert model.predict(None, np.zeros((0, DIM), np.float32)) == []
    # "other" is always a valid reviewer code
    CodeAssigner().fit(codes, [""] * 10, X, Y[:9] + [{OTHER}], code_embeddings=protos)


def test_review_queue_prefers_uncertain_and_novel():
    rng = np.random.default_rng(0)
    X = unit(rng.normal(size=(6, DIM))).astype(np.float32)
    reviewed = X[[0, 1]] + 0.0  # answers 0 and 1 are copies of reviewed ones
    P = np.array(
        [
            [0.5, 0.5],  # uncertain but already reviewed
            [0.99, 0.01],
            [0.5, 0.48],  # uncertain and novel
            [0.99, 0.0],  # confident, novel
            [0.98, 0.02],
            [0.8, 0.15],  # fairly sure
        ]
    )
    order = review_queue(P, X, reviewed, k=6)
    assert sorted(order.tolist()) == list(range(6))
    assert order[0] == 2
    assert order.tolist().index(0) > order.tolist().index(5)
    assert order.tolist().index(1) == 5  # confident and already reviewed comes last
    assert len(review_queue(P, X, None, k=3)) == 3
    assert len(review_queue(P, X, reviewed, k=0)) == 0


def test_review_queue_spreads_over_near_copies():
    rng = np.random.default_rng(1)
    base = unit(rng.normal(size=(2, DIM)))
    copies = unit(base[0] + 0.01 * rng.normal(size=(50, DIM)))
    others = unit(base[1] + 0.01 * rng.normal(size=(5, DIM)))
    X = np.vstack([copies, others]).astype(np.float32)
    P = np.vstack([np.full((50, 2), 0.5), np.full((5, 2), 0.3)])  # the copies are the most uncertain
    order = review_queue(P, X, None, k=2)
    assert order[0] < 50 and order[1] >= 50


def test_review_queue_is_deterministic():
    rng = np.random.default_rng(2)
    X = unit(rng.normal(size=(40, DIM))).astype(np.float32)
    P = rng.random((40, 4))
    a = review_queue(P, X, X[:5], k=10)
    b = review_queue(P, X, X[:5], k=10)
    np.testing.assert_array_equal(a, b)
    assert len(set(a.tolist())) == 10


def _word_world(n, seed):
    """Answers whose embeddings are noise but whose words name their code."""
    r = np.random.default_rng(seed)
    words = {"code-0": "parking car park", "code-1": "nurse kind staff", "code-2": "wait hours late"}
    texts, Y = [], []
    for _ in range(n):
        c = f"code-{r.integers(0, 3)}"
        filler = " ".join(r.choice(["the", "was", "very", "and", "it"], size=3))
        texts.append(f"{filler} {words[c]} {filler}")
        Y.append({c})
    X = unit(r.normal(size=(n, DIM))).astype(np.float32)
    return texts, X, Y


def test_text_features_learn_what_embeddings_miss(world):
    codes, protos, _, _ = world
    Tr, Xr, Yr = _word_world(200, 12)
    Tt, Xt, Yt = _word_world(100, 13)
    with_text = CodeAssigner().fit(codes, Tr, Xr, Yr, code_embeddings=protos)
    without = CodeAssigner(text_features=False).fit(codes, Tr, Xr, Yr, code_embeddings=protos)
    f_with = micro_f1(with_text.predict_labels(Tt, Xt), Yt)
    f_without = micro_f1(without.predict_labels(Tt, Xt), Yt)
    assert f_with > 0.9 and f_with > f_without + 0.3
    assert with_text.prior_scale_ in with_text.prior_scales
    # without texts at prediction time the embedding model alone answers
    assert len(with_text.predict(None, Xt)) == len(Xt)


def test_text_model_sample_is_capped_and_deterministic(world):
    codes, protos, _, _ = world
    Tr, Xr, Yr = _word_world(120, 14)
    Tt, Xt, _ = _word_world(30, 15)
    fit = lambda: CodeAssigner(max_text_reviewed=50, random_state=1).fit(  # noqa: E731
        codes, Tr, Xr, Yr, code_embeddings=protos
    )
    a, b = fit(), fit()
    assert a._text["T"].shape[0] == 50
    np.testing.assert_array_equal(a.predict_proba(Tt, Xt), b.predict_proba(Tt, Xt))


def test_top_k_pools_over_several_examples_so_one_stray_example_does_not_decide():
    rng = np.random.default_rng(5)
    a, b = unit(rng.normal(size=(2, DIM)))
    x = unit(b + 0.05 * rng.normal(size=DIM))
    codes = [Code("a", "A"), Code("b", "B")]
    near = lambda c: unit(c + 0.3 * rng.normal(size=(5, DIM)) / np.sqrt(DIM))  # noqa: E731
    protos = {
        # code "a" has one stray example that is (nearly) the answer itself
        "a": CodePrototypes(positive=np.vstack([near(a), x[None]]), negative=np.zeros((0, DIM))),
        "b": CodePrototypes(positive=near(b), negative=np.zeros((0, DIM))),
    }
    top = lambda k: CodeAssigner(top_k=k).fit(codes, code_embeddings=protos).predict(  # noqa: E731
        None, x[None].astype(np.float32)
    )[0][0].code
    assert top(1) == "a"
    assert top(5) == "b"


@pytest.fixture(scope="module")
def worded_world(world):
    """The synthetic answers with texts whose words name their codes."""
    codes, protos, _, answers = world
    X, Y = answers(400, 11)
    words = {"code-0": "parking bus travel", "code-1": "nurse kind caring", "code-2": "food meal hot"}
    rng = np.random.default_rng(11)
    texts = [
        " ".join([words[c] for c in sorted(y)] + list(rng.choice(["the", "was", "very"], 3)))
        for y in Y
    ]
    return codes, protos, X, Y, texts


def test_self_training_learns_from_unlabeled_texts(worded_world):
    codes, protos, X, Y, texts = worded_world
    model = CodeAssigner(random_state=0).fit(
        codes, code_embeddings=protos, unlabeled_embeddings=X, unlabeled_texts=texts
    )
    assert model._st_text is not None
    with_text = model.predict_labels(texts, X)
    assert micro_f1(with_text, Y) > 0.75
    # without texts at prediction time the embedding models still answer
    assert micro_f1(model.predict_labels(None, X), Y) > 0.75
    # deterministic
    again = CodeAssigner(random_state=0).fit(
        codes, code_embeddings=protos, unlabeled_embeddings=X, unlabeled_texts=texts
    )
    np.testing.assert_allclose(again.predict_proba(texts, X), model.predict_proba(texts, X))


def test_self_training_text_switches_and_mismatch(worded_world):
    codes, protos, X, Y, texts = worded_world
    off = CodeAssigner(text_features=False).fit(
        codes, code_embeddings=protos, unlabeled_embeddings=X, unlabeled_texts=texts
    )
    assert off._st_text is None
    blank = CodeAssigner().fit(
        codes, code_embeddings=protos, unlabeled_embeddings=X, unlabeled_texts=[""] * len(X)
    )
    assert blank._st_text is None and len(blank.predict(None, X)) == len(X)
    with pytest.raises(ConsultError):
        CodeAssigner().fit(
            codes, code_embeddings=protos, unlabeled_embeddings=X, unlabeled_texts=texts[:-1]
        )
    one_round = CodeAssigner(self_training_rounds=1).fit(
        codes, code_embeddings=protos, unlabeled_embeddings=X, unlabeled_texts=texts
    )
    assert micro_f1(one_round.predict_labels(texts, X), Y) > 0.75


def test_top_k_is_chosen_from_the_codebook_when_not_given():
    rng = np.random.default_rng(7)
    a1, a2, b = unit(rng.normal(size=(3, DIM)))
    near = lambda c, n: unit(c + 0.2 * rng.normal(size=(n, DIM)) / np.sqrt(DIM))  # noqa: E731
    codes = [Code("a", "A"), Code("b", "B")]
    # code "a" has two far-apart kinds of example: pooling many of them blurs both
    protos = {
        "a": CodePrototypes(positive=np.vstack([near(a1, 3), near(a2, 3)]), negative=np.zeros((0, DIM))),
        "b": CodePrototypes(positive=near(b, 6), negative=np.zeros((0, DIM))),
    }
    auto = CodeAssigner().fit(codes, code_embeddings=protos)
    assert auto.top_k_ in auto.top_k_grid
    assert auto.top_k_ <= 3  # its own examples are classified right only with few neighbours
    assert CodeAssigner().fit(codes, code_embeddings=protos).top_k_ == auto.top_k_
    assert CodeAssigner(top_k=6).fit(codes, code_embeddings=protos).top_k_ == 6
    x = unit(a2 + 0.05 * rng.normal(size=DIM))[None].astype(np.float32)
    assert auto.predict_labels(None, x) == [{"a"}]


def test_other_only_when_no_code_is_near(world):
    codes, protos, centres, answers = world
    X, _ = answers(300, 11)
    # blur the answers more and more toward random directions, from near a code to near none
    rng = np.random.default_rng(3)
    blur = np.linspace(0.0, 4.0, len(X))[:, None]
    X = unit(X + blur * unit(rng.normal(size=(len(X), DIM)))).astype(np.float32)
    gated = CodeAssigner().fit(codes, code_embeddings=protos)
    plain = CodeAssigner(other_quantile=None).fit(codes, code_embeddings=protos)
    assert np.isfinite(gated.other_similarity_) and plain.other_similarity_ == -np.inf
    other_g = np.array([s == {OTHER} for s in gated.predict_labels(None, X)])
    other_p = np.array([s == {OTHER} for s in plain.predict_labels(None, X)])
    assert other_g.sum() > 0
    assert not (other_g & ~other_p).any()
    # the lower the cut-off, the fewer answers are "other"
    counts = [
        sum(s == {OTHER} for s in CodeAssigner(other_quantile=q)
            .fit(codes, code_embeddings=protos).predict_labels(None, X))
        for q in (0.5, 0.05, 0.0)
    ]
    assert other_p.sum() >= counts[0] >= counts[1] >= counts[2]
    # the gate only ever lowers "other", and lowers it most for answers near a code
    best = gated._similarity(X).max(1)
    po_g = gated.predict_proba(None, X)[:, -1]
    po_p = plain.predict_proba(None, X)[:, -1]
    assert np.all(po_g <= po_p + 1e-12)
    at_codes = unit(centres).astype(np.float32)
    assert np.all(gated._similarity(at_codes).max(1) >= gated.other_similarity_ + 0.02)
    assert np.all(gated.predict_proba(None, at_codes)[:, -1] < 0.2 * plain.predict_proba(None, at_codes)[:, -1] + 1e-9)
    # what the gate still calls "other" is farther from every code than the cut-off, or hopeless
    best = gated._similarity(X).max(1)
    p_top = gated.predict_proba(None, X)[:, :-1].max(1)
    assert np.all((best[other_g] < gated.other_similarity_ + 0.05) | (p_top[other_g] < gated.min_confidence))


def test_pseudo_labels_cover_every_code_and_weigh_by_margin(world):
    codes, protos, _, answers = world
    X, _ = answers(300, 12)
    model = CodeAssigner().fit(codes, code_embeddings=protos)
    S = model._similarity(X)
    top, keep, weight = model._pseudo_labels(S)
    assert len(weight) == keep.sum() and np.all(weight >= 0)
    assert np.isclose(weight.mean(), 1.0)
    # every code that is some answer's top code gets confident answers
    assert set(top[keep]) == set(top)
    srt = np.sort(S, axis=1)
    margin = (srt[:, -1] - srt[:, -2])[keep]
    # a larger margin never weighs less
    order = np.argsort(margin)
    assert np.all(np.diff(weight[order]) >= -1e-12)
    assert weight[order[-1]] > weight[order[0]]


def test_near_ties_teach_self_training_less(world):
    codes, protos, centres, answers = world
    X, Y = answers(300, 13)
    model = CodeAssigner(self_training_rounds=1).fit(
        codes, code_embeddings=protos, unlabeled_embeddings=X
    )
    top, keep, weight = model._pseudo_labels(model._similarity(X))
    flat = model._fit_st_embedding(X, top, keep, np.ones(keep.sum()))
    # the model actually used the margin weights
    assert not np.allclose(model._st_W, flat)
    assert micro_f1(model.predict_labels(None, X), Y) > 0.75


def test_self_trained_word_model_also_learns_the_codebook_words():
    """A word only the codebook's examples use still points to its code."""
    rng = np.random.default_rng(21)
    centres = unit(rng.normal(size=(2, DIM)))
    codes = [
        Code("a", "Alpha", examples=["the ferry was late", "ferry delays again"]),
        Code("b", "Beta", examples=["lovely garden", "garden was nice"]),
    ]
    protos = {
        c.id: CodePrototypes(
            positive=unit(centres[i] + 0.2 * rng.normal(size=(3, DIM)) / np.sqrt(DIM)),
            negative=np.zeros((0, DIM)),
        )
        for i, c in enumerate(codes)
    }
    X = unit(centres[rng.integers(0, 2, 200)] + 0.8 * rng.normal(size=(200, DIM)) / np.sqrt(DIM))
    texts = [f"answer {i} words here" for i in range(200)]  # no code word in any answer
    model = CodeAssigner(self_training_rounds=1).fit(
        codes, code_embeddings=protos, unlabeled_embeddings=X.astype(np.float32),
        unlabeled_texts=texts,
    )
    assert model._st_text is not None
    p = model._st_text_proba(["ferry ferry", "garden garden"])
    assert p[0, 0] > p[0, 1] and p[1, 1] > p[1, 0]


def test_other_gate_also_applies_with_reviewed_answers(world):
    codes, protos, centres, answers = world
    Xr, Yr = answers(60, 14)
    at_codes = unit(centres).astype(np.float32)
    gated = CodeAssigner().fit(codes, [""] * len(Xr), Xr, Yr, code_embeddings=protos)
    plain = CodeAssigner(other_quantile=None).fit(codes, [""] * len(Xr), Xr, Yr, code_embeddings=protos)
    po_g = gated.predict_proba(None, at_codes)[:, -1]
    po_p = plain.predict_proba(None, at_codes)[:, -1]
    # the gate only lowers "other", for answers sitting on a code
    assert np.all(po_g <= po_p + 1e-12)
    assert po_g.sum() < 0.5 * po_p.sum()
    # reviewers who teach "other" directly are still heard
    raw = np.random.default_rng(15).normal(size=(30, DIM))
    q, _ = np.linalg.qr(centres.T)
    far = unit(raw - raw @ q @ q.T).astype(np.float32)
    Xo = np.vstack([Xr, far])
    Yo = list(Yr) + [{OTHER}] * len(far)
    taught = CodeAssigner().fit(codes, [""] * len(Xo), Xo, Yo, code_embeddings=protos)
    assert sum(s == {OTHER} for s in taught.predict_labels(None, far)) >= 25
