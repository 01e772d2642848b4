"""Publication: the summary of responses, rendered from ``consult.db``.

Gathering the figures (:func:`summary_data`) is separate from rendering them,
so the HTML page, the Markdown, the XLSX workbook and the CSV files all show the
same numbers. Response text is untrusted: every quote passes through
:func:`consult.redact.redact` (with the reviewer's marked spans) and is only
taken from respondents who consented to publication; templates are
autoescaped and Markdown is escaped. The output depends only on the workspace,
so the same workspace renders byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sqlite3
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, select_autoescape

from consult import __version__
from consult.codebook import NON_SUBSTANTIVE, slugify
from consult.dedupe import NON_SUBSTANTIVE as NOTHING_SAID  # the dedupe kind (the code is codebook's)
from consult.dedupe import campaign_labels
from consult.errors import ConsultError
from consult.files import atomic_write_bytes, atomic_write_text, spreadsheet_safe
from consult.progress import SILENT, Progress
from consult.quality import METHOD as QUALITY_METHOD
from consult.settings import QualitySettings
from consult.workspace import answers as ws_answers
from consult.workspace import codes as ws_codes
from consult.workspace import dedupe as ws_dedupe
from consult.workspace import responses as ws_responses
from consult.workspace import runs as ws_runs
from consult.workspace import quality as ws_quality
from consult.workspace import themes as ws_themes
from consult.workspace.caches import EmbeddingCache
from consult.workspace.db import db_folder
from consult.workspace.db import open_workspace as ws_open

FORMATS: tuple[str, ...] = ("html", "md", "xlsx", "csv")
DEFAULT_NAMES = {"html": "summary.html", "md": "summary.md", "xlsx": "summary.xlsx", "csv": "summary-csv"}

QUOTE_WORDS = 80  # longer quotes are trimmed at a sentence end
QUOTES_PER_CODE = 3
ADDITION_QUOTES = 3
CAMPAIGNS_IN_DETAIL = 5  # per question; the rest are in the campaigns table
NO_ANSWER = "No answer"
NOT_STATED = "Not stated"
TYPE_NAMES = {"individual": "Individuals", "organisation": "Organisations"}
# Fixed date for the parts of an XLSX file that would otherwise carry "now".
XLSX_EPOCH = (1980, 1, 1, 0, 0, 0)

Redactor = Callable[..., str]


# --- small helpers ---------------------------------------------------------------


def pct(n: float, d: float) -> str:
    """A share as a whole percentage, or a dash when there is nothing to divide by."""
    return f"{100 * n / d:.0f}%" if d else "–"


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 answer``, ``2 answers``."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def share(n: float, d: float) -> float | None:
    return n / d if d else None


def trim_quote(text: str, limit: int = QUOTE_WORDS) -> str:
    """One-line text of at most ``limit`` words, cut at a sentence end (else a word) with an ellipsis."""
    words = text.split()
    if len(words) <= limit:
        return " ".join(words)
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(words))
    kept: list[str] = []
    n = 0
    for s in sentences:
        w = len(s.split())
        if n + w > limit:
            break
        kept.append(s)
        n += w
    if not kept:
        return " ".join(words[:limit]) + "…"
    return " ".join(kept) + " …"


def word_count(text: str) -> int:
    return len(text.split())


def get_redactor() -> Redactor | None:
    """``consult.redact.redact``, or None if this installation has no redaction (quotes are then withheld)."""
    try:
        from consult.redact import redact
    except ImportError:
        return None
    return redact


def _spans(redactions_json: str | None) -> list[tuple[int, int]]:
    try:
        raw = json.loads(redactions_json or "[]")
    except json.JSONDecodeError:
        return []
    spans = []
    for s in raw if isinstance(raw, list) else []:
        if isinstance(s, (list, tuple)) and len(s) == 2 and all(isinstance(x, int) for x in s):
            spans.append((int(s[0]), int(s[1])))
    return sorted(spans)


def _withheld(review_state: sqlite3.Row | None) -> bool:
    """An answer whose text changed since a person worked on it is not quoted until someone looks again:
    their redactions were marked on other text."""
    return review_state is not None and bool(review_state["stale"])


def _shift_spans(spans: Iterable[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """Spans of a text made relative to its substring ``[start, end)``, clipped to it."""
    out = []
    for a, b in spans:
        a2, b2 = max(a, start), min(b, end)
        if a2 < b2:
            out.append((a2 - start, b2 - start))
    return out


# --- tables ----------------------------------------------------------------------

ColumnKind = Literal["text", "int", "pct"]


@dataclass
class Table:
    """A table of the summary, as shown in every format. ``pct`` cells hold a fraction (or None)."""

    id: str
    caption: str
    columns: list[str]
    kinds: list[ColumnKind]
    rows: list[list[Any]] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # per row: an anchor its first cell links to (HTML only)

    def display(self, value: Any, kind: ColumnKind) -> str:
        if value is None:
            return "–"
        if kind == "pct":
            return f"{100 * value:.0f}%"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return str(value)

    def display_rows(self) -> list[list[str]]:
        return [[self.display(v, k) for v, k in zip(row, self.kinds)] for row in self.rows]

    def export_header(self) -> list[str]:
        return [f"{c} (%)" if k == "pct" else c for c, k in zip(self.columns, self.kinds)]

    def export_rows(self) -> list[list[Any]]:
        """Rows for CSV: numbers as numbers, shares as percentages to one decimal place."""
        out = []
        for row in self.rows:
            out.append(
                [
                    ("" if v is None else round(100 * v, 1)) if k == "pct" else ("" if v is None else v)
                    for v, k in zip(row, self.kinds)
                ]
            )
        return out


# --- gathering ---------------------------------------------------------------------


class _Quoter:
    """Publishes quotes: consent checked, personal data redacted, length trimmed."""

    def __init__(self, redactor: Redactor | None) -> None:
        self.redactor = redactor

    @property
    def available(self) -> bool:
        return self.redactor is not None

    def text(self, text: str, spans: Sequence[tuple[int, int]] = (), *, limit: int | None = QUOTE_WORDS) -> str | None:
        if self.redactor is None or not text or not text.strip():
            return None
        red = self.redactor(text, marked_spans=list(spans))
        red = " ".join(red.split())
        return trim_quote(red, limit) if limit else red


def _question_label(qid: str) -> str:
    return qid.upper() if re.fullmatch(r"q\d+", qid, re.I) else qid


def summary_data(conn: sqlite3.Connection, *, redactor: Redactor | None | Literal["default"] = "default",
                 progress: Progress = SILENT) -> dict[str, Any]:
    """Every figure, table and quote the summary shows, gathered from the workspace.

    ``redactor(text, marked_spans=...)`` defaults to :func:`consult.redact.redact`;
    with None, nothing respondents wrote is published. ``progress`` shows a bar
    (question by question, then the method annex).
    """
    quoter = _Quoter(get_redactor() if isinstance(redactor, str) else redactor)
    tables: list[Table] = []
    consultation = ws_responses.consultation(conn)
    respondents = ws_responses.respondents(conn)
    total = len(respondents)
    resp_by_id = {r["id"]: r for r in respondents}
    group_of = {r["id"]: (r["grp"] or NOT_STATED) for r in respondents}

    def ordered(counter: Counter[str]) -> list[tuple[str, int]]:
        return sorted(counter.items(), key=lambda kv: (kv[0] == NOT_STATED, -kv[1], kv[0].casefold(), kv[0]))

    by_type = Counter(TYPE_NAMES.get(r["type"] or "", r["type"] or NOT_STATED) for r in respondents)
    by_group = Counter(group_of.values())
    t_type = Table("respondents-by-type", "Respondents by type", ["Responding as", "Respondents", "Share"], ["text", "int", "pct"],
                   [[k, v, share(v, total)] for k, v in ordered(by_type)])
    t_group = Table("respondents-by-group", "Respondents by group", ["Group", "Respondents", "Share"], ["text", "int", "pct"],
                    [[k, v, share(v, total)] for k, v in ordered(by_group)])
    tables += [t_type, t_group]

    orgs = [r for r in respondents if r["type"] == "organisation"]
    named = sorted({(r["organisation"] or "").strip() for r in orgs if r["consent"] == 1 and (r["organisation"] or "").strip()},
                   key=lambda s: (s.casefold(), s))
    unnamed = sum(1 for r in orgs if not (r["consent"] == 1 and (r["organisation"] or "").strip()))
    t_orgs = Table("organisations", "Organisations that responded and agreed to be named", ["Organisation"], ["text"],
                   [[n] for n in named])
    tables.append(t_orgs)
    answers_total = ws_responses.count_answers(conn)

    overview = {
        "respondents": total,
        "answers": answers_total,
        "individuals": by_type.get("Individuals", 0),
        "organisations": by_type.get("Organisations", 0),
        "by_type": t_type,
        "by_group": t_group,
        "organisations_named": t_orgs,
        "organisations_unnamed": unnamed,
        # Roles the export did not record are said plainly, not shown as zeros.
        "type_recorded": any(r["type"] for r in respondents),
        "consent_recorded": any(r["consent"] is not None for r in respondents),
    }

    review = ws_answers.review_states(conn)
    dedupe = ws_dedupe.dedupe_rows(conn)
    quality = ws_runs.settings(conn).quality
    groups = ws_dedupe.groups(conn)

    questions = []
    all_questions = ws_responses.all_questions(conn)
    with progress.bar("report: summarise", len(all_questions) + 1, unit="step") as bar:
        for q in all_questions:
            bar.set_description(f"report {q['id']}: summarise")
            entry, qtables = _question(conn, q, total, resp_by_id, group_of, review, dedupe, groups, quoter, quality)
            questions.append(entry)
            tables += qtables
            bar.update(1)
        bar.set_description("report: method annex")
        method, mtables = _method(conn, review, dedupe, questions)
        tables += mtables
        bar.update(1)
    return {
        "consultation": consultation,
        "overview": overview,
        "questions": questions,
        "method": method,
        "tables": tables,
        "quotes_available": quoter.available,
        "version": __version__,
        "draft": [q["label"] for q in questions if q.get("status") == "draft"],
    }


def _question(
    conn: sqlite3.Connection,
    q: sqlite3.Row,
    total: int,
    resp_by_id: dict[str, sqlite3.Row],
    group_of: dict[str, str],
    review: dict[int, sqlite3.Row],
    dedupe: dict[int, sqlite3.Row],
    groups: dict[str, sqlite3.Row],
    quoter: _Quoter,
    quality: QualitySettings,
) -> tuple[dict[str, Any], list[Table]]:
    qid = q["id"]
    label = _question_label(qid)
    kind = q["kind"]
    options: list[str] = [str(o) for o in json.loads(q["options_json"] or "[]")]
    rows = ws_responses.responses(conn, qid)
    tables: list[Table] = []
    entry: dict[str, Any] = {"id": qid, "label": label, "text": q["text"], "kind": kind, "anchor": f"q-{slugify(qid)}"}

    option_of: dict[int, str] = {}
    if kind in ("closed", "hybrid"):
        by_case = {o.casefold(): o for o in options}
        for r in rows:
            if r["option"] and r["option"].strip():
                option_of[r["id"]] = by_case.get(r["option"].strip().casefold(), r["option"].strip())
        counts = Counter(option_of.values())
        answered = sum(counts.values())
        names = options + sorted(set(counts) - set(options), key=lambda s: (s.casefold(), s))
        t = Table(f"{slugify(qid)}-answers", f"{label}: answers ({answered:,} of {total:,} respondents answered)",
                  ["Answer", "Respondents", "Share of those who answered"], ["text", "int", "pct"],
                  [[o, counts.get(o, 0), share(counts.get(o, 0), answered)] for o in names])
        by_group: dict[str, Counter[str]] = defaultdict(Counter)
        for r in rows:
            if r["id"] in option_of:
                by_group[group_of.get(r["respondent_id"], NOT_STATED)][option_of[r["id"]]] += 1
        cols = ["Group", "Answered"]
        kinds: list[ColumnKind] = ["text", "int"]
        for o in names:
            cols += [o, f"{o} (share)"]
            kinds += ["int", "pct"]
        tg = Table(f"{slugify(qid)}-answers-by-group", f"{label}: answers by group", cols, kinds)
        for g in sorted(by_group, key=lambda s: (s == NOT_STATED, s.casefold(), s)):
            n = sum(by_group[g].values())
            row: list[Any] = [g, n]
            for o in names:
                row += [by_group[g].get(o, 0), share(by_group[g].get(o, 0), n)]
            tg.rows.append(row)
        tables += [t, tg]
        entry["closed"] = {
            "answered": answered,
            "not_answered": total - answered,
            "table": t,
            "by_group": tg,
            "chart": _chart(f"chart-{slugify(qid)}", f"{label}: answers, share of the {answered:,} respondents who answered",
                            [(o, counts.get(o, 0), answered) for o in names]),
        }

    if kind in ("open", "hybrid"):
        texts = {r["id"]: r for r in rows if r["text"] and r["text"].strip()}
        answered_text = len(texts)
        entry["free_text"] = {"answers": answered_text, "blank": total - answered_text}
        entry.update(_codes_section(conn, q, label, texts, option_of, options, review, dedupe, groups,
                                    resp_by_id, quoter, tables))
        entry.update(_status(conn, qid, coded=entry["codes"] is not None, settings=quality))
        entry["campaigns"] = _campaigns(conn, qid, label, texts, dedupe, review, resp_by_id, quoter, tables)
        entry["non_substantive"] = _non_substantive(conn, qid, label, texts, dedupe, tables)
    return entry, tables


def _status(conn: sqlite3.Connection, qid: str, *, coded: bool, settings: QualitySettings) -> dict[str, Any]:
    """A question's findings are *checked* when the quality check (or a full review) meets the bar, else *draft*."""
    if not coded:
        return {"status": "draft", "quality": None}
    result = ws_quality.assess(conn, qid, settings)
    figures = None
    if result.estimate is not None:
        e = result.estimate
        figures = {name: getattr(e, name) for name in ("precision", "recall", "f1")}
    return {"status": result.status, "quality": {
        "checked": result.checked, "sampled": result.sampled, "unreviewed": result.unreviewed,
        "bar": settings.bar, "metric": METRIC_NAMES.get(settings.metric, settings.metric), "figures": figures,
    }}


METRIC_NAMES = {
    "f1_lower": "the lower end of the F1 interval", "precision_lower": "the lower end of the precision interval",
    "recall_lower": "the lower end of the recall interval", "exact_match_lower": "the lower end of the exact-match interval",
    "f1": "F1", "precision": "precision", "recall": "recall", "exact_match": "exact match",
}


def _chart(chart_id: str, title: str, bars: list[tuple[str, int, int]]) -> dict[str, Any]:
    """An accessible horizontal bar chart: every bar labelled in text with its count and share."""
    width, left, row_h, bar_h = 640, 8, 44, 16
    scale = width - left - 8
    items = []
    for i, (name, n, d) in enumerate(bars):
        frac = n / d if d else 0.0
        shown = name if len(name) <= 70 else name[:69] + "…"
        items.append({
            "y_text": 18 + i * row_h,
            "y_bar": 24 + i * row_h,
            "width": max(round(scale * frac, 1), 0.0),
            "label": f"{shown}: {n:,} ({pct(n, d)})",
        })
    return {
        "id": chart_id,
        "title": title,
        "desc": "; ".join(f"{name}: {n:,} ({pct(n, d)})" for name, n, d in bars) + ".",
        "width": width,
        "height": 8 + len(bars) * row_h,
        "left": left,
        "bar_h": bar_h,
        "items": items,
    }


def _codes_for_question(
    conn: sqlite3.Connection, qid: str, texts: dict[int, sqlite3.Row]
) -> tuple[list[dict[str, Any]], dict[int, dict[str, float]], dict[int, set[str]]]:
    """Active codes, each answer's final codes (with confidence), and those of the answers with text."""
    active = ws_codes.codes(conn, qid, builtin_last=False)
    own = ws_codes.final_codes(conn, question_id=qid)
    held = {rid: set(own[rid]) for rid in texts if own.get(rid)}
    return active, own, held


def _confirmed(conn: sqlite3.Connection, qid: str) -> dict[int, set[str]]:
    """Each answer's codes a person decided (on it, or on the answer it copies)."""
    return {rid: set(c) for rid, c in ws_codes.final_codes(conn, question_id=qid, confirmed=True).items()}


def _codes_section(
    conn: sqlite3.Connection, q: sqlite3.Row, label: str, texts: dict[int, sqlite3.Row], option_of: dict[int, str],
    options: list[str], review: dict[int, sqlite3.Row], dedupe: dict[int, sqlite3.Row], groups: dict[str, sqlite3.Row],
    resp_by_id: dict[str, sqlite3.Row], quoter: _Quoter, tables: list[Table],
) -> dict[str, Any]:
    qid = q["id"]
    answered = len(texts)
    active, own, held = _codes_for_question(conn, qid, texts)
    ranked_codes = [c for c in active if c["id"] != NON_SUBSTANTIVE]
    out: dict[str, Any] = {"codes": None, "themes": None, "quotes_by_code": [], "codes_message": None}
    if ranked_codes and held:
        counts = Counter(code for codes in held.values() for code in codes)
        position = {c["id"]: i for i, c in enumerate(ranked_codes)}
        ranked = sorted(ranked_codes, key=lambda c: (-counts.get(c["id"], 0), c["builtin"], position[c["id"]], c["id"]))
        cols = ["Code", "Respondents", f"Share of the {answered:,} who answered"]
        kinds: list[ColumnKind] = ["text", "int", "pct"]
        split_names: list[str] = []
        if q["kind"] == "hybrid":
            present = {option_of.get(rid, NO_ANSWER) for rid in texts}
            split_names = [o for o in options if o in present]
            split_names += sorted(present - set(options) - {NO_ANSWER}, key=lambda s: (s.casefold(), s))
            split_names += [NO_ANSWER] if NO_ANSWER in present else []
            cols += [f"Answered {o}" if o != NO_ANSWER else "Did not answer the closed question" for o in split_names]
            kinds += ["int"] * len(split_names)
        caption = f"{label}: what respondents said, by number of respondents"
        if split_names:
            caption += " (split by their closed answer)"
        t = Table(f"{slugify(qid)}-codes", caption, cols, kinds)
        for c in ranked:
            n = counts.get(c["id"], 0)
            row: list[Any] = [c["label"], n, share(n, answered)]
            for o in split_names:
                row.append(sum(1 for rid, cs in held.items() if c["id"] in cs and option_of.get(rid, NO_ANSWER) == o))
            t.rows.append(row)
        tables.append(t)
        out["codes"] = {"table": t, "coded": len(held), "uncoded": answered - len(held)}
        used: set[int] = set()
        confirmed = _confirmed(conn, qid)
        for c in ranked:
            if counts.get(c["id"], 0) == 0 or c["builtin"]:
                continue
            # Quotes come from answers a person confirmed make this point, when there are any.
            sure = {rid: codes for rid, codes in own.items() if c["id"] in confirmed.get(rid, ())}
            quotes = _code_quotes(c["id"], sure, texts, review, dedupe, groups, resp_by_id, quoter, used)
            is_confirmed = bool(quotes)
            if not quotes:
                quotes = _code_quotes(c["id"], own, texts, review, dedupe, groups, resp_by_id, quoter, used)
            out["quotes_by_code"].append({"label": c["label"], "count": counts[c["id"]], "quotes": quotes,
                                          "confirmed": is_confirmed})
        out["themes"] = _themes(conn, qid, label, answered, resp_by_id, review, quoter, tables, with_quotes=False)
        return out
    if ranked_codes:
        out["codes_message"] = "Answers to this question have not been coded yet."
    out["themes"] = _themes(conn, qid, label, answered, resp_by_id, review, quoter, tables)
    return out


def _respondent_consents(resp_by_id: dict[str, sqlite3.Row], respondent_id: str) -> bool:
    r = resp_by_id.get(respondent_id)
    return r is not None and r["consent"] == 1


def _code_quotes(
    code_id: str, own: dict[int, dict[str, float]], texts: dict[int, sqlite3.Row], review: dict[int, sqlite3.Row],
    dedupe: dict[int, sqlite3.Row], groups: dict[str, sqlite3.Row], resp_by_id: dict[str, sqlite3.Row],
    quoter: _Quoter, used: set[int],
) -> list[str]:
    """Up to three quotes for a code: reviewer-flagged first, then short, then most confident."""
    candidates = []
    for rid, codes in own.items():
        if code_id not in codes or rid not in texts or rid in used:
            continue
        if not _respondent_consents(resp_by_id, texts[rid]["respondent_id"]):
            continue
        d = dedupe.get(rid)
        if d is not None:
            if d["kind"] in ("campaign", NOTHING_SAID):
                continue
            if d["kind"] in ("exact", "near"):
                g = groups.get(d["group_id"] or "")
                if g is not None and g["canonical_response_id"] not in (None, rid):
                    continue  # a copy of another answer
        rs = review.get(rid)
        if _withheld(rs):
            continue
        flagged = 1 if rs is not None and rs["quote"] else 0
        long = word_count(texts[rid]["text"]) > QUOTE_WORDS
        candidates.append((-flagged, long, -codes[code_id], rid))
    quotes: list[str] = []
    seen: set[str] = set()
    for *_, rid in sorted(candidates):
        if len(quotes) >= QUOTES_PER_CODE:
            break
        rs = review.get(rid)
        text = quoter.text(texts[rid]["text"], _spans(rs["redactions_json"] if rs is not None else None))
        if not text or text.casefold() in seen:
            continue
        seen.add(text.casefold())
        used.add(rid)
        quotes.append(text)
    return quotes


def _themes(
    conn: sqlite3.Connection, qid: str, label: str, answered: int, resp_by_id: dict[str, sqlite3.Row],
    review: dict[int, sqlite3.Row], quoter: _Quoter, tables: list[Table], with_quotes: bool = True,
) -> dict[str, Any] | None:
    rows = ws_themes.themes(conn, qid)
    if not rows:
        return None
    t = Table(f"{slugify(qid)}-themes", f"{label}: candidate themes found in the answers (not yet reviewed)",
              ["Theme", "Answers", f"Share of the {answered:,} who answered"], ["text", "int", "pct"])
    items = []
    for i, th in enumerate(rows, start=1):
        if th["theme_id"] == -1:
            name = "Not grouped into a theme"
        else:
            red = quoter.text(th["label"], limit=None)
            name = f"Theme {i}: {red}" if red else f"Theme {i}"
        n = int(round(th["size"]))
        t.rows.append([name, n, share(n, answered)])
        quotes: list[str] = []
        if th["theme_id"] != -1 and with_quotes:
            for qr in ws_themes.theme_quotes(conn, qid, th["theme_id"]):
                if len(quotes) >= QUOTES_PER_CODE:
                    break
                if not _respondent_consents(resp_by_id, qr["respondent_id"]):
                    continue
                rs = review.get(qr["response_id"])
                if _withheld(rs):
                    continue
                text = quoter.text(qr["text"] or "", _spans(rs["redactions_json"] if rs is not None else None))
                if text and text not in quotes:
                    quotes.append(text)
            items.append({"label": name, "count": n, "quotes": quotes})
    tables.append(t)
    return {"table": t, "items": items}


def _campaigns(
    conn: sqlite3.Connection, qid: str, label: str, texts: dict[int, sqlite3.Row], dedupe: dict[int, sqlite3.Row],
    review: dict[int, sqlite3.Row], resp_by_id: dict[str, sqlite3.Row], quoter: _Quoter, tables: list[Table],
) -> dict[str, Any] | None:
    camps = ws_dedupe.campaigns(conn, qid)
    if not camps:
        return None
    members: dict[str, list[int]] = defaultdict(list)
    for rid in texts:
        d = dedupe.get(rid)
        if d is not None and d["campaign_id"]:
            members[d["campaign_id"]].append(rid)
    t = Table(f"{slugify(qid)}-campaigns", f"{label}: campaign responses (the same text sent by many respondents)",
              ["Campaign", "Responses", "With words of their own"], ["text", "int", "int"])
    out = []
    # Each campaign is named by the phrase that sets its text apart from the others, chosen from the
    # published (redacted) text so that personal data can never be the name.
    public = [quoter.text(c["template"], limit=None) or "" for c in camps]
    from consult.redact import MARKER_PATTERN

    phrases = campaign_labels([MARKER_PATTERN.sub(".", t) for t in public])
    for i, (c, phrase) in enumerate(zip(camps, phrases), start=1):
        ids = sorted(members.get(c["id"], []))
        size = len(ids) or int(c["size"])
        additions = []
        for rid in ids:
            add = (dedupe[rid]["personal_addition"] or "").strip()
            if add:
                additions.append((rid, add))
        quotes: list[str] = []
        for rid, add in additions:
            if len(quotes) >= ADDITION_QUOTES:
                break
            if not _respondent_consents(resp_by_id, texts[rid]["respondent_id"]):
                continue
            full = texts[rid]["text"]
            rs = review.get(rid)
            if _withheld(rs):
                continue
            spans = _spans(rs["redactions_json"] if rs is not None else None)
            at = full.find(add)
            if at >= 0:
                spans = _shift_spans(spans, at, at + len(add))
            elif spans:
                continue  # the reviewer's marks cannot be placed on this text: do not publish it
            text = quoter.text(add, spans)
            if text and text not in quotes:
                quotes.append(text)
        name = f"Campaign {i}: “{phrase}”" if phrase.strip(" .") else f"Campaign {i}"
        anchor = f"{slugify(qid)}-campaign-{i}"
        t.rows.append([name, size, len(additions)])
        t.links.append(anchor)
        out.append({"name": name, "size": size, "template": quoter.text(c["template"], limit=None),
                    "additions": len(additions), "quotes": quotes, "anchor": anchor})
    tables.append(t)
    return {"items": out, "table": t, "responses": sum(c["size"] for c in out), "in_detail": CAMPAIGNS_IN_DETAIL}


def _non_substantive(
    conn: sqlite3.Connection, qid: str, label: str, texts: dict[int, sqlite3.Row], dedupe: dict[int, sqlite3.Row],
    tables: list[Table],
) -> dict[str, Any] | None:
    reasons: Counter[str] = Counter()
    for rid in texts:
        d = dedupe.get(rid)
        if d is not None and d["kind"] == NOTHING_SAID:
            reasons[(d["reason"] or "no reason recorded").strip() or "no reason recorded"] += 1
    coded = {rid for rid, codes in ws_codes.final_codes(conn, question_id=qid).items() if NON_SUBSTANTIVE in codes}
    for rid in sorted(coded):
        d = dedupe.get(rid)
        if rid in texts and (d is None or d["kind"] != NOTHING_SAID):
            reasons["coded as no substantive answer"] += 1
    if not reasons:
        return None
    total = sum(reasons.values())
    t = Table(f"{slugify(qid)}-non-substantive", f"{label}: answers with no substantive content, by reason",
              ["Reason", "Answers"], ["text", "int"],
              [[k, v] for k, v in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))])
    tables.append(t)
    return {"total": total, "table": t}


def _flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        out = []
        for k in sorted(value, key=str):
            out += _flatten(f"{prefix}.{k}" if prefix else str(k), value[k])
        return out
    return [(prefix, json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else value)]


def _run_settings(run: sqlite3.Row | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The settings a run was given and the effective settings it used (defaults included)."""
    from consult.settings import Settings

    try:
        stored = json.loads(run["settings_json"]) if run else {}
    except json.JSONDecodeError:
        stored = {}
    stored = stored if isinstance(stored, dict) else {}
    if "effective" in stored:
        return stored.get("given") or {}, stored["effective"]
    # A run recorded before effective settings were stored: only what it was given is known.
    try:
        effective = Settings.from_tables(stored).to_dict()
    except ConsultError:
        effective = {}
    return stored, effective


EVALUATION_FIGURES = (
    ("n_responses", "Answers compared"),
    ("micro_f1", "Micro F1"),
    ("macro_f1", "Macro F1"),
    ("exact_match", "Exact match"),
    ("mean_kappa", "Mean Cohen's kappa"),
    ("alpha_masi", "Krippendorff's alpha (MASI)"),
)


def _method(
    conn: sqlite3.Connection, review: dict[int, sqlite3.Row], dedupe: dict[int, sqlite3.Row],
    questions: list[dict[str, Any]],
) -> tuple[dict[str, Any], list[Table]]:
    tables: list[Table] = []
    run = ws_runs.latest_run(conn)
    given, effective = _run_settings(run)
    t_settings = Table("method-settings", "Settings of the analysis (anything not listed used its default)",
                       ["Setting", "Value"], ["text", "text"], [[k, v] for k, v in _flatten("", given)])
    given_dedupe = given.get("dedupe") if isinstance(given.get("dedupe"), dict) else {}
    t_dedupe_rules = Table("method-deduplication-rules", "Deduplication rules", ["Setting", "Value", "Source"],
                           ["text", "text", "text"])
    for k in sorted(effective.get("dedupe", {})):
        source = "set for this consultation" if k in given_dedupe else "default"
        for name, value in _flatten(k, effective["dedupe"][k]):
            t_dedupe_rules.rows.append([name, value, source])
    kinds = Counter(d["kind"] for d in dedupe.values())
    kind_names = [("unique", "Unique answers"), ("exact", "Exact copies of another answer"),
                  ("near", "Near copies of another answer"), ("campaign", "Campaign responses"),
                  (NOTHING_SAID, "No substantive answer")]
    t_kinds = Table("method-deduplication", "Free-text answers by deduplication outcome", ["Outcome", "Answers"],
                    ["text", "int"], [[name, kinds.get(k, 0)] for k, name in kind_names] if kinds else [])
    text_answers = ws_responses.count_answers(conn, with_text=True)
    current = [r for r in review.values() if not r["stale"]]
    reviewed = sum(1 for r in current if r["reviewed"])
    decided = sum(1 for r in current if r["decided"])
    flagged = sum(1 for r in current if r["quote"])
    marked = sum(1 for r in current if _spans(r["redactions_json"]))
    changed = len(review) - len(current)
    withdrawn_answers, withdrawn_respondents = ws_responses.withdrawn_counts(conn)
    t_review = Table("method-review", "Human review", ["Measure", "Answers"], ["text", "int"], [
        ["Free-text answers", text_answers],
        ["Answers read and confirmed by a reviewer", reviewed],
        ["Answers whose codes a reviewer decided", decided],
        ["Answers a reviewer chose as a possible quote", flagged],
        ["Answers where a reviewer marked personal data to remove", marked],
        ["Answers whose text changed since a reviewer worked on them (not quoted until reviewed again)", changed],
        ["Answers withdrawn from the input after review (kept for the audit trail, counted nowhere)",
         withdrawn_answers],
    ])
    t_eval = Table("method-agreement", "Agreement between the model's codes and people's codes",
                   ["Checked on", "Gold standard file"] + [name for _, name in EVALUATION_FIGURES],
                   ["text", "text"] + ["text"] * len(EVALUATION_FIGURES))
    for e in ws_runs.evaluations(conn):
        try:
            figs = json.loads(e["figures_json"])
        except json.JSONDecodeError:
            figs = {}
        figs = figs if isinstance(figs, dict) else {}
        row: list[Any] = [e["at"], Path(e["gold_file"]).name]
        for key, _ in EVALUATION_FIGURES:
            v = figs.get(key)
            row.append(f"{v:.3f}" if isinstance(v, float) else (str(v) if v is not None else None))
        t_eval.rows.append(row)
    models = EmbeddingCache(conn).models()
    coders = [describe_coder(v) for v in ws_codes.coder_versions(conn)]
    t_quality = Table("method-quality-check", "Quality check: the model's codes of answers nobody reviewed, against"
                      " people's blind coding of a random sample (95% intervals)",
                      ["Question", "Status", "Sample coded by people", "Precision", "Recall", "F1"],
                      ["text", "text", "text", "text", "text", "text"])
    for q in questions:
        if "status" not in q:
            continue
        qq = q.get("quality")
        if qq is None:
            t_quality.rows.append([q["label"], q["status"], "not coded against a codebook", None, None, None])
            continue
        figs = qq["figures"] or {}
        t_quality.rows.append([q["label"], q["status"], f"{qq['checked']:,} of {qq['sampled']:,}",
                               *(_interval(figs.get(k)) for k in ("precision", "recall", "f1"))])
    quality = ws_runs.settings(conn).quality
    tables += [t_settings, t_dedupe_rules, t_kinds, t_review, t_quality, t_eval]
    method = {
        "version": run["version"] if run else __version__,
        "input_hash": run["input_hash"] if run else None,
        "run_started": run["started"] if run else None,
        "embedding_models": models,
        "coding_models": coders,
        "settings": t_settings,
        "dedupe_rules": t_dedupe_rules,
        "dedupe": t_kinds,
        "review": t_review,
        "evaluations": t_eval,
        "reviewed": reviewed,
        "text_answers": text_answers,
        "withdrawn": {"answers": withdrawn_answers, "respondents": withdrawn_respondents},
        "quality": t_quality,
        "quality_bar": f"{METRIC_NAMES.get(quality.metric, quality.metric)} at least {quality.bar:g}",
        "quality_method": QUALITY_METHOD,
    }
    return method, tables


def _interval(i: Any) -> str | None:
    """An estimate with its interval, e.g. ``0.82 (0.78 to 0.86)``; None when there is none."""
    if i is None or math.isnan(i.estimate):
        return None
    return f"{i.estimate:.2f} ({i.lower:.2f} to {i.upper:.2f})"


def describe_coder(version: str) -> str:
    """A model version of the suggestions table, with what it means for a reader of the method annex."""
    parts = []
    if version.startswith("assign-"):
        parts.append("similarity to the codebook's descriptions and examples, and classifiers"
                     " learnt from the answers reviewers coded")
    if "+tune-" in version:
        parts.append("the language model fine-tuned on the reviewed answers")
    return f"{version} ({'; '.join(parts)})" if parts else version


# --- rendering -------------------------------------------------------------------------


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("consult", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = md_escape
    env.filters["plural"] = plural
    env.filters["num"] = lambda n: f"{n:,}"
    env.globals["md_table"] = md_table
    return env


def render_html(data: dict[str, Any]) -> str:
    """The summary as one self-contained, accessible HTML page."""
    return environment().get_template("summary.html.j2").render(**data)


# Inline Markdown syntax; parentheses only make links after brackets, which are escaped.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|~])")


def md_escape(text: Any) -> str:
    """Untrusted text as one line of plain Markdown text (no markup, no raw HTML, no govspeak)."""
    s = " ".join(str(text).split())
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    s = re.sub(r"^([-+=$%^@])", r"\\\1", s)  # would start a list, heading or govspeak block
    s = re.sub(r"^(\d+)([.)])(?=\s|$)", r"\1\\\2", s)  # would start an ordered list
    return s


def md_table(table: Table) -> str:
    """A Markdown pipe table with a bold caption line above it."""
    if not table.rows:
        return ""
    lines = [f"**{md_escape(table.caption)}**", ""]
    lines.append("| " + " | ".join(md_escape(c) for c in table.columns) + " |")
    lines.append("|" + "|".join("---:" if k != "text" else "---" for k in table.kinds) + "|")
    for row in table.display_rows():
        lines.append("| " + " | ".join(md_escape(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def render_markdown(data: dict[str, Any]) -> str:
    """The summary as plain Markdown for pasting into a publishing system."""
    env = environment()
    env.autoescape = False  # Markdown escaping is done by the ``md`` filter
    return env.get_template("summary.md.j2").render(**data)


def _sheet_names(tables: Sequence[Table]) -> list[str]:
    names: list[str] = []
    used: set[str] = set()
    for t in tables:
        base = re.sub(r"[\[\]:*?/\\']", "-", t.id)[:31] or "table"
        name, i = base, 2
        while name.casefold() in used:
            suffix = f"-{i}"
            name, i = base[: 31 - len(suffix)] + suffix, i + 1
        used.add(name.casefold())
        names.append(name)
    return names


def render_xlsx(data: dict[str, Any]) -> bytes:
    """Every table as a sheet of an XLSX workbook (byte-identical for the same data)."""
    from datetime import datetime

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    fixed = datetime(*XLSX_EPOCH)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "consult"
    wb.properties.title = f"Summary of responses: {data['consultation']['title']}"
    tables: list[Table] = data["tables"]
    for t, name in zip(tables, _sheet_names(tables)):
        ws = wb.create_sheet(name)
        ws.append([t.caption])
        ws["A1"].font = Font(bold=True)
        ws.append(t.columns)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in t.rows:
            ws.append([None] * len(row))
            r = ws.max_row
            for j, (v, k) in enumerate(zip(row, t.kinds), start=1):
                cell = ws.cell(row=r, column=j)
                cell.value = v
                if isinstance(v, str):
                    cell.data_type = "s"  # text is never a formula
                elif k == "pct" and v is not None:
                    cell.number_format = "0%"
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def _normalise_zip(raw: bytes) -> bytes:
    """The same zip with fixed timestamps and modified-time properties, so output is reproducible."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>1980-01-01T00:00:00Z\g<2>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=XLSX_EPOCH)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def render_csv(data: dict[str, Any]) -> dict[str, str]:
    """Every table as CSV text, keyed by file name."""
    files: dict[str, str] = {}
    for t in data["tables"]:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow([spreadsheet_safe(c) for c in t.export_header()])
        for row in t.export_rows():
            w.writerow([spreadsheet_safe(v) for v in row])
        name = f"{t.id}.csv"
        i = 2
        while name in files:
            name, i = f"{t.id}-{i}.csv", i + 1
        files[name] = buf.getvalue()
    return files


def write_summary(conn: sqlite3.Connection, path: str | Path, *, progress: Progress = SILENT) -> Path:
    """Render ``summary.html`` from the workspace."""
    path = Path(path)
    atomic_write_text(path, render_html(summary_data(conn, progress=progress)))
    return path


def render(
    outdir_or_conn: str | Path | sqlite3.Connection, fmt: str = "html", out: str | Path | None = None, *,
    final: bool = False,
) -> Path:
    """Render the summary of a workspace as ``html``, ``md``, ``xlsx`` or ``csv`` (a folder of files).

    By default the output goes beside ``consult.db``: ``summary.html``,
    ``summary.md``, ``summary.xlsx`` or the folder ``summary-csv/``. With
    ``final``, it refuses (writing nothing) while any question is still a draft.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt == "markdown":
        fmt = "md"
    if fmt not in FORMATS:
        raise ConsultError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if isinstance(outdir_or_conn, sqlite3.Connection):
        conn, close = outdir_or_conn, False
    else:
        conn, close = ws_open(outdir_or_conn), True
    try:
        target = Path(out) if out is not None else db_folder(conn) / DEFAULT_NAMES[fmt]
        data = summary_data(conn)
    finally:
        if close:
            conn.close()
    if final and data["draft"]:
        raise ConsultError(
            f"not final: {', '.join(data['draft'])} {'is' if len(data['draft']) == 1 else 'are'} still a draft (the"
            " quality check has not met its bar); code the quality-check answers in `consult review`, then render"
            " again (without --final for a draft)")
    if fmt == "html":
        atomic_write_text(target, render_html(data))
    elif fmt == "md":
        atomic_write_text(target, render_markdown(data))
    elif fmt == "xlsx":
        atomic_write_bytes(target, render_xlsx(data))
    else:
        if target.exists() and not target.is_dir():
            raise ConsultError("CSV output is a folder of files, but a file is in the way", file=target)
        files = render_csv(data)
        target.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            atomic_write_bytes(target / name, ("\ufeff" + text).encode("utf-8"))  # BOM: Excel reads UTF-8
        for old in sorted(target.glob("*.csv")):
            if old.name not in files:
                old.unlink()  # a table that no longer exists
    return target


__all__ = [
    "FORMATS",
    "Table",
    "atomic_write_bytes",
    "atomic_write_text",
    "md_escape",
    "render",
    "render_csv",
    "render_html",
    "render_markdown",
    "render_xlsx",
    "summary_data",
    "trim_quote",
    "write_summary",
]
