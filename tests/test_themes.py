"""Tests for consult.themes on small planted-theme fixtures built here."""

from __future__ import annotations

import re

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.metrics import adjusted_rand_score

from consult.codebook import Codebook
from consult.errors import ConsultError
from consult.themes import (
    ThemeFinder,
    WardClusterer,
    draft_codebook,
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


def test_draft_codebook_from_stored_themes(data):
    texts, emb, _ = data
    result = ThemeFinder(min_themes=3, max_themes=12).fit(texts, emb)
    result.themes[1].label = result.themes[0].label  # force a clash of ids
    book = draft_codebook(result, "q1", texts)
    Codebook.from_dict(book)
    assert book["question"] == "q1"
    ids = [c["id"] for c in book["codes"]]
    assert len(ids) == len(set(ids)) == result.n_themes
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    for code, theme in zip(book["codes"], result.themes):
        assert code["label"] == theme.label
        assert code["examples"] and all(e in texts for e in code["examples"])  # these quotes are one sentence
        assert code["description"].startswith("Answers ") and "Answers about:" not in code["description"]


def pairs_of_themes(n_pairs: int = 4, per: int = 12, dim: int = 24, seed: int = 5):
    """2 * n_pairs themes; the two of a pair are near each other, pairs are far apart."""
    rng = np.random.default_rng(seed)
    topics = ["parking charges", "night staff", "waiting room", "discharge letters", "hospital food", "visiting hours"]
    base = np.linalg.qr(rng.normal(size=(dim, dim)))[0][:n_pairs]  # orthogonal pair centres
    texts, emb, labels = [], [], []
    for p in range(n_pairs):
        for half in range(2):
            theme = 2 * p + half
            offset = rng.normal(size=dim) * 0.08
            for i in range(per):
                texts.append(
                    f"The {topics[p]} were a problem for us [redacted]. "
                    f"It took {i + 2} weeks and nobody at the desk could explain to my family why the {topics[p]} "
                    f"were handled this way at all. {'Fix' if half else 'Review'} the {topics[p]} soon."
                )
                emb.append(base[p] + offset + 0.05 * rng.normal(size=dim))
                labels.append(theme)
    return texts, np.array(emb, dtype=np.float32), np.array(labels)


def test_propose_codebook_merges_near_themes():
    from consult.themes import propose_codebook

    texts, emb, labels = pairs_of_themes()
    draft = propose_codebook("q1", texts, emb, labels)
    assert draft.n_merged == 4
    assert sorted(sorted(g) for g in draft.groups) == [[0, 1], [2, 3], [4, 5], [6, 7]]
    book = Codebook.from_dict(draft.codebook)
    codes = [c for c in book if not c.builtin]
    assert len(codes) == 4 and len({c.label for c in codes}) == 4
    for code in codes:
        assert code.description.startswith("Answers ") and "[" not in code.description
        assert 1 <= len(code.examples) <= 3
        for ex in code.examples:
            # one point each: a single sentence of at most 20 words, no markers
            assert len(ex.split()) <= 20 and "[" not in ex
            assert len(re.findall(r"[.!?](\s|$)", ex)) == 1


def test_propose_codebook_caps_the_number_of_codes():
    from consult.themes import merge_themes, propose_codebook

    texts, emb, labels = pairs_of_themes()
    draft = propose_codebook("q1", texts, emb, labels, max_codes=3, merge_similarity=1.0)
    assert len(draft.codebook["codes"]) == 3 and draft.n_merged == 5
    assert sorted(t for g in draft.groups for t in g) == list(range(8))
    apart = propose_codebook("q1", texts, emb, labels, merge_similarity=1.0)
    assert apart.n_merged == 0 and len(apart.codebook["codes"]) == 8
    Codebook.from_dict(apart.codebook)  # eight codes from four topics: ids and labels still distinct
    assert merge_themes(np.eye(3), max_codes=12).tolist() == [0, 1, 2]
    assert merge_themes(np.array([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]])).tolist() == [0, 0, 1]
    with pytest.raises(ConsultError):
        merge_themes(np.eye(3), max_codes=0)


def test_propose_codebook_reproducible_and_empty():
    from consult.themes import propose_codebook

    texts, emb, labels = pairs_of_themes()
    a = propose_codebook("q1", texts, emb, labels, encoder=_pair_encoder(emb, texts))
    b = propose_codebook("q1", texts, emb, labels, encoder=_pair_encoder(emb, texts))
    assert a == b
    none = propose_codebook("q1", texts, emb, np.full(len(texts), -1))
    assert none.codebook == {"question": "q1", "codes": []} and none.n_merged == 0


def _pair_encoder(emb, texts):
    """A fake encoder consistent with the planted embeddings: a text's vector is that of the answers it occurs in."""

    def encode(items):
        out = []
        for item in items:
            hits = [i for i, t in enumerate(texts) if item.lower() in t.lower()]
            out.append(emb[hits].mean(0) if hits else np.ones(emb.shape[1]))
        return np.array(out)

    return encode


def test_code_description_reads_as_a_sentence():
    from consult.themes import code_description

    assert code_description("I think children need an advocate they trust.") == (
        "Answers saying that children need an advocate they trust."
    )
    assert code_description("Yes, the council should pay [redacted] for it") == (
        "Answers saying that the council should pay for it."
    )
    assert code_description("Give children more time.") == 'Answers such as: "Give children more time."'
    assert code_description("Why was my payment cancelled?") == 'Answers asking: "Why was my payment cancelled?"'
    assert code_description("") == "Answers like the examples."
    assert code_description("No comment.") == 'Answers such as: "No comment."'
    assert code_description("The reality is that the council pays the advocate.") == (
        "Answers saying that the council pays the advocate."
    )
    # no verb found where a subject would end: quoted rather than risk a broken sentence
    assert code_description("Frankly, short contracts make organisations cautious.") == (
        'Answers such as: "Short contracts make organisations cautious."'
    )
    assert code_description("As a parent, Every child should be told.") == (
        "Answers saying that every child should be told."
    )


def test_draft_code_ids_use_the_codebook_slug_rule():
    from consult.codebook import slugify
    from consult.themes import _code

    used = {"other"}
    assert _code("Children's voice — heard!", "d", [], used)["id"] == slugify("Children's voice — heard!")
    assert _code("Other", "d", [], used)["id"] == "other-2"
    assert len(_code("word " * 30, "d", [], used)["id"]) <= 48
    assert _code("!!!", "d", [], used)["id"].startswith("code-")


# --------------------------------------------------------------------------- labels and descriptions

MESSY = [
    [  # advocates' independence, with a rare misspelling, markers and hyphenated words
        "An independent advocate must be separate from the council.",
        "The independent advocate should be paid by someone else, [redacted] agrees.",
        "I've seen an independent advocate help my son, opt-out is better.",
        "Independent advocates need to be independent of the council!",
        "Children trust an independent advocate. [name] told me so.",
        "The council shouldn't pay the independent advocate.",
    ],
    [  # communication, with a word said twice and staff staff
        "Communication communication communication.",
        "Better communication with families please.",
        "Staff staff need communication training.",
        "The communication with families was poor.",
        "Communication with families must improve, staff staff said nothing.",
    ],
    [  # waiting, with contractions spelt both ways
        "We waited too long for the ambulance.",
        "The wait wasn't ok, don't make people wait that long.",
        "Waiting time too long, wont wait again.",
        "Too long waiting for the ambulance to come.",
        "Long waiting time for the ambulance, we didn't know why.",
    ],
    [  # another group whose commonest phrase is also "independent advocate"
        "A regional hub with an independent advocate near home.",
        "Regional hub for every independent advocate in the county.",
        "The independent advocate could sit in a regional hub.",
        "An independent advocate based in a regional hub is fine.",
    ],
]
TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+|-[A-Za-z0-9]+)*")


def messy(n_per: int = 30, dim: int = 32, seed: int = 0):
    """Messy answers in len(MESSY) groups, with planted embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(MESSY), dim))
    texts, emb, truth = [], [], []
    for g, pool in enumerate(MESSY):
        for i in range(n_per):
            # a misspelling in one answer in six: rarer than the right spelling, but not rare
            text = pool[i % len(pool)]
            if g == 0 and i % 6 == 3:
                text = "The independent advacate must be separate from the council."
            texts.append(text)
            emb.append(2 * centres[g] / np.linalg.norm(centres[g]) + 0.1 * rng.normal(size=dim))
            truth.append(g)
    # what the text says (to the fake encoder) plus a planted offset per group
    words = bag_encoder(texts)
    words /= np.linalg.norm(words, axis=1, keepdims=True)
    return texts, (words + np.array(emb)).astype(np.float32), np.array(truth)


def bag_encoder(texts):
    """A fake sentence encoder: the sum of a fixed random vector per word (stable across runs)."""
    import zlib

    out = np.zeros((len(texts), 32), dtype=np.float32)
    for i, text in enumerate(texts):
        for tok in TOKEN.findall(text.lower()):
            out[i] += np.random.default_rng(zlib.crc32(tok.encode())).normal(size=32)
    return out


def stem_of(word: str) -> str:
    from consult.themes import stem

    return stem(word)


def assert_readable_label(label: str, member_texts: list[str]) -> None:
    words = label.split()
    assert 2 <= len(words) <= 6, label
    assert label[0].isupper(), label
    assert not re.search(r"[\[\]<>{}]|redacted", label, re.I), label
    stems = [stem_of(w) for w in words]
    assert len(set(stems)) == len(stems), f"repeated word in {label!r}"
    tokens = {t.lower() for text in member_texts for t in TOKEN.findall(text)}
    for w in words:
        assert w.lower() in tokens, f"{w!r} of {label!r} is not a word of the theme's answers"


@pytest.mark.parametrize("use_encoder", [False, True])
def test_labels_are_readable_phrases(use_encoder):
    texts, emb, truth = messy()
    kwargs = {"encoder": bag_encoder} if use_encoder else {}
    result = ThemeFinder(min_themes=2, max_themes=8).fit(texts, emb, **kwargs)
    assert result.n_themes == len(MESSY)
    labels = [t.label for t in result.themes]
    assert len({l.lower() for l in labels}) == len(labels), labels
    for theme in result.themes:
        member_texts = [texts[i] for i in theme.members]
        assert_readable_label(theme.label, member_texts)
        said = [" " + " ".join(TOKEN.findall(x.lower())) + " " for x in member_texts]
        for term in theme.terms:
            assert "[" not in term and "redacted" not in term.lower()
            stems = [stem_of(w) for w in term.split()]
            assert len(set(stems)) == len(stems), f"repeated word in term {term!r}"
            # whole words, in the order some answer has them
            assert any(f" {term.lower()} " in x for x in said), term


def test_misspelling_takes_the_common_spelling():
    texts, emb, truth = messy()
    result = ThemeFinder(min_themes=2, max_themes=8).fit(texts, emb)
    group0 = next(t for t in result.themes if truth[t.members[0]] == 0)
    everything = " ".join([t.label for t in result.themes] + [x for t in result.themes for x in t.terms])
    assert "advacate" not in everything.lower()
    assert any("advocate" in x.lower() for x in [group0.label, *group0.terms])


def test_label_keeps_the_usual_capitals():
    texts = ["The NHS app helps.", "I use the NHS app daily.", "NHS app is good.", "My NHS app works."] * 3
    texts += ["Parking costs too much.", "The parking costs are high.", "Parking costs money."] * 4
    emb = np.array([[1.0, 0.0]] * 12 + [[0.0, 1.0]] * 12, dtype=np.float32)
    labels = np.array([0] * 12 + [1] * 12)
    from consult.themes import describe_themes

    out = describe_themes(texts, emb, labels)
    assert out[0].label == "NHS app"
    assert out[1].label == "Parking costs"


def test_encoder_chooses_the_label_by_meaning():
    from consult.themes import describe_themes

    texts = ["The local advocacy service is good."] * 27 + ["A regional hub near home.", "Regional hub please.",
                                                         "Regional hub would help."]
    texts += ["Training for staff matters."] * 30
    emb = np.array([[1.0, 0.0, 0.0]] * 30 + [[0.0, 0.0, 1.0]] * 30, dtype=np.float32)
    labels = np.array([0] * 30 + [1] * 30)
    calls = []

    def encoder(phrases):
        calls.append(list(phrases))
        # only "regional hub" means what the group's answers mean
        return np.array([[1.0, 0.0, 0.0] if p.lower() == "regional hub" else [0.0, 1.0, 0.0] for p in phrases])

    plain = describe_themes(texts, emb, labels)
    meant = describe_themes(texts, emb, labels, encoder=encoder)
    assert plain[0].label != "Regional hub"
    assert meant[0].label == "Regional hub"
    assert meant[0].terms[0] == "regional hub"
    assert calls and "regional hub" in calls[0]


def test_equal_best_labels_are_made_distinct():
    from consult.themes import describe_themes

    texts = ["Independent advocate, regional hub."] * 10 + ["Independent advocate, local office."] * 8
    emb = np.array([[1.0, 0.0, 0.0]] * 10 + [[0.0, 1.0, 0.0]] * 8, dtype=np.float32)
    labels = np.array([0] * 10 + [1] * 8)

    def encoder(phrases):  # "independent advocate" is what both groups are about
        return np.array([[1.0, 1.0, 0.0] if p.lower() == "independent advocate" else [0.1, 0.1, 1.0] for p in phrases])

    out = describe_themes(texts, emb, labels, encoder=encoder)
    assert out[0].label == "Independent advocate"  # the larger group keeps the best label
    assert out[1].label == "Local office"


def test_labels_of_identical_short_answers():
    from consult.themes import describe_themes

    texts = ["Did not answer."] * 10 + ["Nothing to improve."] * 10 + ["the and of it"] * 10
    emb = np.eye(3, dtype=np.float32)[np.repeat([0, 1, 2], 10)]
    out = describe_themes(texts, emb, np.repeat([0, 1, 2], 10))
    assert out[0].label == "Did not answer"
    assert out[1].label == "Nothing to improve"
    assert out[2].label  # only stop words: still labelled, from the answer itself
    assert len({o.label for o in out.values()}) == 3


def test_description_is_the_central_sentence_shortened():
    from consult.themes import describe_themes

    long_tail = " ".join(["and then we waited for a very long time"] * 4)
    central = "Advocates must be independent of the council [redacted], " + long_tail + "."
    texts = [central, "Advocates must be independent. Councils pay them otherwise.", "Independent advocates only."]
    emb = np.array([[1.0, 0.0], [0.9, 0.1], [0.8, 0.2]], dtype=np.float32)
    out = describe_themes(texts, emb, [0, 0, 0])
    desc = out[0].description
    # the most central answer has one sentence but it is too long and has a marker: the next one is chosen
    assert desc == "Advocates must be independent."
    only = describe_themes([central, central], emb[:2], [0, 0])[0].description
    assert "[" not in only and "redacted" not in only
    assert len(only.split()) <= 25 and only.endswith("…")
    assert only.startswith("Advocates must be independent of the council")


def test_labels_reproducible_with_encoder():
    texts, emb, _ = messy()
    a = ThemeFinder(min_themes=2, max_themes=8, random_state=3).fit(texts, emb, encoder=bag_encoder)
    b = ThemeFinder(min_themes=2, max_themes=8, random_state=3).fit(texts, emb, encoder=bag_encoder)
    def named(result):
        return [(t.label, t.terms, t.description) for t in result.themes]

    assert named(a) == named(b)


def test_stem_and_misspellings():
    from consult.themes import _misspellings, _one_edit, stem

    assert stem("Staff") == stem("staffing") == "staff"
    assert stem("communications") == stem("communication")
    assert stem("process") == stem("processes")
    assert _one_edit("advacate", "advocate") and _one_edit("becuase", "because") and _one_edit("realy", "really")
    assert not _one_edit("advocate", "advocacy") and not _one_edit("advice", "advice")
    assert _one_edit("care", "core")  # one edit, but words this short are never folded:
    assert _misspellings({"core": 100, "care": 1}) == {}
    fold = _misspellings({"advocate": 50, "advacate": 5, "advocates": 4, "advise": 3, "advice": 30})
    assert fold["advacate"] == "advocate"
    assert "advocates" not in fold  # a plural is not a misspelling
    assert fold.get("advise") == "advice"  # the cost of the rule: a rare real word is folded too
