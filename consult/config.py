"""The consultation config: which columns hold which questions and respondent fields.

A config is TOML (``consultation.toml``) or YAML (``consultation.yaml``); the
format is described in ``docs/formats.md``. Unknown keys are refused with a
did-you-mean, except inside the stage tables ([dedupe], [themes], ...), which
are passed through in ``Config.settings`` for the stages to check.
``consult.infer.draft_config`` drafts a config from a data file.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from consult.errors import ConsultError
from consult.settings import STAGES
from consult.model import Question

CONFIG_NAMES = ("consultation.toml", "consultation.yaml", "consultation.yml")
CONFIG_SUFFIXES = (".toml", ".yaml", ".yml")
DATA_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".jsonl", ".ndjson")
KINDS = ("closed", "open", "hybrid")
LAYOUTS = ("wide", "long")
TYPES = ("individual", "organisation", "unknown")  # "unknown": a value that says neither
ROW_ID = "@row"  # [respondent] id: number respondents by their row in the file

# The keys each part of the config may hold; anything else is a typo to report.
KEYS: dict[str, tuple[str, ...]] = {
    "consultation": ("id", "title", "organisation", "opened", "closed", "how"),
    "data": ("file", "layout", "encoding", "sheet", "header_rows", "respondent_column", "question_column",
             "answer_column"),
    "respondent": ("id", "type", "organisation", "group", "consent", "attributes", "type_values", "consent_values"),
    "questions": ("id", "text", "kind", "closed_column", "text_column", "options"),
}
# Tables the stages read (checked by the pipeline, not here).
STAGE_TABLES = tuple(STAGES)  # checked by consult.settings


@dataclass
class RespondentFields:
    """Columns holding respondent fields (``None`` = not in the data)."""

    id: str | None = None
    type: str | None = None
    organisation: str | None = None
    group: str | None = None
    consent: str | None = None
    attributes: list[str] = field(default_factory=list)
    type_values: dict[str, str] = field(default_factory=dict)  # raw value -> individual | organisation | unknown
    consent_values: dict[str, bool] = field(default_factory=dict)  # raw value -> may publish


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
    header_rows: int = 1  # rows at the top before the data; the first names the columns
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


def is_config_file(path: str | Path) -> bool:
    """Whether ``path`` names a config file by its suffix (.toml, .yaml, .yml)."""
    return Path(path).suffix.lower() in CONFIG_SUFFIXES


def find_config(folder: str | Path) -> Path:
    """The config file in a responses folder (or the path itself if it is a config file).

    Anything else (a data file, some other file, a folder without a config) is a
    one-line error saying what to give instead.
    """
    p = Path(folder)
    if p.is_file():
        if is_config_file(p):
            return p
        if p.suffix.lower() in DATA_SUFFIXES:
            raise ConsultError(
                "is a data file, not a consultation config; draft a config for it with "
                f"`consult init {p}`, or give the folder holding consultation.toml", file=p,
            )
        raise ConsultError(
            "is neither a consultation config (.toml, .yaml) nor a data file (CSV, XLSX, JSONL); "
            "give the folder holding consultation.toml", file=p,
        )
    if not p.exists():
        raise ConsultError("no such file or folder", file=p)
    if not p.is_dir():
        raise ConsultError("is not a file or a folder", file=p)
    for name in CONFIG_NAMES:
        if (p / name).is_file():
            return p / name
    data = sorted(f.name for f in p.iterdir() if f.suffix.lower() in DATA_SUFFIXES and f.is_file())
    hint = f"`consult init {p / data[0]}`" if data else "`consult init DATAFILE`"
    raise ConsultError(f"no config file ({' or '.join(CONFIG_NAMES)}); draft one with {hint}", file=p)


def config_beside(data_file: str | Path) -> Path | None:
    """The config in a data file's folder that reads that very file, if there is one.

    So ``consult analyse responses/x/responses.csv`` can use the hand-written
    config beside the data instead of drafting a new one. A config there that
    does not parse is an error (it was probably meant for this file).
    """
    data = Path(data_file)
    for name in CONFIG_NAMES:
        cand = data.parent / name
        if cand.is_file():
            table = _parse(cand)[0].get("data")
            file = table.get("file") if isinstance(table, dict) else None
            if isinstance(file, str) and (cand.parent / Path(file).expanduser()).resolve() == data.resolve():
                return cand
    return None


def _parse(path: Path) -> tuple[dict[str, Any], str]:
    from consult.files import decode

    try:
        text = decode(path.read_bytes(), path)[0]
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
    return data, text


def _line_of(text: str, key: str) -> int | None:
    """The line on which ``key`` is first set or opens a table (TOML or YAML), if found."""
    k = re.escape(key)
    m = re.search(rf"^[ \t-]*(?:\[\[?[ \t]*{k}[ \t]*\]|[\"']?{k}[\"']?[ \t]*[=:])", text, re.M)
    return text.count("\n", 0, m.start()) + 1 if m else None


def _unknown(key: str, known: tuple[str, ...], where: str, path: Path, text: str) -> ConsultError:
    """The error for a key that is not in ``known``, with a did-you-mean."""
    home = [t for t, keys in KEYS.items() if key in keys and keys is not known]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if home:
        hint = f" (it belongs in [{home[0]}])" if home[0] != "questions" else " (it belongs in [[questions]])"
    elif close:
        hint = f" (did you mean {close[0]!r}?)"
    else:
        hint = f"; known keys: {', '.join(known)}"
    return ConsultError(f"{where}: unknown key {key!r}{hint}", file=path, row=_line_of(text, key))


def _check_keys(data: dict[str, Any], path: Path, text: str) -> None:
    top = tuple(KEYS) + STAGE_TABLES
    for key in data:
        if key not in top:
            close = difflib.get_close_matches(str(key), top, n=1, cutoff=0.6)
            hint = f" (did you mean [{close[0]}]?)" if close else f"; known tables: {', '.join(top)}"
            what = f"table [{key}]" if isinstance(data[key], (dict, list)) else f"key {key!r} outside any table"
            raise ConsultError(f"unknown {what}{hint}", file=path, row=_line_of(text, str(key)))
    for table in ("consultation", "data", "respondent"):
        value = data.get(table)
        if isinstance(value, dict):
            for key in value:
                if key not in KEYS[table]:
                    raise _unknown(str(key), KEYS[table], f"[{table}]", path, text)
    qs = data.get("questions")
    if isinstance(qs, list):
        for n, q in enumerate(qs, start=1):
            if isinstance(q, dict):
                for key in q:
                    if key not in KEYS["questions"]:
                        qid = q.get("id")
                        where = f"question {qid!r}" if isinstance(qid, str) else f"question {n}"
                        raise _unknown(str(key), KEYS["questions"], where, path, text)


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
    data, text = _parse(path)
    _check_keys(data, path, text)
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
        data_file=(path.parent / Path(str(file)).expanduser()),  # an absolute path stays as it is
        layout=layout,
        encoding=_str(data_t, "encoding", path, "[data]") or "auto",
        sheet=_str(data_t, "sheet", path, "[data]"),
    )
    hr = data_t.get("header_rows", 1)
    if isinstance(hr, bool) or not isinstance(hr, int) or not 1 <= hr <= 20:
        raise ConsultError(f"[data]: header_rows must be a whole number from 1 to 20, not {hr!r}", file=path)
    cfg.header_rows = hr
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
        if canon not in TYPES:
            raise ConsultError(
                f"[respondent.type_values]: {raw!r} must map to {', '.join(TYPES[:-1])} or {TYPES[-1]}, not {canon!r}",
                file=path,
            )
    cv = r.get("consent_values", {})
    if not isinstance(cv, dict):
        raise ConsultError("[respondent.consent_values] must be a table", file=path)
    consent_values: dict[str, bool] = {}
    for raw, may in cv.items():
        if isinstance(may, str) and may.lower() in ("yes", "no"):
            may = may.lower() == "yes"
        if not isinstance(may, bool):
            raise ConsultError(f"[respondent.consent_values]: {raw!r} must map to yes or no, not {may!r}", file=path)
        consent_values[str(raw)] = may
    cfg.respondent = RespondentFields(
        id=_str(r, "id", path, "[respondent]", required=(layout == "wide")),
        type=_str(r, "type", path, "[respondent]"),
        organisation=_str(r, "organisation", path, "[respondent]"),
        group=_str(r, "group", path, "[respondent]"),
        consent=_str(r, "consent", path, "[respondent]"),
        attributes=list(attrs),
        type_values={str(k): str(v) for k, v in tv.items()},
        consent_values=consent_values,
    )
    if cfg.respondent.id == ROW_ID and layout == "long":
        raise ConsultError(f"[respondent]: id = {ROW_ID!r} is for the wide layout; the long layout names "
                           "respondent_column in [data]", file=path)

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
    for k in STAGE_TABLES:
        if k in data and not isinstance(data[k], dict):
            raise ConsultError(f"[{k}] must be a table of settings", file=path)
    cfg.settings = {k: v for k, v in data.items() if k in STAGE_TABLES}
    return cfg
