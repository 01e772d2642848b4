"""The quality check: sample size, sampling, estimates with intervals, status, and interval coverage."""

from __future__ import annotations

import json
import math
import random

import numpy as np
import pytest
from scipy import stats

from consult.codebook import Code, Codebook
from consult.errors import ConsultError
from consult.evaluate import agreement
from consult.quality import (
    Interval,
    QualityEstimate,
    QualitySettings,
    draw_sample,
    estimate_quality,
    margin_of_error,
    question_status,
    ratio_interval,
    sample_size,
)


def wilson(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """The textbook Wilson score interval."""
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


# --------------------------------------------------------------------------- sample size


def test_sample_size_for_an_infinite_population():
    # Cochran's n0 = 1.95996² × 0.25 / 0.05² = 384.15: the textbook "384", rounded up so the margin is met.
    assert sample_size(None) == 385
    assert margin_of_error(385) <= 0.05 < margin_of_error(384)
    assert sample_size(None, margin=0.03) == 1068  # n0 = 1067.1
    assert sample_size(None, confidence=0.99) == 664  # 2.5758² × 0.25 / 0.0025 = 663.5
    assert sample_size(None, p=0.1) == 139  # 1.95996² × 0.09 / 0.0025 = 138.3


@pytest.mark.parametrize(
    "population, expected",
    # n = n0 / (1 + (n0 - 1) / N), rounded up; Krejcie & Morgan's (1970) table, which rounds to the
    # nearest, gives the same except 217 for N = 500 (217.49).
    [(10, 10), (100, 80), (500, 218), (1000, 278), (10_000, 370), (100_000, 383), (1, 1), (0, 0)],
)
def test_sample_size_with_the_finite_population_correction(population, expected):
    assert sample_size(population) == expected


@pytest.mark.parametrize("population", [2, 37, 400, 2_345, 50_000])
@pytest.mark.parametrize("margin", [0.02, 0.05, 0.1])
def test_sample_size_is_the_smallest_meeting_the_margin(population, margin):
    n = sample_size(population, margin=margin)
    assert margin_of_error(n, population) <= margin + 1e-12
    assert n == 1 or margin_of_error(n - 1, population) > margin


def test_sample_size_rejects_bad_input():
    for kwargs in ({"margin": 0}, {"margin": 1.5}, {"confidence": 1.0}, {"p": 0.0}):
        with pytest.raises(ConsultError):
            sample_size(100, **kwargs)
    with pytest.raises(ConsultError):
        sample_size(-1)


# --------------------------------------------------------------------------- sampling


def test_draw_sample_is_reproducible_and_ignores_input_order():
    ids = list(range(1, 1001))
    first = draw_sample(ids, 50, random_state=7)
    shuffled = ids[:]
    random.Random(3).shuffle(shuffled)
    assert draw_sample(shuffled, 50, random_state=7) == first
    assert draw_sample(ids + ids[:10], 50, random_state=7) == first  # duplicates ignored
    assert len(first) == len(set(first)) == 50 and set(first) <= set(ids)
    other = draw_sample(ids, 50, random_state=8)
    assert len(set(first) & set(other)) < 15  # another seed, another sample (expected overlap 2.5)


def test_draw_sample_any_first_part_is_the_smaller_sample():
    ids = range(500)
    assert draw_sample(ids, 100, 1)[:40] == draw_sample(ids, 40, 1)
    assert sorted(draw_sample(ids, 900, 1)) == list(ids)
    assert draw_sample(ids, 0, 1) == []
    assert draw_sample([], 5, 1) == []


def test_draw_sample_is_a_uniform_random_sample():
    # Over many seeds, each of 20 ids is drawn into a sample of 5 a quarter of the time.
    counts = np.zeros(20)
    seeds = 4000
    for seed in range(seeds):
        counts[draw_sample(range(20), 5, seed)] += 1
    expected = seeds * 5 / 20
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert stats.chi2.sf(chi2, df=19) > 0.001
    # And the first place in the order is equally likely to be any id.
    firsts = np.bincount([draw_sample(range(20), 1, seed)[0] for seed in range(seeds)], minlength=20)
    assert stats.chisquare(firsts).pvalue > 0.001


def test_draw_sample_is_stable_when_the_population_grows():
    ids = list(range(5000))
    n = sample_size(len(ids))
    before = draw_sample(ids, n, random_state=0)
    grown = ids + list(range(10_000, 10_100))  # a re-run adds 2% more answers
    after = draw_sample(grown, sample_size(len(grown)), random_state=0)
    kept = set(before) & set(after)
    assert len(kept) >= n - 10  # about n × 100 / 5100 ≈ 7 pushed out, not a reshuffle
    # Those pushed out are the last in the old order, the least likely to have been checked.
    dropped = [i for i in before if i not in kept]
    assert all(before.index(i) >= n - len(dropped) for i in dropped)


def test_draw_sample_keeps_checked_answers():
    ids = list(range(5000))
    n = sample_size(len(ids))
    before = draw_sample(ids, n, random_state=0)
    grown = ids + list(range(10_000, 10_300))
    plain = draw_sample(grown, n, random_state=0)
    assert set(before) - set(plain), "the growth must push some checked answers out for this test"
    after = draw_sample(grown, n, random_state=0, keep=before)
    assert set(before) <= set(after)
    # Still a first part of the same random order: the plain sample plus the next ones in order.
    assert after[:n] == plain
    assert after == draw_sample(grown, len(after), random_state=0)
    # A checked answer that is no longer a candidate (now reviewed in the queue) just leaves.
    gone = before[-1]
    assert gone not in draw_sample([i for i in grown if i != gone], n, 0, keep=before)


def test_draw_sample_when_answers_leave():
    ids = list(range(2000))
    before = draw_sample(ids, 100, 5)
    removed = set(before[::10])
    after = draw_sample([i for i in ids if i not in removed], 100, 5)
    assert set(before) - removed <= set(after) and not removed & set(after) and len(after) == 100


# --------------------------------------------------------------------------- estimates


def test_estimate_on_a_small_hand_computed_case():
    predicted = {1: {"a", "b"}, 2: {"a"}, 3: set(), 4: {"c"}}
    checked = {1: {"a"}, 2: {"a", "c"}, 3: set(), 4: {"c"}}
    est = estimate_quality(predicted, checked, min_support=1)
    # TP: a@1, a@2, c@4 = 3; FP: b@1; FN: c@2.
    assert (est.tp, est.fp, est.fn) == (3, 1, 1)
    assert est.precision.estimate == pytest.approx(3 / 4)
    assert est.recall.estimate == pytest.approx(3 / 4)
    assert est.f1.estimate == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    assert est.exact_match.estimate == pytest.approx(2 / 4)
    # Exact match is a proportion of answers: Wilson's interval on n - 1 (the variance's unbiased form).
    assert (est.exact_match.lower, est.exact_match.upper) == pytest.approx(wilson(0.5 * 3, 3))
    a, b, c = est.per_code
    assert (a.code, a.gold, a.predicted) == ("a", 2, 2)
    assert a.precision.estimate == a.recall.estimate == a.f1.estimate == 1.0
    assert b.precision.estimate == 0.0 and math.isnan(b.recall.estimate) and b.f1.estimate == 0.0
    assert c.precision.estimate == 1.0 and c.recall.estimate == 0.5 and c.f1.estimate == pytest.approx(2 / 3)
    for i in (est.precision, est.recall, est.f1, est.exact_match, a.f1, c.recall):
        assert 0.0 <= i.lower <= i.estimate <= i.upper <= 1.0


def test_point_estimates_match_consult_evaluate():
    rng = np.random.default_rng(0)
    codes = [f"c{j}" for j in range(8)]
    gold = {i: {c for c in codes if rng.random() < 0.2} for i in range(300)}
    pred = {i: {c for c in codes if (c in gold[i]) == (rng.random() < 0.85)} for i in range(300)}
    est = estimate_quality(pred, gold, codes=codes)
    rep = agreement({str(k): v for k, v in pred.items()}, {str(k): v for k, v in gold.items()}, codes)
    assert est.precision.estimate == pytest.approx(rep.micro_precision)
    assert est.recall.estimate == pytest.approx(rep.micro_recall)
    assert est.f1.estimate == pytest.approx(rep.micro_f1)
    assert est.exact_match.estimate == pytest.approx(rep.exact_match)
    for mine, theirs in zip(est.per_code, rep.per_code):
        assert mine.f1.estimate == pytest.approx(theirs.f1) and mine.gold == theirs.support


def test_one_item_per_unit_is_wilson():
    lo, hi = wilson(30 * 59 / 60, 59)  # 30 of 60 units succeed; effective n = n - 1 = 59
    assert ratio_interval([1] * 30 + [0] * 30, [1] * 60) == Interval(0.5, pytest.approx(lo), pytest.approx(hi))


def test_errors_bunched_in_few_answers_widen_the_interval():
    # 200 answers with 3 codes each, 60 of the 600 codes wrong: spread out (1 wrong in each of 60 answers)
    # or bunched (all 3 wrong in 20 answers). Same precision; bunched errors carry less information.
    spread = ratio_interval([2] * 60 + [3] * 140, [3] * 200)
    bunched = ratio_interval([0] * 20 + [3] * 180, [3] * 200)
    assert spread.estimate == bunched.estimate == pytest.approx(0.9)
    assert bunched.upper - bunched.lower > 1.4 * (spread.upper - spread.lower)
    # Pairs treated as independent (600 of them) would be narrower than either.
    lo, hi = wilson(540, 600)
    assert hi - lo < spread.upper - spread.lower + 1e-9


def test_finite_population_correction():
    y, x = [1] * 70 + [0] * 30, [1] * 100
    infinite = ratio_interval(y, x)
    half = ratio_interval(y, x, population=200)
    census = ratio_interval(y, x, population=100)
    assert census == Interval(0.7, 0.7, 0.7)  # every unit checked: the value is known
    ratio = (half.upper - half.lower) / (infinite.upper - infinite.lower)
    assert ratio == pytest.approx(math.sqrt(1 - 100 / 200), rel=0.05)
    assert ratio_interval(y, x, population=100_000).upper == pytest.approx(infinite.upper, abs=1e-3)
    with pytest.raises(ConsultError):
        ratio_interval(y, x, population=50)


def test_weights_count_respondents():
    # Answer 2 is a campaign template standing for 9 members: its wrong code counts 9 times.
    predicted = {1: {"a"}, 2: {"b"}, 3: {"a"}}
    checked = {1: {"a"}, 2: {"a"}, 3: {"a"}}
    plain = estimate_quality(predicted, checked)
    weighted = estimate_quality(predicted, checked, weights={2: 9})
    assert plain.precision.estimate == pytest.approx(2 / 3)
    assert weighted.precision.estimate == pytest.approx(2 / 11)
    assert weighted.exact_match.estimate == pytest.approx(2 / 11)
    assert weighted.respondents == 11 and weighted.n_checked == 3
    with pytest.raises(ConsultError):
        estimate_quality(predicted, checked, weights={2: 0})


def test_answers_checked_with_certainty():
    # A campaign template standing for 50 respondents, checked in full: 1 of its 2 codes right.
    # The other 100 answers were sampled 10 at a time; 8 of the 10 sampled single codes are right.
    predicted = {"t": {"a", "b"}, **{i: {"a"} for i in range(10)}}
    checked = {"t": {"a"}, **{i: {"a"} if i < 8 else {"b"} for i in range(10)}}
    est = estimate_quality(predicted, checked, weights={"t": 50}, census=["t"], population=100)
    # Each sampled answer stands for 100 / 10 = 10 of the unreviewed answers.
    assert est.precision.estimate == pytest.approx((50 * 1 + 10 * 8) / (50 * 2 + 10 * 10))
    assert est.census == 1 and est.n_checked == 11
    # The template adds no sampling error: the interval is as wide as if its pairs were known.
    other = estimate_quality({**predicted, "t": {"a"}}, checked, weights={"t": 50}, census=["t"], population=100)
    assert other.precision.estimate > est.precision.estimate
    assert est.exact_match.upper - est.exact_match.lower == pytest.approx(
        other.exact_match.upper - other.exact_match.lower, rel=0.3)
    # Every answer checked (the census is everything): known exactly.
    full = estimate_quality(predicted, checked, census=list(checked), population=0)
    assert full.precision.lower == full.precision.estimate == full.precision.upper
    # A census with nothing drawn yet from a non-empty rest says nothing about the rest.
    assert math.isnan(estimate_quality({"t": {"a"}}, {"t": {"a"}}, census=["t"], population=100).f1.estimate)
    with pytest.raises(ConsultError, match="population"):
        estimate_quality(predicted, checked, census=["t"])
    assert QualityEstimate.from_dict(json.loads(json.dumps(est.to_dict()))).census == 1
    assert "plus 1 checked without sampling" in est.format_table()


def test_model_gives_no_codes():
    est = estimate_quality({}, {1: {"a"}, 2: {"b"}, 3: set()}, min_support=1)
    assert math.isnan(est.precision.estimate) and math.isnan(est.precision.lower)
    assert est.recall.estimate == 0.0 and est.recall.lower == 0.0 and 0.0 < est.recall.upper < 1.0
    assert est.f1.estimate == 0.0
    assert est.exact_match.estimate == pytest.approx(1 / 3)
    assert question_status(est) == "draft"


def test_perfect_agreement():
    checked = {i: {"a", "b"} if i % 2 else {"c"} for i in range(100)}
    est = estimate_quality(checked, checked)
    for i in (est.precision, est.recall, est.f1, est.exact_match):
        assert i.estimate == i.upper == 1.0
        assert 0.95 < i.lower < 1.0  # a perfect sample still leaves room for some errors elsewhere
    # No variance seen: Wilson on the 150 pairs (Korn & Graubard), a little wider for the 100 answers holding them.
    assert wilson(100, 100)[0] < est.precision.lower < wilson(150, 150)[0]
    assert est.precision.lower == pytest.approx(wilson(150, 150)[0], abs=5e-4)


def test_all_empty_sets():
    est = estimate_quality({}, {i: set() for i in range(20)})
    assert math.isnan(est.precision.estimate) and math.isnan(est.recall.estimate) and math.isnan(est.f1.estimate)
    assert est.exact_match.estimate == 1.0
    assert question_status(est) == "draft"  # F1 undefined: nothing shows the codes are good
    assert question_status(est, metric="exact_match_lower") == "checked"


def test_sample_of_one():
    est = estimate_quality({7: {"a", "b", "c"}}, {7: {"a", "b", "c"}})
    assert est.precision.estimate == 1.0
    # One answer is one unit's worth of evidence, however many codes it has.
    assert est.precision.lower == pytest.approx(wilson(1, 1)[0])
    assert est.precision.lower < 0.25


def test_empty_sample():
    est = estimate_quality({}, {}, codes=["a"])
    assert est.n_checked == 0 and math.isnan(est.f1.estimate) and not est.per_code[0].estimated
    assert question_status(est) == "draft"


def test_per_code_needs_enough_support():
    rng = np.random.default_rng(1)
    checked = {i: {"common"} | ({"rare"} if i < 4 else set()) for i in range(60)}
    predicted = {i: ({"common"} if rng.random() < 0.9 else set()) | ({"rare"} if i < 3 else set()) for i in range(60)}
    est = estimate_quality(predicted, checked, min_support=10)
    common, rare = sorted(est.per_code, key=lambda c: c.code)
    assert common.estimated and not math.isnan(common.recall.lower)
    assert not rare.estimated and rare.note == "too few to estimate" and math.isnan(rare.f1.estimate)
    assert (rare.gold, rare.predicted) == (4, 3)
    assert estimate_quality(predicted, checked, min_support=4).per_code[1].estimated


def test_codebook_labels_and_unknown_codes():
    book = Codebook(question="q1", codes=(Code("cost", "Cost of living"), Code("fair", "Fairness")))
    est = estimate_quality({1: {"cost"}}, {1: {"cost"}}, codes=book, min_support=1)
    assert [(c.code, c.label) for c in est.per_code] == [
        ("cost", "Cost of living"), ("fair", "Fairness"), ("other", "Other"),
        ("non-substantive", "No substantive answer")]
    with pytest.raises(ConsultError, match="not in the codebook"):
        estimate_quality({1: {"nope"}}, {1: {"cost"}}, codes=book)


def test_to_dict_round_trip_and_table():
    book = Codebook(question="q1", codes=(Code("cost", "Cost of living"), Code("fair", "Fairness")))
    checked = {i: {"cost"} if i % 3 else {"fair"} for i in range(40)}
    predicted = {i: {"cost"} for i in range(40)}
    est = estimate_quality(predicted, checked, codes=book, population=900, min_support=15)
    data = json.loads(json.dumps(est.to_dict(), allow_nan=False))
    assert data["per_code"][1]["estimated"] is False and data["per_code"][1]["f1"]["estimate"] is None
    assert QualityEstimate.from_dict(data).to_dict() == est.to_dict()
    table = est.format_table()
    assert "40 answers checked of 900 unreviewed" in table
    assert f"{est.f1.estimate:.3f} [{est.f1.lower:.3f}, {est.f1.upper:.3f}]" in table
    assert "Cost of living [cost]" in table and "too few to estimate" in table


# --------------------------------------------------------------------------- status and settings


def _estimate(f1: Interval, population: int | None = 1000, n: int = 300) -> QualityEstimate:
    nan = Interval(math.nan, math.nan, math.nan)
    return QualityEstimate(n, population, float(n), 0.95, 10, 0, 0, 0, nan, nan, f1, nan)


def test_question_status():
    assert question_status(None) == "draft"  # no sample yet
    assert question_status(None, unreviewed=0) == "checked"  # a person coded every answer
    assert question_status(_estimate(Interval(0.9, 0.8, 0.95), population=0, n=0)) == "checked"
    assert question_status(_estimate(Interval(0.9, 0.8, 0.95))) == "checked"
    assert question_status(_estimate(Interval(0.8, 0.74, 0.85))) == "draft"  # good point, unsure bound
    assert question_status(_estimate(Interval(0.8, 0.74, 0.85)), metric="f1") == "checked"
    assert question_status(_estimate(Interval(0.8, 0.74, 0.85)), bar=0.7) == "checked"
    assert question_status(_estimate(Interval(0.9, 0.8, 0.95), n=0)) == "draft"
    with pytest.raises(ConsultError, match="metric"):
        question_status(None, metric="f2_lower")


def test_quality_settings():
    s = QualitySettings()
    assert (s.margin, s.confidence, s.bar, s.metric, s.min_support, s.random_state) == (
        0.05, 0.95, 0.75, "f1_lower", 10, 0)
    assert set(QualitySettings.help()) == {"margin", "confidence", "bar", "metric", "min_support", "random_state"}
    assert all(QualitySettings.help().values())
    for bad in ({"margin": 0.0}, {"margin": "5%"}, {"confidence": 1.0}, {"bar": 1.2}, {"metric": "kappa"},
                {"min_support": 0}, {"min_support": 2.5}, {"random_state": True}):
        with pytest.raises(ConsultError, match=next(iter(bad))):
            QualitySettings(**bad)
    assert QualitySettings(metric="recall").metric == "recall"


# --------------------------------------------------------------------------- coverage


def synthetic_population(rng, n_answers, n_codes, cardinality, skew, miss, false_pos, hard_share):
    """Gold and model code matrices (answers × codes) with skewed code frequencies and errors bunched in
    'hard' answers, where the model misses and adds codes three times as often as in the rest."""
    freq = np.arange(1, n_codes + 1.0) ** -skew
    freq = np.minimum(freq / freq.sum() * cardinality, 0.9)
    gold = rng.random((n_answers, n_codes)) < freq
    hard = (rng.random(n_answers) < hard_share)[:, None]
    miss_p = np.where(hard, min(3 * miss, 0.95), miss / 2)
    add_p = np.minimum(np.where(hard, 3 * false_pos, false_pos / 2) * freq / freq.mean(), 0.9)
    pred = np.where(gold, rng.random(gold.shape) >= miss_p, rng.random(gold.shape) < add_p)
    return gold, pred


def coverage(scenarios, replications, seed=0, confidence=0.95):
    """Share of intervals covering the population's micro precision, recall, F1 and exact match."""
    rng = np.random.default_rng(seed)
    hits = np.zeros(4)
    done = 0
    for r in range(replications):
        sc = scenarios[r % len(scenarios)]
        gold, pred = synthetic_population(rng, **sc["population"])
        tp, fp, fn = (gold & pred).sum(1), (pred & ~gold).sum(1), (gold & ~pred).sum(1)
        truth = [tp.sum() / (tp + fp).sum(), tp.sum() / (tp + fn).sum(),
                 2 * tp.sum() / (2 * tp + fp + fn).sum(), (gold == pred).all(1).mean()]
        n_answers, n_codes = gold.shape
        ids = draw_sample(range(n_answers), sc["n"], random_state=r)
        codes = [str(j) for j in range(n_codes)]
        est = estimate_quality(
            {i: {codes[j] for j in np.flatnonzero(pred[i])} for i in ids},
            {i: {codes[j] for j in np.flatnonzero(gold[i])} for i in ids},
            population=n_answers, codes=codes,
        )
        intervals = (est.precision, est.recall, est.f1, est.exact_match)
        if any(math.isnan(i.estimate) for i in intervals):
            continue
        hits += [i.lower <= t <= i.upper for i, t in zip(intervals, truth)]
        done += 1
    return hits / done, done


SCENARIOS = [
    # the default sample from 1,000 answers (a third of them: the finite-population correction matters)
    {"population": dict(n_answers=1000, n_codes=12, cardinality=1.8, skew=1.0, miss=0.2, false_pos=0.03,
                        hard_share=0.2), "n": sample_size(1000)},
    # a small sample, skewed codes, several codes per answer
    {"population": dict(n_answers=1500, n_codes=20, cardinality=2.5, skew=1.5, miss=0.3, false_pos=0.05,
                        hard_share=0.3), "n": 60},
    # a good model, one code per answer on average
    {"population": dict(n_answers=800, n_codes=8, cardinality=1.0, skew=0.5, miss=0.05, false_pos=0.01,
                        hard_share=0.1), "n": 150},
]


def test_interval_coverage_in_simulation():
    cover, done = coverage(SCENARIOS, replications=400)
    assert done >= 395
    assert np.all((cover >= 0.90) & (cover <= 0.98)), cover


def test_interval_coverage_when_the_sample_is_half_the_population():
    # Without the finite-population correction every metric's coverage here is 0.99 or more.
    half = [{"population": dict(n_answers=400, n_codes=10, cardinality=1.5, skew=1.0, miss=0.15, false_pos=0.02,
                                hard_share=0.2), "n": 200}]
    cover, done = coverage(half, replications=400)
    assert done == 400
    assert np.all((cover >= 0.90) & (cover <= 0.98)), cover


def test_interval_coverage_with_campaign_templates_checked_in_full():
    # 3% of the answers are campaign templates standing for 2-200 respondents each (about 3/4 of them).
    rng = np.random.default_rng(4)
    hits, reps = np.zeros(4), 300
    for r in range(reps):
        gold, pred = synthetic_population(rng, n_answers=600, n_codes=10, cardinality=1.5, skew=1.0, miss=0.2,
                                          false_pos=0.03, hard_share=0.2)
        w = np.where(rng.random(600) < 0.03, rng.integers(2, 201, 600), 1).astype(float)
        tp, fp, fn = (gold & pred).sum(1), (pred & ~gold).sum(1), (gold & ~pred).sum(1)
        match = (gold == pred).all(1)
        truth = [(w * tp).sum() / (w * (tp + fp)).sum(), (w * tp).sum() / (w * (tp + fn)).sum(),
                 2 * (w * tp).sum() / (w * (2 * tp + fp + fn)).sum(), (w * match).sum() / w.sum()]
        templates = [int(i) for i in np.flatnonzero(w > 1)]
        rest = [i for i in range(600) if w[i] == 1]
        ids = templates + draw_sample(rest, 100, random_state=r)
        est = estimate_quality(
            {i: set(np.flatnonzero(pred[i]).tolist()) for i in ids},
            {i: set(np.flatnonzero(gold[i]).tolist()) for i in ids},
            weights={i: float(w[i]) for i in templates}, census=templates, population=len(rest),
        )
        hits += [i.lower <= t <= i.upper for i, t in zip((est.precision, est.recall, est.f1, est.exact_match), truth)]
    cover = hits / reps
    assert np.all((cover >= 0.90) & (cover <= 0.98)), cover


@pytest.mark.slow
def test_interval_coverage_in_a_longer_simulation():
    cover, done = coverage(SCENARIOS, replications=1500, seed=1)
    assert np.all((cover >= 0.925) & (cover <= 0.97)), cover
