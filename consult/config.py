"""The consultation config: which columns hold which questions and respondent fields.

A config is TOML (``consultation.toml``) or YAML (``consultation.yaml``); the
format is described in ``docs/formats.md``. ``draft_config`` writes a first
draft from a data file's header for an analyst to edit.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from consult.errors import ConsultError
from consult.model import Question

CONFIG_NAMES = ("consultation.toml", "consultation.yaml", "consultation.yml")
KINDS = ("closed", "open", "hybrid")
LAYOUTS = ("wide", "long")


@dataclass
class RespondentFields:
    """Columns holding respondent fields (``None`` = not in the data)."""

    id: str | None = None
    type: str | None = None
    organisation: str | None = None
    group: str | None = None
    consent: str | None = None
    attributes: list[str] = field(default_factory=list)
    type_values: dict[str, str] = field(default_factory=dict)


@dataclass
class Config:
    """A parsed, validated consultation config."""

    path: Path
    id: str
    title: str
    data_file: Path
    layout: str = "wide"
    encoding: str = "auto"
    sheet: str | None = None
    respondent_column: str | None = None  # long layout
    question_column: str | None = None
    answer_column: str | None = None
    respondent: RespondentFields = field(default_factory=RespondentFields)
    questions: list[Question] = field(default_factory=list)
    organisation: str | None = None
    opened: str | None = None
    closed: str | None = None
    how: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # optional [dedupe], [themes], ... tables


def find_config(folder: str | Path) -> Path:
    """The config file in a responses folder (or the path itself if it is a file)."""
    p = Path(folder)
    if p.is_file():
        return p
    if not p.exists():
        raise ConsultError("no such file or folder", file=p)
    for name in CONFIG_NAMES:
        if (p / name).is_file():
            return p / name
    raise ConsultError(
        f"no config file ({' or '.join(CONFIG_NAMES)}); draft one with `consult init DATAFILE`", file=p
    )


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ConsultError(f"cannot read config: {e.strerror}", file=path) from None
    try:
        if path.suffix.lower() == ".toml":
            data = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except tomllib.TOMLDecodeError as e:
        raise ConsultError(f"config does not parse: {e}", file=path) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ConsultError(f"config does not parse: {problem}", file=path, row=row) from None
    if not isinstance(data, dict):
        raise ConsultError("config must be a table of settings", file=path)
    return data


def _table(data: dict[str, Any], key: str, path: Path, required: bool = False) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            raise ConsultError(f"missing [{key}] section", file=path)
        return {}
    if not isinstance(value, dict):
        raise ConsultError(f"[{key}] must be a table", file=path)
    return value


def _str(table: dict[str, Any], key: str, path: Path, where: str, required: bool = False) -> str | None:
    value = table.get(key)
    if value is None or value == "":
        if required:
            raise ConsultError(f"{where}: missing '{key}'", file=path)
        return None
    if not isinstance(value, (str, int)):
        raise ConsultError(f"{where}: '{key}' must be text", file=path)
    return str(value)


def load_config(path: str | Path) -> Config:
    """Read and validate a consultation config file."""
    path = find_config(path)
    data = _parse(path)
    meta = _table(data, "consultation", path, required=True)
    cid = _str(meta, "id", path, "[consultation]", required=True)
    assert cid is not None
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", cid):
        raise ConsultError(f"[consultation]: id {cid!r} must be letters, digits, '.', '_' or '-'", file=path)
    data_t = _table(data, "data", path, required=True)
    file = _str(data_t, "file", path, "[data]", required=True)
    layout = _str(data_t, "layout", path, "[data]") or "wide"
    if layout not in LAYOUTS:
        raise ConsultError(f"[data]: layout must be one of {', '.join(LAYOUTS)}, not {layout!r}", file=path)
    cfg = Config(
        path=path,
        id=cid,
        title=_str(meta, "title", path, "[consultation]") or cid,
        organisation=_str(meta, "organisation", path, "[consultation]"),
        opened=_str(meta, "opened", path, "[consultation]"),
        closed=_str(meta, "closed", path, "[consultation]"),
        how=_str(meta, "how", path, "[consultation]"),
        data_file=(path.parent / str(file)),
        layout=layout,
        encoding=_str(data_t, "encoding", path, "[data]") or "auto",
        sheet=_str(data_t, "sheet", path, "[data]"),
    )
    if layout == "long":
        for key in ("respondent_column", "question_column", "answer_column"):
            setattr(cfg, key, _str(data_t, key, path, "[data]", required=True))

    r = _table(data, "respondent", path)
    attrs = r.get("attributes", [])
    if not isinstance(attrs, list) or not all(isinstance(a, str) for a in attrs):
        raise ConsultError("[respondent]: attributes must be a list of column names", file=path)
    tv = r.get("type_values", {})
    if not isinstance(tv, dict):
        raise ConsultError("[respondent.type_values] must be a table", file=path)
    for raw, canon in tv.items():
        if canon not in ("individual", "organisation"):
            raise ConsultError(
                f"[respondent.type_values]: {raw!r} must map to individual or organisation, not {canon!r}", file=path
            )
    cfg.respondent = RespondentFields(
        id=_str(r, "id", path, "[respondent]", required=(layout == "wide")),
        type=_str(r, "type", path, "[respondent]"),
        organisation=_str(r, "organisation", path, "[respondent]"),
        group=_str(r, "group", path, "[respondent]"),
        consent=_str(r, "consent", path, "[respondent]"),
        attributes=list(attrs),
        type_values={str(k): str(v) for k, v in tv.items()},
    )

    qs = data.get("questions")
    if not isinstance(qs, list) or not qs:
        raise ConsultError("no [[questions]] given", file=path)
    seen: set[str] = set()
    for n, q in enumerate(qs, start=1):
        where = f"question {n}"
        if not isinstance(q, dict):
            raise ConsultError(f"{where} must be a table", file=path)
        qid = _str(q, "id", path, where, required=True)
        assert qid is not None
        where = f"question {qid!r}"
        if qid in seen:
            raise ConsultError(f"{where}: duplicate question id", file=path)
        seen.add(qid)
        kind = _str(q, "kind", path, where) or "open"
        if kind not in KINDS:
            raise ConsultError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}", file=path)
        closed_col = _str(q, "closed_column", path, where, required=kind in ("closed", "hybrid"))
        text_col = _str(q, "text_column", path, where, required=kind in ("open", "hybrid"))
        options = q.get("options", [])
        if not isinstance(options, list):
            raise ConsultError(f"{where}: options must be a list", file=path)
        cfg.questions.append(
            Question(
                id=qid,
                text=_str(q, "text", path, where) or qid,
                kind=kind,  # type: ignore[arg-type]
                options=tuple(str(o) for o in options),
                closed_column=closed_col if kind != "open" else None,
                text_column=text_col if kind != "closed" else None,
            )
        )
    cfg.settings = {
        k: v for k, v in data.items() if k not in ("consultation", "data", "respondent", "questions") and isinstance(v, dict)
    }
    return cfg


# --- drafting a config from a header -------------------------------------------------

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
