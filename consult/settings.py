"""Every setting of the analysis, declared once: one typed dataclass per stage.

A consultation config may hold a table per stage (``[dedupe]``, ``[embed]``,
``[themes]``, ``[assign]``, ``[tune]``, ``[codebook]``, ``[quality]``, ``[active]``). :meth:`Settings.from_tables`
checks them before anything is written: unknown tables and keys are refused with
a did-you-mean suggestion, and each value must have its field's type and range.
The effective settings of a run (defaults included) are stored with the run and
reported in the summary's method annex. docs/settings.md is generated from the
declarations here (``python -m consult.settings``).
"""

from __future__ import annotations

import difflib
import math
import sys
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from consult.errors import ConsultError


def setting(default: Any, help: str, *, low: float | None = None, high: float | None = None,
            low_open: bool = False, choices: tuple[Any, ...] | None = None) -> Any:
    """A dataclass field with its help text and allowed range (``low``/``high`` inclusive unless ``low_open``)."""
    meta = {"help": help, "low": low, "high": high, "low_open": low_open, "choices": choices}
    if isinstance(default, (list, tuple)):
        return field(default_factory=lambda: tuple(default), metadata=meta)
    return field(default=default, metadata=meta)


class _Checked:
    """Settings check their own values on construction (from a config or from code), naming the table."""

    table = ""

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in fields(self):  # type: ignore[arg-type]
            value = _check(f"[{self.table}] {f.name}", getattr(self, f.name), hints[f.name], f.metadata, None)
            object.__setattr__(self, f.name, value)

    @classmethod
    def help(cls) -> dict[str, str]:
        """Each setting's help text, by name."""
        return {f.name: f.metadata["help"] for f in fields(cls)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class DedupeSettings(_Checked):
    """Exact copies, near-duplicates and campaigns (see consult/dedupe.py)."""

    table = "dedupe"

    jaccard_threshold: float = setting(
        0.5, "Near-duplicate: share of all word shingles of two answers found in both.", low=0.0, low_open=True, high=1.0)
    containment_threshold: float = setting(
        0.8, "Template plus a personal paragraph: share of the shorter answer's shingles found in the longer.",
        low=0.0, low_open=True, high=1.0)
    min_containment_shingles: int = setting(
        10, "Containment is only tested for answers with at least this many shingles.", low=0)
    num_perm: int = setting(64, "MinHash permutations (more: better recall of near-duplicates, slower).", low=1)
    shingle_size: int = setting(3, "Words per shingle.", low=1)
    min_sentence_words: int = setting(6, "Shortest sentence compared when finding campaign templates.", low=1)
    min_campaign_size: int = setting(10, "A group at least this large, sharing a template, is a campaign.", low=2)
    min_campaign_words: int = setting(12, "... if the template has at least this many words.", low=0)
    min_addition_words: int = setting(
        4, "A campaign member's own words count as a personal addition from this many words (greetings,"
        " sign-offs, names and addresses aside).", low=1)
    random_state: int = setting(0, "Seed of the MinHash functions.")


@dataclass(frozen=True)
class EmbedSettings(_Checked):
    """Sentence embeddings (see consult/embed.py)."""

    table = "embed"

    model: str | None = setting(
        None, "Folder of a local sentence-transformers model (relative to the config); default: the bundled all-MiniLM-L6-v2.")
    precision: str = setting("auto", "bf16 where the CPU supports it, else fp32; or force one.",
                             choices=("auto", "bf16", "fp32"))
    batch_size: int = setting(32, "Texts per forward pass of the model.", low=1)


@dataclass(frozen=True)
class ThemesSettings(_Checked):
    """Candidate themes (see consult/themes.py)."""

    table = "themes"

    min_themes: int = setting(5, "Fewest themes when their number is chosen automatically.", low=1)
    max_themes: int = setting(30, "Most themes when their number is chosen automatically.", low=1)
    n_themes: int | None = setting(None, "Fix the number of themes instead.", low=1)
    random_state: int = setting(42, "Seed for every random step.")
    outlier_threshold: float = setting(
        0.3, "Cosine similarity to its theme's centre every member must have.", low=-1.0, high=1.0)
    min_theme_size: int | None = setting(None, "Smallest theme (answers); default max(3, 0.2% of answers).", low=1)
    n_quotes: int = setting(5, "Representative answers kept per theme.", low=1)
    n_terms: int = setting(10, "Key terms kept per theme.", low=1)
    n_candidates: int = setting(30, "Candidate phrases weighed for each theme's label.", low=1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_themes < self.min_themes:
            raise ConsultError(f"[themes]: max_themes ({self.max_themes}) is below min_themes ({self.min_themes})")


@dataclass(frozen=True)
class AssignSettings(_Checked):
    """Coding answers against the codebook (see consult/assign.py, CodeAssigner)."""

    table = "assign"

    random_state: int = setting(0, "Seed for the cross-validation folds.")
    threshold: float | None = setting(
        None, "Probability a code needs besides the top one; default: chosen by cross-validation.", low=0.0, high=1.0)
    relative: float = setting(0.5, "A further code needs at least this share of the top code's probability.",
                              low=0.0, high=1.0)
    min_confidence: float = setting(0.1, "Below this top probability an answer is coded 'Other'.", low=0.0, high=1.0)
    prior_strength: float = setting(10.0, "Reviewed examples of a code that weigh as much as the codebook's wording.",
                                    low=0.0)
    l2: float = setting(1e-3, "L2 penalty of the self-trained logistic regression.", low=0.0, low_open=True)
    self_training: bool = setting(True, "Also learn from confident suggestions for unreviewed answers.")
    cv_folds: int = setting(3, "Cross-validation folds for choosing the threshold.", low=2)
    alphas: tuple[float, ...] = setting((0.3, 1.0, 3.0, 10.0), "Ridge penalties tried when learning from reviewers.",
                                        low=0.0, low_open=True)
    max_iter: int = setting(200, "Iterations of the logistic regression solver.", low=1)
    prior_scales: tuple[float, ...] = setting(
        (1.0, 0.5, 0.0), "Factors on the codebook-only probabilities tried once there are reviewed answers.", low=0.0)
    text_features: bool = setting(True, "Also learn from the words of reviewed answers (TF-IDF).")
    text_weight: float = setting(0.5, "Weight of the word model against the embedding model.", low=0.0, high=1.0)
    text_alpha: float = setting(1.0, "Ridge penalty of the word model.", low=0.0, low_open=True)
    max_text_reviewed: int = setting(1500, "The word model learns from at most this many reviewed answers.", low=1)
    top_k: int | None = setting(
        None, "A code's codebook score is the mean similarity of its top_k closest texts; default: chosen per codebook.",
        low=1)
    top_k_grid: tuple[int, ...] = setting((1, 2, 3, 4, 5, 6, 8, 10, 15), "Values of top_k tried.", low=1)
    other_quantile: float | None = setting(
        0.05, "'Other' only when no code is nearer than this quantile of the codebook's own examples.",
        low=0.0, high=1.0)
    self_training_rounds: int = setting(2, "Rounds of self-training.", low=0)
    text_l2: float = setting(1.0, "Inverse L2 penalty (C) of the self-trained word model.", low=0.0, low_open=True)


@dataclass(frozen=True)
class TuneSettings(_Checked):
    """Fine-tuning the language model on reviewed answers (see consult/tune.py)."""

    table = "tune"

    enabled: bool = setting(True, "Fine-tune the model once a question has enough reviewed answers.")
    min_reviewed: int = setting(100, "Reviewed answers a question needs before fine-tuning.", low=1)
    weight: float = setting(0.5, "Share of the fine-tuned model in the code probabilities.", low=0.0, high=1.0)
    epochs: int = setting(8, "Passes over the training texts.", low=1)
    batch_size: int = setting(16, "Texts per training step.", low=1)
    learning_rate: float = setting(5e-5, "Learning rate of the encoder.", low=0.0, low_open=True)
    head_learning_rate: float = setting(3e-3, "Learning rate of the code head.", low=0.0, low_open=True)
    max_length: int = setting(128, "Tokens of a text the encoder reads.", low=8)
    random_state: int = setting(0, "Seed of the head's weights, dropout and batch order.")


@dataclass(frozen=True)
class CodebookSettings(_Checked):
    """Where the codebooks are."""

    table = "codebook"

    folder: str | None = setting(
        None, "Folder of the question codebooks (relative to the config); default: codebook/<consultation id>/ "
        "found in the config's folder or above it.")


@dataclass(frozen=True)
class QualitySettings(_Checked):
    """The quality check: a random sample of the answers only the model coded, which people code blind
    (see consult/quality.py). Its estimate decides whether a question's findings are a draft or checked."""

    table = "quality"

    margin: float = setting(0.05, "Half-width wanted for the per-answer accuracy, as a share (0.05 = ±5 points).",
                            low=0.0, low_open=True, high=0.49)
    confidence: float = setting(0.95, "Confidence level of the sample size and of every interval.",
                                low=0.5, high=0.999)
    bar: float = setting(0.75, "A question is 'checked' when `metric` reaches this value.", low=0.0, high=1.0)
    metric: str = setting(
        "f1_lower", "What must reach the bar: f1, precision, recall or exact_match, with _lower for the interval's"
        " lower bound (e.g. f1_lower) or alone for the point estimate.",
        choices=("f1_lower", "precision_lower", "recall_lower", "exact_match_lower", "f1", "precision", "recall",
                 "exact_match"))
    min_support: int = setting(
        10, "A code gets its own precision, recall and F1 only when the reviewers or the model gave it to at least"
        " this many sampled answers; fewer is 'too few to estimate'.", low=1)
    random_state: int = setting(0, "Seed of the random order the sample is drawn in.")


@dataclass(frozen=True)
class ActiveSettings(_Checked):
    """The review queue (see consult/active.py, ActiveLearner): it orders each question's unreviewed answers by
    what reviewing them would do for the whole coding (the model's uncertainty, weighed by the answers a
    campaign's or duplicate group's answer stands for, spread over different answers), and its model learns
    from people's decisions while they work (the quick closed-form learner; fine-tuning stays in
    `consult analyse`)."""

    table = "active"

    refit_every: int = setting(10, "The queue's model learns again after this many new or changed decisions...",
                               low=1)
    refit_seconds: float = setting(
        30.0, "... or, when someone decided anything since, once this many seconds have passed.", low=0.0)
    diversity: float = setting(
        1.0, "How much picking an answer lowers the rank of answers like it (0: not at all; 1: in proportion to"
        " their similarity).", low=0.0, high=1.0)
    redundancy: float = setting(
        0.9, "Answers at least this similar to one already queued (cosine) come only when nothing else is left.",
        low=0.0, low_open=True, high=1.0)
    random_state: int = setting(0, "Seed of the model's cross-validation folds.")


STAGES: dict[str, type] = {
    "dedupe": DedupeSettings,
    "embed": EmbedSettings,
    "themes": ThemesSettings,
    "assign": AssignSettings,
    "tune": TuneSettings,
    "codebook": CodebookSettings,
    "quality": QualitySettings,
    "active": ActiveSettings,
}


@dataclass(frozen=True)
class Settings:
    """The settings of every stage of one analysis."""

    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    embed: EmbedSettings = field(default_factory=EmbedSettings)
    themes: ThemesSettings = field(default_factory=ThemesSettings)
    assign: AssignSettings = field(default_factory=AssignSettings)
    tune: TuneSettings = field(default_factory=TuneSettings)
    codebook: CodebookSettings = field(default_factory=CodebookSettings)
    quality: QualitySettings = field(default_factory=QualitySettings)
    active: ActiveSettings = field(default_factory=ActiveSettings)

    @classmethod
    def from_tables(cls, tables: dict[str, Any], *, file: str | Path | None = None) -> Settings:
        """Settings from a config's stage tables; a ConsultError naming the first problem."""
        unknown = sorted(set(tables) - set(STAGES))
        if unknown:
            raise ConsultError(_unknown("", unknown[0], STAGES, "table"), file=file)
        parts = {}
        for name, kind in STAGES.items():
            table = tables.get(name) or {}
            if not isinstance(table, dict):
                raise ConsultError(f"[{name}] must be a table of settings", file=file)
            parts[name] = _build(kind, name, table, file)
        return cls(**parts)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Every setting (defaults included), JSON-ready."""
        return {name: {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(getattr(self, name)).items()}
                for name in STAGES}


def _unknown(where: str, key: str, known: Any, noun: str) -> str:
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(sorted(known))}"
    return f"{where}unknown {noun} {key!r}{hint}"


def _build(kind: type, name: str, table: dict[str, Any], file: str | Path | None) -> Any:
    known = {f.name for f in fields(kind)}
    for key in table:
        if key not in known:
            raise ConsultError(_unknown(f"[{name}]: ", key, known, "setting"), file=file)
    try:
        return kind(**table)
    except ConsultError as e:
        raise ConsultError(e.message, file=file) from None


def _check(where: str, value: Any, hint: Any, meta: dict[str, Any], file: str | Path | None) -> Any:
    """``value`` converted to the field's type, or a ConsultError saying what is expected."""
    args = typing.get_args(hint)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if optional else hint
    if value is None:
        if optional:
            return None
        raise ConsultError(f"{where} needs a value", file=file)
    if typing.get_origin(base) is tuple:
        item = typing.get_args(base)[0]
        if not isinstance(value, (list, tuple)) or not value:
            raise ConsultError(f"{where} must be a list of {_hint_name(item)}s, not {value!r}", file=file)
        return tuple(_check(where, v, item, meta, file) for v in value)
    ok = {
        bool: isinstance(value, bool),
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value),
        str: isinstance(value, str),
    }[base]
    if not ok:
        raise ConsultError(f"{where} must be {_type_name(base)}, not {value!r}", file=file)
    if base is float:
        value = float(value)
    choices, low, high = meta.get("choices"), meta.get("low"), meta.get("high")
    if choices is not None and value not in choices:
        raise ConsultError(f"{where} must be one of {', '.join(map(str, choices))}, not {value!r}", file=file)
    if base in (int, float):
        too_low = low is not None and (value <= low if meta.get("low_open") else value < low)
        if too_low or (high is not None and value > high):
            raise ConsultError(f"{where} must be {_range(meta)}, not {value!r}", file=file)
    return value


def _type_name(t: Any) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(t, str(t))


def _range(meta: dict[str, Any]) -> str:
    low, high = meta.get("low"), meta.get("high")
    if low is not None and high is not None:
        return f"{'above' if meta.get('low_open') else 'at least'} {low:g} and at most {high:g}"
    if low is not None:
        return f"{'above' if meta.get('low_open') else 'at least'} {low:g}"
    return f"at most {high:g}"


def markdown() -> str:
    """docs/settings.md: every table and setting, with its type, default, range and help."""
    lines = [
        "# Settings",
        "",
        "Optional tables in `consultation.toml` tune the stages; every setting has a default. Anything",
        "else in these tables is refused with a did-you-mean suggestion. This page is generated from",
        "`consult/settings.py` (`python -m consult.settings > docs/settings.md`); a test keeps them in step.",
        "",
    ]
    hints_of = {kind: typing.get_type_hints(kind) for kind in STAGES.values()}
    for name, kind in STAGES.items():
        lines += [f"## [{name}]", "", (kind.__doc__ or "").strip(), "", "| setting | type | default | allowed | what it does |",
                  "| --- | --- | --- | --- | --- |"]
        for f in fields(kind):
            default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
            meta = f.metadata
            allowed = (", ".join(map(str, meta["choices"])) if meta.get("choices")
                       else _range(meta) if meta.get("low") is not None or meta.get("high") is not None else "")
            shown = _toml(default)
            lines.append(f"| `{f.name}` | {_hint_name(hints_of[kind][f.name])} | `{shown}` | {allowed} | {meta['help']} |")
        lines.append("")
    return "\n".join(lines)


def _toml(value: Any) -> str:
    """A default as it would be written in TOML ("(none)" when unset)."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return str(value).lower()
    return str(list(value)) if isinstance(value, tuple) else str(value)


def _hint_name(hint: Any) -> str:
    args = typing.get_args(hint)
    if type(None) in args:
        return _hint_name(next(a for a in args if a is not type(None))) + " (optional)"
    if typing.get_origin(hint) is tuple:
        return f"list of {_hint_name(typing.get_args(hint)[0])}"
    return {bool: "boolean", int: "whole number", float: "number", str: "text"}.get(hint, str(hint))


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(markdown())
