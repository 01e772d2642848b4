"""An honest accuracy estimate for the codes nobody reviewed: the quality check.

Per question, reviewers code a seeded random sample of the answers that only the
model coded, blind to the model's suggestion. Comparing the model's codes with
theirs estimates how good the codes of all the unreviewed answers are:

- :func:`sample_size` says how many answers to check for a stated margin;
- :func:`draw_sample` picks them, reproducibly, in the order to check them;
- :func:`estimate_quality` gives micro precision, recall and F1 of the model's
  codes (and per-answer exact match, and per code where the sample holds
  enough of it) with confidence intervals, as a :class:`QualityEstimate`;
- :func:`question_status` turns an estimate into "draft" or "checked".

What is estimated. The population is the question's unreviewed, model-coded
answers *as the summary counts them*: one per respondent. A sampled unit that
stands for several respondents (a campaign template checked once for all its
members) is given their number as its weight, so the figures are per
respondent answer; with no weights they are per answer. The population size
used for the finite-population correction is the number of sampling units
(answers as drawn), not of respondents. Units that stand for many respondents
are best checked with certainty (every campaign template) and passed as
``census``: left to chance, a per-respondent estimate hinges on whether a big
campaign happened to be drawn.

Intervals. Micro precision is the share of the model's (answer, code) pairs
that the reviewer also gave; recall the share of the reviewer's pairs that the
model gave; F1 = 2TP / (2TP + FP + FN) = 2J / (1 + J), where J = TP / (TP + FP
+ FN) is the share of pairs given by either that both gave. Each is a
proportion of pairs, but the pairs come in clusters (answers are what was
sampled, and an answer the model misreads tends to get several codes wrong), so
a plain binomial interval on the pairs would be too narrow. Each proportion
gets a Wilson interval on its *effective* number of pairs (Korn & Graubard
1998): the pairs' count shrunk by the design effect measured from the sample
(linearised variance of the ratio over answers), shrunk further when few
answers carry the pairs (degrees of freedom), and grown by the
finite-population correction 1 / (1 - n/N) when the sample is a large share of
the population (with every unit checked the interval is the point). F1's
interval is J's mapped through 2J / (1 + J), which is increasing. Exact match
(the model's code set equals the reviewer's) is a proportion of answers, with
the same interval (plain Wilson on n - 1 answers without weights). The
simulation in ``tests/test_quality.py`` and ``benchmarks/quality_coverage.py``
checks that the 95% intervals cover the population values about 95% of the time.

Undefined values are NaN (``None`` in ``to_dict``): precision when the model gave
no code in the sample, recall when the reviewers gave none, F1 when neither did.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from scipy import stats

from consult.codebook import Codebook
from consult.errors import ConsultError
from consult.settings import QualitySettings  # declared with every other setting

__all__ = [
    "METHOD",
    "METRICS",
    "CodeQuality",
    "Interval",
    "QualityEstimate",
    "QualitySettings",
    "draw_sample",
    "estimate_quality",
    "margin_of_error",
    "question_status",
    "ratio_interval",
    "sample_size",
]

METRICS = ("f1", "precision", "recall", "exact_match")
TOO_FEW = "too few to estimate"
METHOD = (
    "Reviewers coded a random sample of the answers only the model coded, without seeing its codes. "
    "Precision, recall and F1 compare the model's codes of those answers with the reviewers'; each 95% "
    "interval is a Wilson interval on the effective number of (answer, code) pairs, which allows for "
    "errors bunching in some answers (Korn and Graubard 1998) and for the share of answers sampled."
)


def _metric_parts(metric: object) -> tuple[str, bool]:
    """``("f1", True)`` for "f1_lower"; an error naming the choices for anything else."""
    if isinstance(metric, str):
        base, lower = (metric[: -len("_lower")], True) if metric.endswith("_lower") else (metric, False)
        if base in METRICS:
            return base, lower
    choices = ", ".join(f"{m}_lower" for m in METRICS) + " (or the same without _lower)"
    raise ConsultError(f"metric must be one of {choices}, not {metric!r}")


# --------------------------------------------------------------------------- sample size


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ConsultError(f"confidence must be between 0 and 1, not {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def margin_of_error(n: int, population: int | None = None, confidence: float = 0.95, p: float = 0.5) -> float:
    """Half-width of the normal interval for a proportion ``p`` from a simple random sample of ``n``.

    ``population`` (None = infinite) applies the finite-population correction
    (N - n) / (N - 1) to the variance; the margin is 0 when every unit is sampled.
    """
    if n < 1:
        return math.inf
    var = p * (1 - p) / n
    if population is not None:
        if population < n:
            raise ConsultError(f"a sample of {n} cannot come from a population of {population}")
        var *= (population - n) / (population - 1) if population > 1 else 0.0
    return _z(confidence) * math.sqrt(var)


def sample_size(population: int | None, margin: float = 0.05, confidence: float = 0.95, p: float = 0.5) -> int:
    """Answers to check to estimate a proportion to ±``margin`` at ``confidence``.

    The smallest n whose :func:`margin_of_error` is at most ``margin``: Cochran's
    n0 = z² p(1 - p) / margin², then n = n0 / (1 + (n0 - 1) / N) for a finite
    population of N (``None`` = infinite), rounded up so that the margin is met
    (385 for an infinite population at ±5% and 95%; tables that round n0 =
    384.15 to the nearest give 384, a margin of ±5.0009%). ``p = 0.5`` is the
    worst case.

    This sizes the sample for the per-answer accuracy (exact match, a proportion
    of answers). Micro precision, recall and F1 are proportions of
    (answer, code) pairs clustered in answers: their intervals come from the
    data and may be narrower (several codes per answer, errors spread out) or
    wider (errors bunched in a few answers, rare codes).
    """
    if isinstance(population, bool) or (population is not None and population < 0):
        raise ConsultError(f"population must be a non-negative whole number, not {population!r}")
    if not 0.0 < margin < 1.0:
        raise ConsultError(f"margin must be between 0 and 1, not {margin!r}")
    if not 0.0 < p < 1.0:
        raise ConsultError(f"p must be between 0 and 1, not {p!r}")
    n0 = _z(confidence) ** 2 * p * (1 - p) / margin**2
    if population is None:
        return math.ceil(n0 - 1e-9)
    if population == 0:
        return 0
    n = math.ceil(n0 * population / (n0 + population - 1) - 1e-9)
    return min(max(n, 1), population)


# --------------------------------------------------------------------------- sampling


def _rank_key(random_state: int, unit: Hashable) -> tuple[int, str]:
    digest = hashlib.blake2b(f"{random_state}:{unit}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big"), str(unit)


def draw_sample(
    candidate_ids: Sequence[int],
    n: int,
    random_state: int,
    *,
    keep: Iterable[int] = (),
) -> list[int]:
    """The ids to check, in the order reviewers should check them.

    Every id gets a place in one random order, fixed by a seeded hash of
    ``random_state`` and the id alone; the sample is the first ``n`` candidates
    in that order. So the sample depends neither on the order of
    ``candidate_ids`` nor on run, machine or Python version, and:

    - any first part of it is itself a simple random sample: reviewers who check
      it in the order returned can stop early and the answers checked so far
      still give an honest (wider) estimate;
    - when a re-run adds a few answers, each new one lands at a random place in
      the same order: the sample keeps its members, except that a new answer
      placed among the first ``n`` pushes the last one out (the one least
      likely to have been checked yet); answers that drop out of the
      candidates leave it and the next in order come in.

    ``keep`` holds the ids already checked. The sample is then extended to the
    first ``n`` or more candidates in the order that include every kept id
    still among the candidates, so checked answers are never dropped, and the
    sample stays a first part of one random order (new answers placed before
    a checked one come in too and are checked next). Candidates should include
    the sample's checked answers: they stay part of what nobody reviewed in
    the queue.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ConsultError(f"sample size must be a non-negative whole number, not {n!r}")
    order = sorted(set(candidate_ids), key=lambda unit: _rank_key(random_state, unit))
    kept = set(keep)
    last = max((i for i, unit in enumerate(order) if unit in kept), default=-1)
    return order[: max(int(n), last + 1)]


# --------------------------------------------------------------------------- intervals


@dataclass(frozen=True)
class Interval:
    """An estimate with the bounds of its confidence interval (NaN when undefined)."""

    estimate: float
    lower: float
    upper: float

    def to_dict(self) -> dict[str, float | None]:
        return {k: _clean(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Interval:
        return cls(*(math.nan if data.get(k) is None else float(data[k]) for k in ("estimate", "lower", "upper")))


_NAN_INTERVAL = Interval(math.nan, math.nan, math.nan)


def _ratio_intervals(
    y: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    population: int | None,
    confidence: float,
    census: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate and bounds of the population's sum(w y) / sum(w x), for each column of y and x (units in rows).

    Rows marked in ``census`` were checked with certainty: they count as
    themselves and carry no sampling error. The others are a simple random
    sample from ``population`` units (None = infinite), counted N/n times each.
    """
    sampled = np.ones(y.shape[0], dtype=bool) if census is None else ~census
    n = int(sampled.sum())
    nan = np.full(y.shape[1], np.nan)
    if population is None:
        expand, left = 1.0, 1.0
    elif n == 0:
        if population > 0:  # a stratum with nothing checked yet: its share cannot be estimated
            return nan, nan, nan
        expand, left = 0.0, 0.0
    else:
        expand, left = population / n, 1.0 - n / population
    z = _z(confidence)
    wx, wy = w[:, None] * x, w[:, None] * y
    scale = np.where(sampled, expand, 1.0)[:, None]
    tot_x = (scale * wx).sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(tot_x > 0, (scale * wy).sum(0) / tot_x, np.nan)
        # Pairs counted as if independent: Kish's effective size of the sampled, weighted pairs.
        ws = w[sampled, None]
        n_pairs = tot_x**2 / (expand**2 * ws**2 * x[sampled]).sum(0)
        units = (x[sampled] > 0).sum(0)
        # Linearised (with-replacement) variance of the ratio, from the sampled units' residuals.
        resid = (wy - np.nan_to_num(r)[None, :] * wx)[sampled]
        if n > 1:
            spread = ((resid - resid.mean(0)) ** 2).sum(0) / (n - 1)
            var = expand**2 * n * spread / tot_x**2
        else:
            var = nan
        n_eff = np.where(var > 0, r * (1 - r) / var, np.inf)
    n_eff = np.minimum(n_eff, n_pairs)
    # Few units carrying the pairs: shrink by (t_{pairs-1} / t_{units-1})^2 (Korn & Graubard's df correction).
    df = units - 1.0
    several = df >= 1
    q = 0.5 + confidence / 2
    t_units = stats.t.ppf(q, np.where(several, df, 1.0))
    t_pairs = stats.t.ppf(q, np.maximum(np.where(several, n_pairs - 1.0, 1.0), np.where(several, df, 1.0)))
    n_eff = np.where(several, n_eff * (t_pairs / t_units) ** 2, np.minimum(n_eff, 1.0))
    # Finite-population correction: the variance shrinks by 1 - n/N, so the effective size grows by its inverse.
    with np.errstate(divide="ignore"):
        n_eff = n_eff / left if left > 0 else np.full(r.shape, np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(np.isinf(n_eff), 0.0, z**2 / n_eff)
        centre = (r + k / 2) / (1 + k)
        # Wilson's z/(1+k) sqrt(r(1-r)/n + z²/4n²) with k = z²/n, written to be 0 when n is infinite.
        half = np.sqrt(r * (1 - r) * k + k**2 / 4) / (1 + k)
    lower = np.clip(centre - half, 0.0, 1.0)
    upper = np.clip(centre + half, 0.0, 1.0)
    lower = np.where(np.isnan(r), np.nan, np.minimum(lower, r))
    upper = np.where(np.isnan(r), np.nan, np.maximum(upper, r))
    return r, lower, upper


def _weights(weights: Sequence[float] | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise ConsultError(f"expected {n} weights, one per checked answer, not {w.size}")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ConsultError("weights must be positive numbers (respondent answers a checked answer stands for)")
    return w


def _population(population: int | None, n: int, census: int = 0) -> int | None:
    if population is None:
        if census:
            raise ConsultError("answers checked with certainty need the population the rest were drawn from")
        return None
    if isinstance(population, bool) or int(population) != population or population < n:
        raise ConsultError(f"the population ({population!r}) must be a whole number no smaller than the sample ({n})")
    return int(population)


def ratio_interval(
    successes: Sequence[float],
    trials: Sequence[float],
    *,
    weights: Sequence[float] | None = None,
    population: int | None = None,
    confidence: float = 0.95,
    census: Sequence[bool] | None = None,
) -> Interval:
    """A proportion of items clustered in sampled units, with its confidence interval.

    Unit i (a sampled answer) holds ``trials[i]`` items of which ``successes[i]``
    succeed, and stands for ``weights[i]`` population units' worth (default 1).
    The estimate is sum(w · successes) / sum(w · trials); the interval is
    Wilson's on the effective number of items (see the module docstring), with
    the finite-population correction for a sample from ``population`` units.
    Units marked True in ``census`` were taken with certainty (not drawn):
    they count as themselves, add no sampling error, and are not part of
    ``population``.
    """
    y, x = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    if y.ndim != 1 or y.shape != x.shape:
        raise ConsultError("successes and trials must be two lists of the same length")
    if np.any(y < 0) or np.any(y > x):
        raise ConsultError("each unit's successes must be between 0 and its trials")
    if y.size == 0:
        return _NAN_INTERVAL
    w = _weights(weights, y.size)
    certain = np.zeros(y.size, dtype=bool) if census is None else np.asarray(census, dtype=bool)
    if certain.shape != y.shape:
        raise ConsultError("census must mark each unit True or False")
    drawn = int((~certain).sum())
    pop = _population(population, drawn, int(certain.sum()))
    r, lo, hi = _ratio_intervals(y[:, None], x[:, None], w, pop, confidence, certain)
    return Interval(float(r[0]), float(lo[0]), float(hi[0]))


# --------------------------------------------------------------------------- estimate


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class CodeQuality:
    """One code's precision, recall and F1 in the sample.

    ``gold`` and ``predicted`` count the sampled answers the reviewers and the
    model gave it to; the figures are NaN and ``note`` says "too few to
    estimate" when both are below the minimum support.
    """

    code: str
    label: str
    gold: int
    predicted: int
    precision: Interval
    recall: Interval
    f1: Interval
    note: str = ""

    @property
    def estimated(self) -> bool:
        return self.note != TOO_FEW

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "label": self.label,
            "gold": self.gold,
            "predicted": self.predicted,
            "estimated": self.estimated,
            "precision": self.precision.to_dict(),
            "recall": self.recall.to_dict(),
            "f1": self.f1.to_dict(),
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CodeQuality:
        return cls(
            code=str(data["code"]),
            label=str(data["label"]),
            gold=int(data["gold"]),
            predicted=int(data["predicted"]),
            precision=Interval.from_dict(data["precision"]),
            recall=Interval.from_dict(data["recall"]),
            f1=Interval.from_dict(data["f1"]),
            note=str(data.get("note", "")),
        )


@dataclass(frozen=True)
class QualityEstimate:
    """How good the model's codes of the unreviewed answers are, from a checked sample.

    ``n_checked`` answers were coded by a reviewer: ``census`` of them taken
    with certainty (e.g. campaign templates), the rest drawn at random from a
    ``population`` of unreviewed, model-coded answers (None = not given, no
    finite-population correction); ``respondents`` is the sum of their weights
    (the respondent answers they stand for). ``tp``, ``fp`` and ``fn`` count
    (answer, code) pairs in the sample, unweighted.
    """

    n_checked: int
    population: int | None
    respondents: float
    confidence: float
    min_support: int
    tp: int
    fp: int
    fn: int
    precision: Interval
    recall: Interval
    f1: Interval
    exact_match: Interval
    per_code: tuple[CodeQuality, ...] = ()
    census: int = 0

    def value(self, metric: str) -> float:
        """A figure by name: ``"f1_lower"``, ``"precision"``, ``"exact_match_lower"``, ..."""
        base, lower = _metric_parts(metric)
        interval: Interval = getattr(self, base)
        return interval.lower if lower else interval.estimate

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; NaN (undefined) becomes ``None``."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Interval):
                out[f.name] = value.to_dict()
            elif f.name == "per_code":
                out[f.name] = [c.to_dict() for c in value]
            else:
                out[f.name] = _clean(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QualityEstimate:
        """The estimate stored by :meth:`to_dict`."""
        return cls(
            n_checked=int(data["n_checked"]),
            population=None if data.get("population") is None else int(data["population"]),
            respondents=float(data["respondents"]),
            confidence=float(data["confidence"]),
            min_support=int(data["min_support"]),
            tp=int(data["tp"]),
            fp=int(data["fp"]),
            fn=int(data["fn"]),
            precision=Interval.from_dict(data["precision"]),
            recall=Interval.from_dict(data["recall"]),
            f1=Interval.from_dict(data["f1"]),
            exact_match=Interval.from_dict(data["exact_match"]),
            per_code=tuple(CodeQuality.from_dict(c) for c in data.get("per_code", ())),
            census=int(data.get("census", 0)),
        )

    def format_table(self) -> str:
        """A plain-text summary and per-code table for a terminal."""

        def num(value: float) -> str:
            return "n/a" if math.isnan(value) else f"{value:.3f}"

        def ci(i: Interval) -> str:
            if math.isnan(i.estimate):
                return "n/a"
            return f"{num(i.estimate)} [{num(i.lower)}, {num(i.upper)}]"

        pct = f"{self.confidence:.0%}"
        drawn = self.n_checked - self.census
        of = "" if self.population is None else f" of {self.population} unreviewed"
        of = f"{drawn} answers checked{of}" + (f", plus {self.census} checked without sampling" if self.census else "")
        weighted = "" if self.respondents == self.n_checked else f" (standing for {self.respondents:g} respondents)"
        lines = [
            f"Quality check: {of}{weighted}; {pct} intervals",
            f"Micro F1     {ci(self.f1)}",
            f"Precision    {ci(self.precision)}",
            f"Recall       {ci(self.recall)}",
            f"Exact match  {ci(self.exact_match)}",
            f"Code pairs in the sample: {self.tp} agreed, {self.fp} model only, {self.fn} reviewer only",
        ]
        if not self.per_code:
            return "\n".join(lines)
        names = [c.label if c.label == c.code else f"{c.label} [{c.code}]" for c in self.per_code]
        width = min(max([len("Code"), *map(len, names)]), 50)
        cell = 21
        lines += [
            "",
            f"{'Code'.ljust(width)}  {'Gold':>5} {'Pred':>5}  {'Precision':<{cell}} {'Recall':<{cell}} F1",
            "-" * (width + 14 + 3 * cell),
        ]
        for name, c in zip(names, self.per_code):
            if len(name) > width:
                name = name[: width - 1] + "…"
            head = f"{name.ljust(width)}  {c.gold:>5} {c.predicted:>5}  "
            if not c.estimated:
                lines.append(head + f"({TOO_FEW}: fewer than {self.min_support} in the sample)")
            else:
                lines.append(head + f"{ci(c.precision):<{cell}} {ci(c.recall):<{cell}} {ci(c.f1)}")
        return "\n".join(lines)


def _labels(
    codes: Codebook | Iterable[str] | None, predicted: list[frozenset[str]], gold: list[frozenset[str]]
) -> dict[str, str]:
    if isinstance(codes, Codebook):
        labels = {c.id: c.label for c in codes}
    elif codes is not None:
        labels = {str(c): str(c) for c in codes}
    else:
        return {c: c for c in sorted({c for s in predicted + gold for c in s})}
    unknown = sorted({c for s in predicted + gold for c in s} - set(labels))
    if unknown:
        raise ConsultError(f"codes not in the codebook: {', '.join(map(repr, unknown[:5]))}")
    return labels


def _f1_from_jaccard(values: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return 2 * values / (1 + values)


def estimate_quality(
    predicted: Mapping[Hashable, Iterable[str]],
    checked: Mapping[Hashable, Iterable[str]],
    *,
    population: int | None = None,
    weights: Mapping[Hashable, float] | None = None,
    codes: Codebook | Iterable[str] | None = None,
    confidence: float = 0.95,
    min_support: int = 10,
    census: Iterable[Hashable] = (),
) -> QualityEstimate:
    """Estimate the quality of the model's codes from a checked random sample.

    ``checked`` maps each sampled answer a reviewer coded (blind) to the
    reviewer's codes; ``predicted`` maps answers to the model's codes (an
    answer missing from it counts as given no code). ``population`` is the
    number of unreviewed, model-coded answers the sample was drawn from (for
    the finite-population correction; None = treat as infinite). ``weights``
    gives the respondent answers a checked answer stands for (default 1 each;
    see the module docstring). ``codes`` fixes the codes reported per code and
    their order (a :class:`Codebook` also gives labels); by default every code
    used, sorted.

    ``census`` names checked answers taken with certainty rather than drawn
    at random, e.g. every campaign template: each stands for many
    respondents, so leaving them to chance makes a per-respondent estimate
    hinge on whether a big campaign happened to be drawn (the benchmark's
    intervals then cover 0.73-0.82 of per-code and 0.89-0.90 of micro-F1
    values instead of 0.95). They count as themselves with no sampling
    error; ``population`` then counts only the answers the random sample was
    drawn from.
    """
    if isinstance(min_support, bool) or not isinstance(min_support, int) or min_support < 1:
        raise ConsultError(f"min_support must be a whole number of at least 1, not {min_support!r}")
    units = list(checked)
    n = len(units)
    certain_ids = set(census)
    certain = np.array([u in certain_ids for u in units], dtype=bool)
    population = _population(population, n - int(certain.sum()), int(certain.sum()))
    gold = [frozenset(checked[u]) for u in units]
    pred = [frozenset(predicted.get(u, ())) for u in units]
    labels = _labels(codes, pred, gold)
    w = _weights(None if weights is None else [weights.get(u, 1.0) for u in units], n)
    if n == 0:
        per = tuple(
            CodeQuality(c, labels[c], 0, 0, _NAN_INTERVAL, _NAN_INTERVAL, _NAN_INTERVAL, TOO_FEW) for c in labels
        )
        return QualityEstimate(0, population, 0.0, confidence, min_support, 0, 0, 0,
                               _NAN_INTERVAL, _NAN_INTERVAL, _NAN_INTERVAL, _NAN_INTERVAL, per, 0)

    tp = np.array([len(p & g) for p, g in zip(pred, gold)], dtype=float)
    fp = np.array([len(p - g) for p, g in zip(pred, gold)], dtype=float)
    fn = np.array([len(g - p) for p, g in zip(pred, gold)], dtype=float)
    match = np.array([p == g for p, g in zip(pred, gold)], dtype=float)
    code_list = list(labels)
    index = {c: j for j, c in enumerate(code_list)}
    g_mat = np.zeros((n, len(code_list)))
    p_mat = np.zeros((n, len(code_list)))
    for i, (p, g) in enumerate(zip(pred, gold)):
        for c in g:
            g_mat[i, index[c]] = 1
        for c in p:
            p_mat[i, index[c]] = 1
    both = g_mat * p_mat
    either = np.maximum(g_mat, p_mat)

    # One call for every ratio: overall P, R, J, exact match, then each code's P, R, J.
    y = np.column_stack([tp, tp, tp, match, both, both, both])
    x = np.column_stack([tp + fp, tp + fn, tp + fp + fn, np.ones(n), p_mat, g_mat, either])
    est, lo, hi = _ratio_intervals(y, x, w, population, confidence, certain)
    f1_cols = [2, *range(4 + 2 * len(code_list), 4 + 3 * len(code_list))]
    est[f1_cols], lo[f1_cols], hi[f1_cols] = (_f1_from_jaccard(a[f1_cols]) for a in (est, lo, hi))

    def interval(j: int) -> Interval:
        return Interval(float(est[j]), float(lo[j]), float(hi[j]))

    k = len(code_list)
    gold_n, pred_n = g_mat.sum(0).astype(int), p_mat.sum(0).astype(int)
    per_code = []
    for j, c in enumerate(code_list):
        if max(gold_n[j], pred_n[j]) < min_support:
            per_code.append(CodeQuality(c, labels[c], int(gold_n[j]), int(pred_n[j]),
                                        _NAN_INTERVAL, _NAN_INTERVAL, _NAN_INTERVAL, TOO_FEW))
        else:
            per_code.append(CodeQuality(c, labels[c], int(gold_n[j]), int(pred_n[j]),
                                        interval(4 + j), interval(4 + k + j), interval(4 + 2 * k + j)))
    return QualityEstimate(
        n_checked=n,
        population=population,
        respondents=float(w.sum()),
        confidence=confidence,
        min_support=min_support,
        tp=int(tp.sum()),
        fp=int(fp.sum()),
        fn=int(fn.sum()),
        precision=interval(0),
        recall=interval(1),
        f1=interval(2),
        exact_match=interval(3),
        per_code=tuple(per_code),
        census=int(certain.sum()),
    )


# --------------------------------------------------------------------------- status


def question_status(
    estimate: QualityEstimate | None,
    bar: float = 0.75,
    metric: str = "f1_lower",
    *,
    unreviewed: int | None = None,
) -> str:
    """``"checked"`` when a question's unreviewed codes are shown good enough, else ``"draft"``.

    A question with no unreviewed, model-coded answers left (``unreviewed ==
    0``, or an estimate whose population is 0: a person coded every answer) is
    checked without a sample. Otherwise it is checked when the estimate's
    ``metric`` (see :class:`QualitySettings`) is at least ``bar``; with no
    estimate, nothing checked yet, or the metric undefined (neither the model
    nor the reviewers gave any code in the sample), it stays a draft. A partly
    checked sample counts: its interval is wider, so a lower bound reaches the
    bar only if the answers checked so far are clearly good enough.
    """
    _metric_parts(metric)
    if unreviewed == 0 or (estimate is not None and estimate.population == 0):
        return "checked"
    if estimate is None or estimate.n_checked == 0:
        return "draft"
    value = estimate.value(metric)
    return "checked" if not math.isnan(value) and value >= bar else "draft"
