"""Tests for consult.themes on small planted-theme fixtures built here."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

from consult.errors import ConsultError
from consult.themes import (
    ThemeFinder,
    WardClusterer,
    draft_codebook,
    slugify,
    theme_split,
    weighted_ward_linkage,
)

TOPICS = [
    ("independent advocate", ["independent", "advocate", "council", "conflict"]),
    ("opt out", ["automatic", "opt", "offer", "default"]),
    ("young people voice", ["listen", "voice", "views", "heard"]),
    ("funding pressures", ["funding", "money", "budget", "cost"]),
    ("training standards", ["training", "qualified", "skills", "standards"]),
    ("disabled children", ["disabled", "communication", "needs", "accessible"]),
]


def planted(n_per: int = 30, dim: int = 48, noise: float = 0.35, seed: int = 0):
    """Texts and embeddings with len(TOPICS) well separated groups."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(TOPICS), dim))
    texts, emb, truth = [], [], []
    for t, (phrase, words) in enumerate(TOPICS):
        for i in range(n_per):
            picks = rng.choice(words, 2, replace=False)
            texts.append(f"We think {phrase} matters because of {picks[0]} and {picks[1]} ({i}).")
            emb.append(centres[t] + noise * rng.normal(size=dim))
            truth.append(t)
    return texts, np.array(emb, dtype=np.float32), np.array(truth)


@pytest.fixture(scope="module")
def data():
    return planted()


def test_recovers_planted_themes(data):
    texts, emb, truth = data
    result = ThemeFinder(min_themes=3, max_themes=12).fit(texts, emb)
    assert result.n_themes == len(TOPICS)
    assert adjusted_rand_score(truth, result.labels) > 0.95
    assert result.unclustered == []
    for theme in result.themes:
        phrase, words = TOPICS[np.bincount(truth[theme.members]).argmax()]
        vocab = set(phrase.split()) | set(words)
        assert vocab & set(theme.label.lower().split())
        assert vocab & set(" ".join(theme.terms[:3]).split())


def test_two_runs_identical(data):
    texts, emb, _ = data
    a = ThemeFinder(min_themes=3, max_themes=12, random_state=7).fit(texts, emb)
    b = ThemeFinder(min_themes=3, max_themes=12, random_state=7).fit(texts, emb)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert [(t.id, t.label, t.terms, t.quotes, t.size) for t in a.themes] == [
        (t.id, t.label, t.terms, t.quotes, t.size) for t in b.themes
    ]


def test_theme_structure(data):
    texts, emb, _ = data
    result = ThemeFinder(min_themes=3, max_themes=12, n_quotes=4).fit(texts, emb)
    sizes = [t.size for t in result.themes]
    assert sizes == sorted(sizes, reverse=True)
    assert [t.id for t in result.themes] == list(range(result.n_themes))
    for theme in result.themes:
        assert theme.members == np.flatnonzero(result.labels == theme.id).tolist()
        assert 3 <= len(theme.quotes) <= 4
        assert len(set(theme.quotes)) == len(theme.quotes)
        assert set(theme.quotes) <= set(theme.members)
        assert theme.terms and all(w not in ("the", "and", "of") for w in theme.terms)


def test_fixed_number_of_themes(data):
    texts, emb, _ = data
    result = ThemeFinder(n_themes=3).fit(texts, emb)
    assert result.n_themes == 3
    assert sorted(set(result.labels.tolist())) == [0, 1, 2]


def test_weights_give_theme_sizes(data):
    texts, emb, truth = data
    weights = np.ones(len(texts))
    weights[truth == 5] = 10  # one campaign-like group stands for many respondents
    result = ThemeFinder(min_themes=3, max_themes=12).fit(texts, emb, weights=weights)
    top = result.themes[0]
    assert top.size == pytest.approx(300)
    assert set(truth[top.members]) == {5}


def test_outliers_kept_or_reassigned(data):
    texts, emb, _ = data
    rng = np.random.default_rng(1)
    odd = rng.normal(size=(3, emb.shape[1])).astype(np.float32) * 5
    all_texts = texts + ["Something unrelated", "Another unrelated answer", "A third odd one"]
    all_emb = np.vstack([emb, odd])
    strict = ThemeFinder(min_themes=3, max_themes=12, outlier_threshold=0.6).fit(all_texts, all_emb)
    assert set(strict.unclustered) == {180, 181, 182}
    assert (strict.labels[180:] == -1).all()
    assert strict.unclustered_size == 3
    lenient = ThemeFinder(min_themes=3, max_themes=12, outlier_threshold=-1.0).fit(all_texts, all_emb)
    assert lenient.unclustered == []


@pytest.mark.parametrize("n", [0, 1, 3])
def test_too_few_answers(n):
    texts, emb, _ = planted(n_per=1)
    result = ThemeFinder().fit(texts[:n], emb[:n])
    assert result.themes == []
    assert result.note and ("Too few" in result.note or "No answers" in result.note)
    assert result.unclustered == list(range(n))
    assert (result.labels == -1).all()


def test_fewer_texts_than_min_themes():
    texts, emb, _ = planted(n_per=2)
    result = ThemeFinder(min_themes=20).fit(texts, emb)
    assert result.themes == [] and "Too few answers (12" in result.note


def test_all_identical_answers():
    texts = ["No comment"] * 25
    emb = np.tile(np.linspace(-1, 1, 16, dtype=np.float32), (25, 1))
    result = ThemeFinder().fit(texts, emb)
    assert result.n_themes == 1 and result.themes[0].size == 25
    assert "same" in result.note
    assert result.themes[0].quotes == [0]


def test_only_stop_words_still_labelled():
    texts, emb, _ = planted(n_per=10)
    texts = ["the and of it"] * len(texts)
    result = ThemeFinder(min_themes=3, max_themes=8).fit(texts, emb)
    assert result.n_themes >= 3
    assert all(t.label for t in result.themes)


def test_bad_input_is_consult_error(data):
    texts, emb, _ = data
    with pytest.raises(ConsultError):
        ThemeFinder().fit(texts, emb[:10])
    with pytest.raises(ConsultError):
        ThemeFinder().fit(texts, emb, weights=[1.0])
    with pytest.raises(ConsultError):
        ThemeFinder(min_themes=10, max_themes=5)


def test_swappable_steps(data):
    from sklearn.cluster import KMeans

    texts, emb, truth = data
    result = ThemeFinder(clusterer=KMeans(6, n_init=3, random_state=0), reducer=_Identity()).fit(texts, emb)
    assert result.n_themes == 6
    assert adjusted_rand_score(truth, result.labels) > 0.95


class _Identity:
    def fit_transform(self, x, y=None):
        return x


def test_micro_cluster_path_matches_planted():
    texts, emb, truth = planted(n_per=120)
    clusterer = WardClusterer(3, 12, max_points=200, n_micro=60, random_state=0)
    clusterer.fit(emb)
    assert clusterer.n_clusters_ == len(TOPICS)
    assert adjusted_rand_score(truth, clusterer.labels_) > 0.95
    again = WardClusterer(3, 12, max_points=200, n_micro=60, random_state=0).fit(emb)
    np.testing.assert_array_equal(clusterer.labels_, again.labels_)


def test_weighted_ward_matches_scipy_with_unit_weights():
    x = np.random.default_rng(3).normal(size=(40, 5))
    ours = weighted_ward_linkage(x, np.ones(40))
    ref = linkage(x, method="ward")
    np.testing.assert_allclose(ours[:, 2], ref[:, 2], rtol=1e-6)
    for k in (2, 5, 9):
        assert adjusted_rand_score(fcluster(ours, k, "maxclust"), fcluster(ref, k, "maxclust")) == 1.0


def test_weighted_ward_equals_ward_on_repeated_points():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(12, 3))
    w = rng.integers(1, 4, size=12)
    expanded = np.repeat(x, w, axis=0)
    ours = weighted_ward_linkage(x, w)
    ref = linkage(expanded, method="ward")
    # the last merges of the expanded tree are the merges between the weighted points
    np.testing.assert_allclose(np.sort(ours[:, 2]), np.sort(ref[:, 2])[-11:], rtol=1e-6)


def test_theme_split_weighted():
    labels = [0, 0, 1, -1, 1]
    closed = ["Agree", "Disagree", "Agree", "Agree", "Agree"]
    split = theme_split(labels, closed, weights=[1, 2, 1, 1, 3])
    assert split == {-1: {"Agree": 1.0}, 0: {"Agree": 1.0, "Disagree": 2.0}, 1: {"Agree": 4.0}}
    with pytest.raises(ConsultError):
        theme_split(labels, closed[:2])


def test_draft_codebook(data):
    texts, emb, _ = data
    result = ThemeFinder(min_themes=3, max_themes=12).fit(texts, emb)
    result.themes[1].label = result.themes[0].label  # force a clash of ids
    book = draft_codebook(result, "q1", texts)
    assert book["question"] == "q1"
    ids = [c["id"] for c in book["codes"]]
    assert len(ids) == len(set(ids)) == result.n_themes
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    for code, theme in zip(book["codes"], result.themes):
        assert code["label"] == theme.label
        assert code["examples"] == [texts[q] for q in theme.quotes[:3]]
        assert theme.terms[0] in code["description"]


def test_slugify():
    assert slugify("Children's voice — heard!") == "children-s-voice-heard"
    assert slugify("!!!") == "theme"
