"""Column roles inferred from a data file, and a drafted consultation config."""

from __future__ import annotations

import re
from pathlib import Path

_FIELD_HINTS = {
    "id": re.compile(r"\b(respondent|response)\s*(id|number|no)\b|^id$", re.I),
    "type": re.compile(r"responding as|individual or (an )?organi[sz]ation|on behalf", re.I),
    "organisation": re.compile(r"organi[sz]ation('s)? name|name of (your )?organi[sz]ation", re.I),
    "group": re.compile(r"best describes|which of (these|the following)|role|capacity", re.I),
    "consent": re.compile(r"publish|confidential|consent", re.I),
}


_OPEN_HEADER = re.compile(
    r"\bwhy\b|explain|comment|reason|what else|describe|tell us|please give|views|suggest|anything else", re.I
)


def _slug(text: str, n: int) -> str:
    m = re.match(r"\s*(?:q(?:uestion)?\s*)?(\d+)", text, re.I)
    if m:
        return f"q{m.group(1)}"
    words = re.findall(r"[a-z0-9]+", text.lower())[:4]
    return "-".join(words) or f"q{n}"


def classify_columns(columns: list[str], rows: list[dict[str, str]]) -> dict[str, str]:
    """Tell free-text columns from closed ones by how varied their values are.

    A column whose values are long, or mostly distinct across many rows, is
    ``open``; one drawing on a few repeated short values is ``closed``. With few
    rows, a header asking "why?" or for comments tips the balance.
    """
    kinds: dict[str, str] = {}
    for col in columns:
        values = [(r.get(col) or "").strip() for r in rows]
        values = [v for v in values if v]
        if not values:
            kinds[col] = "open" if _OPEN_HEADER.search(col) else "closed"
            continue
        distinct = len(set(values))
        mean_words = sum(len(v.split()) for v in values) / len(values)
        varied = len(values) >= 20 and distinct / len(values) > 0.5
        kinds[col] = "open" if varied or mean_words >= 6 or _OPEN_HEADER.search(col) else "closed"
    return kinds


def draft_config(data_file: str | Path) -> str:
    """Draft a TOML config for a wide data file, for an analyst to edit."""
    from consult.load import read_table

    path = Path(data_file)
    table = read_table(path)
    columns = table.columns
    rows = table.rows[:2000]
    kinds = classify_columns(columns, rows)

    fields: dict[str, str] = {}
    for col in columns:
        for key, pat in _FIELD_HINTS.items():
            if key not in fields and pat.search(col):
                fields[key] = col
                break
    used = set(fields.values())
    question_cols = [c for c in columns if c not in used]

    def q(s: str) -> str:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    out = [
        "# Drafted by `consult init` from the header of " + path.name + ". Check every line.",
        "",
        "[consultation]",
        f"id = {q(re.sub(r'[^A-Za-z0-9._-]+', '-', path.stem).strip('-') or 'consultation')}",
        'title = "TODO: the consultation title"',
        'organisation = "TODO: the department"',
        "",
        "[data]",
        f"file = {q(path.name)}",
        'layout = "wide"',
        "",
        "[respondent]",
    ]
    for key in ("id", "type", "organisation", "group", "consent"):
        if key in fields:
            out.append(f"{key} = {q(fields[key])}")
        else:
            out.append(f'# {key} = "COLUMN"')
    out.append("attributes = []")
    out.append("")

    # Pair a closed column with the free-text column right after it ("Do you agree?" + "Why?").
    n = 0
    i = 0
    ids: set[str] = set()
    while i < len(question_cols):
        col = question_cols[i]
        n += 1
        nxt = question_cols[i + 1] if i + 1 < len(question_cols) else None
        out.append("[[questions]]")
        qid = _slug(col, n)
        while qid in ids:
            qid += "b"
        ids.add(qid)
        if kinds[col] == "closed" and nxt is not None and kinds[nxt] == "open":
            options = sorted({(r.get(col) or "").strip() for r in rows} - {""})
            out += [
                f"id = {q(qid)}",
                f"text = {q(col)}",
                'kind = "hybrid"',
                f"closed_column = {q(col)}",
                f"text_column = {q(nxt)}",
                "options = [" + ", ".join(q(o) for o in options) + "]",
            ]
            i += 2
        elif kinds[col] == "closed":
            options = sorted({(r.get(col) or "").strip() for r in rows} - {""})
            out += [
                f"id = {q(qid)}",
                f"text = {q(col)}",
                'kind = "closed"',
                f"closed_column = {q(col)}",
                "options = [" + ", ".join(q(o) for o in options) + "]",
            ]
            i += 1
        else:
            out += [f"id = {q(qid)}", f"text = {q(col)}", 'kind = "open"', f"text_column = {q(col)}"]
            i += 1
        out.append("")
    return "\n".join(out)
