"""How often the quality check's 95% intervals cover the true population figures.

Usage: python benchmarks/quality_coverage.py [--replications 2000] [--bootstrap 1000] [--seed 0]

Each replication makes a population of model-coded answers with known gold codes
(synthetic: skewed code frequencies, several codes per answer, errors bunched in
"hard" answers; and, when /work/shared/data/nhs-patient-feedback is there, the
real human code sets of 5,095 NHS answers with a simulated model's errors),
draws the quality-check sample with consult.quality.draw_sample, estimates with
consult.quality.estimate_quality, and checks whether each interval covers the
population's value. Scenarios: the default sample size, small samples, skewed
codes, a near-perfect model, a sample half the population (finite-population
correction), and campaign templates weighted by their members: drawn at random
like any answer, or all checked (``census``) with the rest sampled.

For comparison, on the same samples (not for the census scenarios): a Wald interval (the same linearised
variance, normal approximation), a percentile bootstrap over answers, and a
Wilson interval treating the (answer, code) pairs as independent.

Prints one JSON line: per scenario and method, the coverage of micro precision,
recall, F1 and exact match, their mean interval width, the coverage of per-code
precision/recall/F1 (codes with enough support in the sample), and the seconds.
The scenarios were chosen before running; nothing was tuned on these figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
from _machine import machine  # benchmarks/ is on sys.path when a script here is run

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consult.quality import _z, draw_sample, estimate_quality, sample_size  # noqa: E402

NHS = ROOT.parent / "shared" / "data" / "nhs-patient-feedback"
METRICS = ("precision", "recall", "f1", "exact_match")


# --------------------------------------------------------------------------- populations


def synthetic(rng, n_answers, n_codes, cardinality, skew, miss, false_pos, hard_share):
    """Gold and model code matrices (answers × codes); errors three times as likely in 'hard' answers."""
    freq = np.arange(1, n_codes + 1.0) ** -skew
    freq = np.minimum(freq / freq.sum() * cardinality, 0.9)
    gold = rng.random((n_answers, n_codes)) < freq
    return gold, noisy_model(rng, gold, freq, miss, false_pos, hard_share)


def noisy_model(rng, gold, freq, miss, false_pos, hard_share, swap=0.5):
    """A model's codes: misses gold codes (half the misses given another code instead) and adds others."""
    n_answers, n_codes = gold.shape
    hard = (rng.random(n_answers) < hard_share)[:, None]
    miss_p = np.where(hard, min(3 * miss, 0.95), miss / 2)
    add_p = np.minimum(np.where(hard, 3 * false_pos, false_pos / 2) * freq / freq.mean(), 0.9)
    missed = gold & (rng.random(gold.shape) < miss_p)
    pred = (gold & ~missed) | (~gold & (rng.random(gold.shape) < add_p))
    # A swapped code goes to a code drawn by frequency (a plausible confusion), not uniformly.
    rows, _ = np.nonzero(missed & (rng.random(gold.shape) < swap))
    pred[rows, rng.choice(n_codes, size=rows.size, p=freq / freq.sum())] = True
    return pred


def nhs_gold() -> np.ndarray | None:
    """The NHS answers' human code sets as a matrix (answers × codes), or None without the data."""
    path = NHS / "gold.csv"
    if not path.is_file():
        return None
    sets: dict[str, set[str]] = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            sets.setdefault(row["response_id"], set()).add(row["code"])
    codes = sorted({c for s in sets.values() for c in s})
    index = {c: j for j, c in enumerate(codes)}
    gold = np.zeros((len(sets), len(codes)), dtype=bool)
    for i, s in enumerate(sets.values()):
        gold[i, [index[c] for c in s]] = True
    return gold


# --------------------------------------------------------------------------- comparisons


def comparison_intervals(y, x, w, population, confidence, rng, n_boot):
    """Wald (linearised), percentile bootstrap over answers, and pairs-as-independent Wilson: lo, hi each.

    All three use the finite-population correction; the last ignores the weights.
    """
    n = y.shape[0]
    z = _z(confidence)
    f = n / population
    wy, wx = w[:, None] * y, w[:, None] * x
    r = wy.sum(0) / wx.sum(0)
    var = (1 - f) * n / (n - 1) * ((wy - r * wx) ** 2).sum(0) / wx.sum(0) ** 2
    wald = (np.clip(r - z * np.sqrt(var), 0, 1), np.clip(r + z * np.sqrt(var), 0, 1))
    counts = rng.multinomial(n, np.full(n, 1 / n), size=n_boot)
    with np.errstate(invalid="ignore", divide="ignore"):
        boot = (counts @ wy) / (counts @ wx)
    # Without-replacement sampling: shrink the bootstrap's spread by sqrt(1 - f).
    boot = r + math.sqrt(1 - f) * (boot - r)
    bootstrap = (np.nanpercentile(boot, 100 * (1 - confidence) / 2, axis=0),
                 np.nanpercentile(boot, 100 * (1 + confidence) / 2, axis=0))
    m = x.sum(0) / (1 - f) if f < 1 else np.full(x.shape[1], np.inf)  # pairs, unweighted, with the FPC
    p = y.sum(0) / x.sum(0)
    k = z**2 / m
    centre, half = (p + k / 2) / (1 + k), np.sqrt(p * (1 - p) * k + k**2 / 4) / (1 + k)
    independent = (centre - half, centre + half)
    return {"wald": wald, "bootstrap": bootstrap, "independent_pairs": independent}


def jaccard_to_f1(a):
    return 2 * a / (1 + a)


# --------------------------------------------------------------------------- one scenario


def run(name, make, n_sample, replications, rng, n_boot, confidence=0.95, weigh=None, census=False):
    """Coverage of one scenario; with ``census``, units weighing more than 1 are all checked, the rest sampled."""
    methods = ("consult", "wald", "bootstrap", "independent_pairs")
    hits = {m: np.zeros(4) for m in methods}
    width = {m: np.zeros(4) for m in methods}
    code_hits = code_total = 0
    done = undefined = 0
    start = time.perf_counter()
    for rep in range(replications):
        gold, pred = make(rng)
        n_answers, n_codes = gold.shape
        w = weigh(rng, n_answers) if weigh else np.ones(n_answers)
        tp, fp, fn = (gold & pred).sum(1), (pred & ~gold).sum(1), (gold & ~pred).sum(1)
        match = (gold == pred).all(1)
        y_all = np.column_stack([tp, tp, tp, match]).astype(float)
        x_all = np.column_stack([tp + fp, tp + fn, tp + fp + fn, np.ones(n_answers)]).astype(float)
        truth = (w[:, None] * y_all).sum(0) / (w[:, None] * x_all).sum(0)
        truth[2] = jaccard_to_f1(truth[2])
        certain = [int(i) for i in np.flatnonzero(w > 1)] if census else []
        frame = np.flatnonzero(w == 1).tolist() if census else range(n_answers)
        ids = certain + draw_sample(frame, n_sample(len(frame)), random_state=int(rng.integers(2**31)))
        codes = [f"c{j}" for j in range(n_codes)]
        est = estimate_quality(
            {i: {codes[j] for j in np.flatnonzero(pred[i])} for i in ids},
            {i: {codes[j] for j in np.flatnonzero(gold[i])} for i in ids},
            population=len(frame), codes=codes, confidence=confidence,
            weights={i: float(w[i]) for i in ids} if weigh else None, census=certain,
        )
        ours = [getattr(est, m) for m in METRICS]
        if any(math.isnan(i.estimate) for i in ours):
            undefined += 1
            continue
        done += 1
        lo = {"consult": np.array([i.lower for i in ours])}
        hi = {"consult": np.array([i.upper for i in ours])}
        idx = np.array(ids)
        others = {} if census else comparison_intervals(y_all[idx], x_all[idx], w[idx], n_answers, confidence,
                                                        rng, n_boot)
        for m, (a, b) in others.items():
            a, b = a.copy(), b.copy()
            a[2], b[2] = jaccard_to_f1(a[2]), jaccard_to_f1(b[2])
            lo[m], hi[m] = a, b
        for m in lo:
            hits[m] += (lo[m] <= truth + 1e-12) & (truth - 1e-12 <= hi[m])
            width[m] += hi[m] - lo[m]
        # Per code: population precision, recall and F1 of each code estimated from the sample.
        wc = w[:, None]
        both, p_w, g_w = (wc * (gold & pred)).sum(0), (wc * pred).sum(0), (wc * gold).sum(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            code_truth = {"precision": both / p_w, "recall": both / g_w, "f1": 2 * both / (p_w + g_w)}
        for j, c in enumerate(est.per_code):
            if not c.estimated:
                continue
            for metric in ("precision", "recall", "f1"):
                interval, t = getattr(c, metric), code_truth[metric][j]
                if math.isnan(interval.estimate) or math.isnan(t):
                    continue
                code_total += 1
                code_hits += interval.lower - 1e-12 <= t <= interval.upper + 1e-12
    out = {"scenario": name, "replications": done, "undefined": undefined}
    for m in methods[:1] if census else methods:
        out[m] = {"coverage": dict(zip(METRICS, np.round(hits[m] / max(done, 1), 4).tolist())),
                  "mean_width": dict(zip(METRICS, np.round(width[m] / max(done, 1), 4).tolist()))}
    out["consult"]["per_code_coverage"] = round(code_hits / code_total, 4) if code_total else None
    out["consult"]["per_code_intervals"] = code_total
    out["seconds"] = round(time.perf_counter() - start, 1)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=2000)
    ap.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples per replication")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)

    def syn(**kw):
        return lambda r: synthetic(r, **kw)

    base = dict(n_answers=2000, n_codes=20, cardinality=2.0, skew=1.0, miss=0.2, false_pos=0.03, hard_share=0.2)

    def campaigns(r, n):
        # 2% of the units are campaign templates standing for 2 to 200 members (about 2/3 of respondents).
        return np.where(r.random(n) < 0.02, r.integers(2, 201, n), 1).astype(float)

    scenarios = [
        ("default_sample", syn(**base), sample_size, None, False),
        ("small_sample_40", syn(**base), lambda n: 40, None, False),
        ("skewed_codes", syn(**{**base, "n_codes": 33, "cardinality": 1.3, "skew": 2.0}), sample_size, None, False),
        ("skewed_codes_small_sample_80", syn(**{**base, "n_codes": 33, "cardinality": 1.3, "skew": 2.0}),
         lambda n: 80, None, False),
        ("near_perfect_model_100", syn(**{**base, "miss": 0.02, "false_pos": 0.002, "hard_share": 0.05}),
         lambda n: 100, None, False),
        ("half_population", syn(**{**base, "n_answers": 400}), lambda n: n // 2, None, False),
        ("campaign_weights", syn(**base), sample_size, campaigns, False),
        ("campaign_weights_small_sample_100", syn(**base), lambda n: 100, campaigns, False),
        ("campaign_templates_checked_in_full", syn(**base), sample_size, campaigns, True),
        ("campaign_templates_checked_in_full_small_sample_100", syn(**base), lambda n: 100, campaigns, True),
    ]
    gold = nhs_gold()
    if gold is not None:
        freq = gold.mean(0)

        def nhs(r):
            return gold, noisy_model(r, gold, freq, miss=0.25, false_pos=0.02, hard_share=0.25)

        scenarios.append(("nhs_codes_default_sample", nhs, sample_size, None, False))
        scenarios.append(("nhs_codes_small_sample_60", nhs, lambda n: 60, None, False))

    start = time.perf_counter()
    results = [run(name, make, n_sample, args.replications, rng, args.bootstrap, weigh=weigh, census=census)
               for name, make, n_sample, weigh, census in scenarios]
    print(json.dumps({
        "benchmark": "quality_coverage",
        "confidence": 0.95,
        "replications_per_scenario": args.replications,
        "bootstrap_resamples": args.bootstrap,
        "seed": args.seed,
        "nhs_data": gold is not None,
        "scenarios": results,
        "seconds": round(time.perf_counter() - start, 1),
        "machine": machine(),
    }))


if __name__ == "__main__":
    main()
