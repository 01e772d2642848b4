"""Agreement between two multi-label codings (consult vs gold, or two human coders).

A coding maps a response id to the set of codes given to it (an empty set is a
valid coding: "no code"). Measures, over the responses present in ``gold``:

- micro / macro / per-answer ("samples") F1, and per-code precision, recall, F1;
- Cohen's kappa per code, on presence/absence of the code in each response;
- Krippendorff's alpha with the MASI distance (Passonneau 2006) between the two
  coders' label sets.

Undefined values are NaN in the report (``None`` in :meth:`AgreementReport.to_dict`):
precision of a code never predicted; F1 of a code neither side used; kappa of a
code both coders treat identically and constantly (e.g. neither ever uses it,
expected agreement 1); alpha when every label set is the same. Undefined per-code
values are left out of the macro F1 and the mean kappa.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import cohen_kappa_score, f1_score, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from consult.codebook import Codebook
from consult.errors import ConsultError
from consult.files import read_text

__all__ = [
    "AgreementReport",
    "CodeAgreement",
    "agreement",
    "krippendorff_alpha",
    "masi_distance",
    "read_codings_csv",
]

Codings = Mapping[str, Iterable[str]]


# --------------------------------------------------------------------------- reading


def read_codings_csv(
    path: str | Path,
    *,
    known_codes: Codebook | Iterable[str] | None = None,
    known_ids: Iterable[str] | None = None,
) -> dict[str, frozenset[str]]:
    """Read a ``response_id, code`` CSV (one row per pair; a blank code means "no code").

    With a :class:`Codebook` as ``known_codes``, a code may be given by id or by
    label and is returned as its id; with a list of strings, codes must match one
    exactly. Rows are numbered as in a spreadsheet (the header is row 1).
    """
    path = Path(path)
    text = read_text(path, missing="codings file not found")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise ConsultError("the CSV is empty; expected columns 'response_id' and 'code'", file=path)
    columns = {h.strip().lower(): i for i, h in reversed(list(enumerate(header)))}
    for needed in ("response_id", "code"):
        if needed not in columns:
            raise ConsultError(
                f"missing column {needed!r} (found: {', '.join(repr(h) for h in header) or 'none'})",
                file=path,
                row=1,
                column=needed,
            )
    id_col, code_col = columns["response_id"], columns["code"]
    id_name, code_name = header[id_col].strip(), header[code_col].strip()

    resolve = _code_resolver(known_codes)
    ids = None if known_ids is None else set(known_ids)
    out: dict[str, set[str]] = {}
    try:
        for rownum, row in enumerate(reader, start=2):
            if not any(v.strip() for v in row):
                continue
            rid = row[id_col].strip() if id_col < len(row) else ""
            code = " ".join(row[code_col].split()) if code_col < len(row) else ""
            if not rid:
                raise ConsultError("empty response id", file=path, row=rownum, column=id_name)
            if ids is not None and rid not in ids:
                raise ConsultError(f"unknown response id {rid!r}", file=path, row=rownum, column=id_name)
            codes = out.setdefault(rid, set())
            if code:
                resolved = resolve(code)
                if resolved is None:
                    raise ConsultError(f"unknown code {code!r}", file=path, row=rownum, column=code_name)
                codes.add(resolved)
    except csv.Error as exc:
        raise ConsultError(f"malformed CSV: {exc}", file=path, row=reader.line_num) from None
    return {rid: frozenset(codes) for rid, codes in out.items()}


def read_gold(path: str | Path) -> dict[str, frozenset[str]]:
    """Gold codes: a ``response_id, code`` CSV, or a ``respondent_id, question, code`` one keyed RESPONDENT:QUESTION."""
    path = Path(path)
    text = read_text(path, missing="no such file")
    header = [h.strip().lower() for h in next(csv.reader(io.StringIO(text, newline="")), [])]
    if "response_id" in header or not {"respondent_id", "question"} <= set(header):
        return read_codings_csv(path)
    out: dict[str, set[str]] = {}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        for n, row in enumerate(reader, start=2):
            row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            blank = next((c for c in ("respondent_id", "question") if not row.get(c)), None)
            if blank:
                raise ConsultError("blank respondent_id or question", file=path, row=n, column=blank)
            s = out.setdefault(f"{row['respondent_id']}:{row['question']}", set())
            if row.get("code"):
                s.add(row["code"])
    except csv.Error as exc:
        raise ConsultError(f"malformed CSV: {exc}", file=path, row=reader.line_num) from None
    return {k: frozenset(v) for k, v in out.items()}


def _code_resolver(known: Codebook | Iterable[str] | None):
    if known is None:
        return lambda code: code
    if isinstance(known, Codebook):
        book = known

        def resolve(code: str) -> str | None:
            if code in book:
                return code
            found = book.by_label(code)
            return found.id if found is not None else None

        return resolve
    allowed = {str(c).strip() for c in known}
    return lambda code: code if code in allowed else None


# --------------------------------------------------------------------------- MASI / alpha


def masi_distance(a: Iterable[str], b: Iterable[str]) -> float:
    """MASI distance between two label sets (Passonneau 2006): 1 - Jaccard * monotonicity.

    Monotonicity is 1 for identical sets, 2/3 when one is a subset of the other,
    1/3 when they overlap otherwise, 0 when disjoint. Two empty sets are at distance 0.
    """
    a, b = frozenset(a), frozenset(b)
    if a == b:
        return 0.0
    inter, union = len(a & b), len(a | b)
    if inter == min(len(a), len(b)):
        m = 2 / 3
    elif inter > 0:
        m = 1 / 3
    else:
        m = 0.0
    return 1.0 - (inter / union) * m


def krippendorff_alpha(pairs: Iterable[tuple[frozenset[str], frozenset[str]]], distance=masi_distance) -> float:
    """Krippendorff's alpha for two coders with no missing values, under ``distance``.

    ``pairs`` holds, per unit, the two coders' values. Returns NaN when it is
    undefined (fewer than two units, or no variation in values at all).
    """
    pairs = [(frozenset(x), frozenset(y)) for x, y in pairs]
    if len(pairs) < 2:
        return math.nan
    n_values = 2 * len(pairs)
    observed = sum(distance(x, y) for x, y in pairs) / len(pairs)
    # Expected disagreement over all ordered pairs of values, by distinct value counts.
    freq = Counter(v for pair in pairs for v in pair)
    values = list(freq)
    total = 0.0
    for i, u in enumerate(values):
        for v in values[i + 1:]:
            total += 2 * freq[u] * freq[v] * distance(u, v)
    expected = total / (n_values * (n_values - 1))
    if expected == 0:
        return math.nan
    return 1.0 - observed / expected


# --------------------------------------------------------------------------- report


@dataclass(frozen=True)
class CodeAgreement:
    """Agreement on one code; ``support`` is its count in gold, ``predicted`` in the other coding."""

    code: str
    label: str
    support: int
    predicted: int
    precision: float
    recall: float
    f1: float
    kappa: float


@dataclass(frozen=True)
class AgreementReport:
    """Agreement figures between a predicted (or second) coding and a gold coding."""

    n_responses: int
    n_missing_predicted: int  # gold responses absent from predicted (counted as "no code")
    n_extra_predicted: int  # predicted responses absent from gold (ignored)
    micro_precision: float
    micro_recall: float
    micro_f1: float
    macro_f1: float
    samples_f1: float
    exact_match: float
    mean_kappa: float
    n_kappa_undefined: int
    alpha_masi: float
    per_code: tuple[CodeAgreement, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; NaN (undefined) becomes ``None``."""

        def clean(value: Any) -> Any:
            if isinstance(value, float) and math.isnan(value):
                return None
            return value

        out = {k: clean(v) for k, v in self.__dict__.items() if k != "per_code"}
        out["per_code"] = [{k: clean(v) for k, v in c.__dict__.items()} for c in self.per_code]
        return out

    def format_table(self) -> str:
        """A plain-text summary and per-code table for a terminal."""

        def num(value: float) -> str:
            return "n/a" if math.isnan(value) else f"{value:.3f}"

        lines = [
            f"Responses: {self.n_responses} (missing from predicted: {self.n_missing_predicted}, "
            f"not in gold: {self.n_extra_predicted})",
            f"Micro F1 {num(self.micro_f1)}  (precision {num(self.micro_precision)}, "
            f"recall {num(self.micro_recall)})",
            f"Macro F1 {num(self.macro_f1)}   Per-answer F1 {num(self.samples_f1)}   "
            f"Exact match {num(self.exact_match)}",
            f"Mean Cohen's kappa {num(self.mean_kappa)} ({self.n_kappa_undefined} undefined)   "
            f"Krippendorff's alpha (MASI) {num(self.alpha_masi)}",
            "",
        ]
        names = [c.label if c.label == c.code else f"{c.label} [{c.code}]" for c in self.per_code]
        width = min(max([len("Code"), *map(len, names)]), 60)
        head = ("Code".ljust(width), "Gold", "Pred", "Prec", "Recall", "F1", "Kappa")
        lines.append(f"{head[0]}  {head[1]:>5} {head[2]:>5} {head[3]:>6} {head[4]:>6} {head[5]:>6} {head[6]:>6}")
        lines.append("-" * (width + 42))
        for name, c in zip(names, self.per_code):
            if len(name) > width:
                name = name[: width - 1] + "…"
            lines.append(
                f"{name.ljust(width)}  {c.support:>5} {c.predicted:>5} {num(c.precision):>6} "
                f"{num(c.recall):>6} {num(c.f1):>6} {num(c.kappa):>6}"
            )
        return "\n".join(lines)


def agreement(
    predicted: Codings,
    gold: Codings,
    codes: Codebook | Iterable[str] | None = None,
) -> AgreementReport:
    """Compare two codings over the responses in ``gold``.

    A response missing from ``predicted`` counts as coded with nothing. ``codes``
    fixes the codes reported (and their order); by default, every code used in
    either coding, sorted. A code used but not in ``codes`` is an error.
    """
    labels: dict[str, str]
    if isinstance(codes, Codebook):
        labels = {c.id: c.label for c in codes}
    elif codes is not None:
        labels = {str(c): str(c) for c in codes}
    else:
        used = {c for v in gold.values() for c in v} | {c for v in predicted.values() for c in v}
        labels = {c: c for c in sorted(used)}
    code_list = list(labels)

    response_ids = list(gold)
    gold_sets = [frozenset(gold[r]) for r in response_ids]
    pred_sets = [frozenset(predicted.get(r, ())) for r in response_ids]
    unknown = sorted({c for s in gold_sets + pred_sets for c in s} - set(labels))
    if unknown:
        raise ConsultError(f"codes not in the codebook: {', '.join(map(repr, unknown[:5]))}")

    n = len(response_ids)
    missing = sum(1 for r in response_ids if r not in predicted)
    extra = sum(1 for r in predicted if r not in gold)
    if n == 0 or not code_list:
        nan = math.nan
        per = tuple(CodeAgreement(c, labels[c], 0, 0, nan, nan, nan, nan) for c in code_list)
        exact = 1.0 if n else nan
        return AgreementReport(n, missing, extra, nan, nan, nan, nan, nan, exact, nan, len(code_list), nan, per)

    binarizer = MultiLabelBinarizer(classes=code_list)
    y_true = binarizer.fit_transform(gold_sets)
    y_pred = binarizer.transform(pred_sets)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        precision, recall, f1, support = precision_recall_fscore_support(
            y_true, y_pred, average=None, zero_division=np.nan
        )
        micro_p, micro_r, micro_f1, _ = precision_recall_fscore_support(
            y_true, y_pred, average="micro", zero_division=np.nan
        )
        # Both sides giving no code to an answer is full agreement on that answer.
        samples_f1 = f1_score(y_true, y_pred, average="samples", zero_division=1.0)
        kappas = [
            cohen_kappa_score(y_true[:, j], y_pred[:, j], labels=[0, 1], replace_undefined_by=np.nan)
            for j in range(len(code_list))
        ]

    per_code = tuple(
        CodeAgreement(
            code=c,
            label=labels[c],
            support=int(support[j]),
            predicted=int(y_pred[:, j].sum()),
            precision=float(precision[j]),
            recall=float(recall[j]),
            f1=float(f1[j]),
            kappa=float(kappas[j]),
        )
        for j, c in enumerate(code_list)
    )
    defined_f1 = [c.f1 for c in per_code if not math.isnan(c.f1)]
    defined_kappa = [c.kappa for c in per_code if not math.isnan(c.kappa)]
    return AgreementReport(
        n_responses=n,
        n_missing_predicted=missing,
        n_extra_predicted=extra,
        micro_precision=float(micro_p),
        micro_recall=float(micro_r),
        micro_f1=float(micro_f1),
        macro_f1=float(np.mean(defined_f1)) if defined_f1 else math.nan,
        samples_f1=float(samples_f1),
        exact_match=sum(g == p for g, p in zip(gold_sets, pred_sets)) / n,
        mean_kappa=float(np.mean(defined_kappa)) if defined_kappa else math.nan,
        n_kappa_undefined=len(per_code) - len(defined_kappa),
        alpha_masi=krippendorff_alpha(zip(pred_sets, gold_sets)),
        per_code=per_code,
    )
