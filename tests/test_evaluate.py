"""Tests for consult.evaluate: reading codings and agreement measures (hand-computed values)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from consult.codebook import Code, Codebook
from consult.errors import ConsultError
from consult.evaluate import agreement, krippendorff_alpha, masi_distance, read_codings_csv

F = frozenset
GOLD_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "nhs-patient-feedback" / "gold.csv"
NHS_CODEBOOK = GOLD_CSV.parent / "codebook.csv"

# Worked by hand in the comments of test_hand_computed_example.
GOLD = {"r1": F({"a"}), "r2": F({"a", "b"}), "r3": F({"b"}), "r4": F()}
PRED = {"r1": F({"a"}), "r2": F({"a"}), "r3": F({"a", "b"}), "r4": F()}


def write(tmp_path: Path, text: str, name: str = "codings.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- MASI / alpha


def test_masi_distance_values():
    assert masi_distance({"a"}, {"a"}) == 0
    assert masi_distance(set(), set()) == 0
    assert masi_distance({"a"}, {"b"}) == 1
    assert masi_distance(set(), {"a"}) == 1
    # subset: 1 - J * 2/3 with J = 1/2
    assert masi_distance({"a", "b"}, {"a"}) == pytest.approx(1 - 0.5 * 2 / 3)
    # overlap: 1 - J * 1/3 with J = 1/3
    assert masi_distance({"a", "b"}, {"b", "c"}) == pytest.approx(1 - (1 / 3) * (1 / 3))


def test_alpha_hand_worked():
    # Units: ({a},{a}) d=0, ({a,b},{a}) d=2/3, ({b},{c}) d=1  -> Do = 5/9.
    # Values a x3, ab, b, c (N=6); sum of d over unordered value pairs = 32/3,
    # De = 2 * 32/3 / (6*5) = 32/45; alpha = 1 - (5/9)/(32/45) = 7/32.
    pairs = [(F("a"), F("a")), (F("ab"), F("a")), (F("b"), F("c"))]
    assert krippendorff_alpha(pairs) == pytest.approx(7 / 32)


def test_alpha_undefined_and_order_free():
    assert math.isnan(krippendorff_alpha([(F("a"), F("a")), (F("a"), F("a"))]))  # no variation
    assert math.isnan(krippendorff_alpha([(F("a"), F("b"))]))  # one unit
    rng = random.Random(3)
    pairs = [(F(rng.sample("abc", rng.randint(0, 2))), F(rng.sample("abc", rng.randint(0, 2)))) for _ in range(40)]
    swapped = [(y, x) for x, y in pairs]
    assert krippendorff_alpha(pairs) == pytest.approx(krippendorff_alpha(swapped))
    assert krippendorff_alpha(pairs) == pytest.approx(krippendorff_alpha(list(reversed(pairs))))


def test_alpha_matches_nltk_when_available():
    agreement_mod = pytest.importorskip("nltk.metrics.agreement")
    from nltk.metrics.distance import masi_distance as nltk_masi

    rng = random.Random(7)
    pairs = []
    for _ in range(50):
        a = F(rng.sample("abcd", rng.randint(1, 2)))
        pairs.append((a, a if rng.random() < 0.5 else F(rng.sample("abcd", rng.randint(1, 3)))))
    data = [(coder, str(i), pair[k]) for i, pair in enumerate(pairs) for k, coder in enumerate("xy")]
    expected = agreement_mod.AnnotationTask(data=data, distance=nltk_masi).alpha()
    assert krippendorff_alpha(pairs) == pytest.approx(expected)


# --------------------------------------------------------------------------- agreement


def test_hand_computed_example():
    report = agreement(PRED, GOLD)
    by = {c.code: c for c in report.per_code}
    # a: tp 2, fp 1, fn 0; b: tp 1, fp 0, fn 1
    assert (by["a"].precision, by["a"].recall, by["a"].f1) == pytest.approx((2 / 3, 1.0, 0.8))
    assert (by["b"].precision, by["b"].recall, by["b"].f1) == pytest.approx((1.0, 0.5, 2 / 3))
    assert (by["a"].support, by["a"].predicted, by["b"].support, by["b"].predicted) == (2, 3, 2, 1)
    assert report.micro_f1 == pytest.approx(0.75)
    assert report.micro_precision == pytest.approx(0.75) and report.micro_recall == pytest.approx(0.75)
    assert report.macro_f1 == pytest.approx((0.8 + 2 / 3) / 2)
    # per answer: 1, 2/3, 2/3, and 1 for r4 where both give no code
    assert report.samples_f1 == pytest.approx(10 / 12)
    assert report.exact_match == pytest.approx(0.5)
    # kappa a: po 3/4, pe 1/2 -> 1/2; kappa b: po 3/4, pe 1/2 -> 1/2
    assert by["a"].kappa == pytest.approx(0.5) and by["b"].kappa == pytest.approx(0.5)
    assert report.mean_kappa == pytest.approx(0.5) and report.n_kappa_undefined == 0
    # alpha-MASI: unit distances 0, 2/3, 2/3, 0 -> Do = 1/3. Values {a} x3, {a,b} x2, {b}, {} x2
    # (N=8); n_u*n_v*d over distinct pairs: 4 + 3 + 6 + 4/3 + 4 + 2 = 61/3,
    # De = 2 * 61/3 / (8*7) = 61/84 -> alpha = 1 - 28/61 = 33/61.
    assert report.alpha_masi == pytest.approx(33 / 61)
    assert report.n_responses == 4 and report.n_missing_predicted == 0 and report.n_extra_predicted == 0


def test_perfect_agreement():
    report = agreement(GOLD, GOLD)
    assert report.micro_f1 == report.macro_f1 == report.samples_f1 == report.exact_match == 1.0
    assert report.mean_kappa == pytest.approx(1.0)
    assert report.alpha_masi == pytest.approx(1.0)


def test_disjoint_agreement():
    gold = {"r1": F({"a"}), "r2": F({"b"})}
    pred = {"r1": F({"b"}), "r2": F({"a"})}
    report = agreement(pred, gold)
    assert report.micro_f1 == 0 and report.macro_f1 == 0 and report.samples_f1 == 0
    assert report.mean_kappa == pytest.approx(-1.0)
    # Do = 1; values a x2, b x2: De = 2*(2*2*1)/(4*3) = 2/3 -> alpha = -1/2
    assert report.alpha_masi == pytest.approx(-0.5)


def test_missing_predicted_counts_as_empty_and_extra_is_ignored():
    pred = {"r1": F({"a"}), "r2": F({"a"}), "r3": F({"a", "b"}), "zzz": F({"a"})}  # r4 missing
    report = agreement(pred, GOLD)
    baseline = agreement(PRED, GOLD)
    assert report.n_missing_predicted == 1 and report.n_extra_predicted == 1
    assert report.micro_f1 == pytest.approx(baseline.micro_f1)  # r4 is empty in both anyway
    report2 = agreement({"r1": F({"a"})}, {"r1": F({"a"}), "r2": F({"b"})})
    assert report2.micro_recall == pytest.approx(0.5) and report2.micro_precision == pytest.approx(1.0)


def test_undefined_values_and_explicit_codes():
    report = agreement(PRED, GOLD, codes=["b", "a", "unused"])
    assert [c.code for c in report.per_code] == ["b", "a", "unused"]
    unused = report.per_code[2]
    assert unused.support == 0 and unused.predicted == 0
    assert math.isnan(unused.f1) and math.isnan(unused.precision) and math.isnan(unused.kappa)
    assert report.macro_f1 == pytest.approx((0.8 + 2 / 3) / 2)  # unused code left out
    assert report.n_kappa_undefined == 1
    data = report.to_dict()
    assert data["per_code"][2]["kappa"] is None
    json.dumps(data, allow_nan=False)


def test_codes_not_in_codebook_is_an_error():
    with pytest.raises(ConsultError, match="codes not in the codebook: 'b'"):
        agreement(PRED, GOLD, codes=["a"])


def test_codebook_labels_in_table():
    book = Codebook("q", (Code("a", "Apples"), Code("b", "Bananas")))
    report = agreement(PRED, GOLD, codes=book)
    table = report.format_table()
    assert "Apples [a]" in table and "Bananas [b]" in table
    assert "Micro F1 0.750" in table
    assert "n/a" in table  # built-in codes unused by either side
    assert len(report.per_code) == 4


def test_empty_gold():
    report = agreement({}, {})
    assert report.n_responses == 0 and math.isnan(report.micro_f1)
    json.dumps(report.to_dict(), allow_nan=False)


# --------------------------------------------------------------------------- reading


def test_read_codings_csv(tmp_path):
    path = write(tmp_path, "\ufeffResponse_ID , Code\nr1,a\nr1, b \nr2,\n\nr1,a\nr3,c\n")
    codings = read_codings_csv(path)
    assert codings == {"r1": F({"a", "b"}), "r2": F(), "r3": F({"c"})}


def test_read_codings_with_codebook_accepts_ids_and_labels(tmp_path):
    book = Codebook("q", (Code("waiting", "Waiting times"), Code("staff", "Staff attitude")))
    path = write(tmp_path, "response_id,code\nr1,waiting times\nr2,staff\nr3,Other\n")
    assert read_codings_csv(path, known_codes=book) == {"r1": F({"waiting"}), "r2": F({"staff"}), "r3": F({"other"})}


@pytest.mark.parametrize(
    "text, kwargs, pattern",
    [
        ("id,code\nr1,a\n", {}, r"codings\.csv: row 1, column 'response_id': missing column 'response_id'"),
        ("response_id\nr1\n", {}, r"row 1, column 'code': missing column 'code'"),
        ("response_id,code\nr1,a\nr2,zz\n", {"known_codes": ["a"]}, r"codings\.csv: row 3, column 'code': unknown code 'zz'"),
        ("response_id,code\nr1,a\nr9,a\n", {"known_ids": ["r1"]}, r"row 3, column 'response_id': unknown response id 'r9'"),
        ("response_id,code\n ,a\n", {}, r"row 2, column 'response_id': empty response id"),
        ("", {}, r"the CSV is empty"),
    ],
)
def test_read_codings_errors(tmp_path, text, kwargs, pattern):
    with pytest.raises(ConsultError, match=pattern):
        read_codings_csv(write(tmp_path, text), **kwargs)


@pytest.mark.skipif(not GOLD_CSV.exists(), reason="../shared data not present")
def test_real_gold_against_itself():
    from consult.codebook import read_codebook_csv

    book = read_codebook_csv(NHS_CODEBOOK, "fft")
    gold = read_codings_csv(GOLD_CSV, known_codes=book)
    assert len(gold) > 1000
    report = agreement(gold, gold, codes=book)
    assert report.micro_f1 == 1.0 and report.alpha_masi == pytest.approx(1.0)
