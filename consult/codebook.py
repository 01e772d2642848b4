"""Codebooks: the codes for one question, their validation, and import/export.

A codebook lives in ``codebook/<consultation>/<question>.yaml`` (see
docs/formats.md). It can also be imported from / exported to

- a CSV with columns ``code, group, description, examples`` (``group`` becomes a
  parent code; an optional ``id`` column keeps ids stable across a round trip);
- a REFI-QDA Codebook Exchange file (``.qdc``, namespace
  ``urn:QDA-XML:codebook:1.0``) as read and written by NVivo, ATLAS.ti, MAXQDA.

Validation policy: every problem is a :class:`~consult.errors.ConsultError`
naming the file and the code (position, id and YAML line). Unknown keys are an
**error**, not a warning: a misspelt ``parnet:`` would otherwise silently drop
the hierarchy.

What a ``.qdc`` cannot carry natively: code ids, examples and counter-examples.
They are written into the code's ``Description`` after the description proper
(``Examples:`` / ``Counter-examples:`` lists and a ``Code id:`` line), so a
consult → qdc → consult round trip keeps id, label, description, examples,
counter-examples, parent and colour. The codebook ``title`` is not carried, and
``isCodable`` is always written as ``true`` (every consult code can be assigned).
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import json
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from consult.errors import ConsultError
from consult.files import atomic_write_text, read_text

__all__ = [
    "BUILTIN_CODES",
    "NON_SUBSTANTIVE",
    "OTHER",
    "Code",
    "Codebook",
    "QDC_NAMESPACE",
    "load_codebook",
    "load_codebooks",
    "parse_examples",
    "read_codebook_csv",
    "read_qdc",
    "save_codebook",
    "slugify",
    "write_codebook_csv",
    "write_qdc",
]

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
COLOUR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
QDC_NAMESPACE = "urn:QDA-XML:codebook:1.0"
CSV_COLUMNS = ("code", "group", "description", "examples")

CODE_KEYS = ("id", "label", "description", "examples", "counter_examples", "parent", "colour")
CODEBOOK_KEYS = ("question", "title", "codes")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Code:
    """One code: a stable ``id`` (never changes), a human ``label`` and its definition."""

    id: str
    label: str
    description: str = ""
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    parent: str | None = None
    colour: str | None = None
    builtin: bool = False

    def __post_init__(self) -> None:
        # Accept lists from callers; keep the dataclass hashable and immutable.
        object.__setattr__(self, "examples", tuple(self.examples))
        object.__setattr__(self, "counter_examples", tuple(self.counter_examples))

    def to_dict(self) -> dict[str, Any]:
        """The code as written in YAML: empty optional fields are left out."""
        out: dict[str, Any] = {"id": self.id, "label": self.label}
        if self.description:
            out["description"] = self.description
        if self.examples:
            out["examples"] = list(self.examples)
        if self.counter_examples:
            out["counter_examples"] = list(self.counter_examples)
        if self.parent is not None:
            out["parent"] = self.parent
        if self.colour is not None:
            out["colour"] = self.colour
        return out


# The two codes every codebook has.
OTHER = "other"
NON_SUBSTANTIVE = "non-substantive"

BUILTIN_CODES: tuple[Code, ...] = (
    Code(OTHER, "Other", "The answer is substantive but fits none of the other codes.", builtin=True),
    Code(
        NON_SUBSTANTIVE,
        "No substantive answer",
        "Blank, 'no comment', 'see above' and other answers that say nothing on the question.",
        builtin=True,
    ),
)


@dataclass(frozen=True)
class Codebook:
    """The codes of one question, in file order, with the built-in codes appended.

    Constructing a Codebook validates it (ids, labels, parents, cycles, colours)
    and raises :class:`ConsultError` on the first problem.
    """

    question: str
    codes: tuple[Code, ...]
    title: str | None = None
    _index: dict[str, Code] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        codes = _with_builtins(tuple(self.codes))
        object.__setattr__(self, "codes", codes)
        _validate_codes(codes, source=None)
        object.__setattr__(self, "_index", {c.id: c for c in codes})

    # lookups ---------------------------------------------------------------
    def __iter__(self) -> Iterator[Code]:
        return iter(self.codes)

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code_id: object) -> bool:
        return code_id in self._index

    def __getitem__(self, code_id: str) -> Code:
        try:
            return self._index[code_id]
        except KeyError:
            raise KeyError(f"no code with id {code_id!r} in codebook {self.question!r}") from None

    def get(self, code_id: str, default: Code | None = None) -> Code | None:
        """The code with this id, or ``default``."""
        return self._index.get(code_id, default)

    @property
    def ids(self) -> tuple[str, ...]:
        """All code ids in file order (built-ins last)."""
        return tuple(c.id for c in self.codes)

    def children(self, code_id: str | None) -> tuple[Code, ...]:
        """Direct children of ``code_id`` in file order (``None``: the top-level codes)."""
        if code_id is not None and code_id not in self._index:
            raise KeyError(f"no code with id {code_id!r} in codebook {self.question!r}")
        return tuple(c for c in self.codes if c.parent == code_id)

    def roots(self) -> tuple[Code, ...]:
        """Top-level codes (no parent) in file order."""
        return self.children(None)

    def ancestors(self, code_id: str) -> tuple[Code, ...]:
        """Parent, grandparent, ... of ``code_id``."""
        out = []
        parent = self[code_id].parent
        while parent is not None:
            code = self[parent]
            out.append(code)
            parent = code.parent
        return tuple(out)

    def leaves(self) -> tuple[Code, ...]:
        """Codes without children, in file order."""
        parents = {c.parent for c in self.codes}
        return tuple(c for c in self.codes if c.id not in parents)

    def by_label(self, label: str) -> Code | None:
        """The first code whose label matches (case and surrounding space ignored)."""
        key = _label_key(label)
        for code in self.codes:
            if _label_key(code.label) == key:
                return code
        return None

    # edits (return new codebooks) -------------------------------------------
    def rename(self, code_id: str, label: str) -> Codebook:
        """A copy with one code relabelled; its id (and every reference to it) is unchanged."""
        self[code_id]
        codes = tuple(replace(c, label=label) if c.id == code_id else c for c in self.codes)
        return replace(self, codes=codes)

    # dict form --------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The codebook as written in YAML (auto-added built-in codes are left out)."""
        out: dict[str, Any] = {"question": self.question}
        if self.title is not None:
            out["title"] = self.title
        out["codes"] = [c.to_dict() for c in self.codes if not c.builtin]
        return out

    @classmethod
    def from_dict(
        cls,
        data: Any,
        *,
        source: str | Path | None = None,
        question: str | None = None,
        _lines: list[int | None] | None = None,
    ) -> Codebook:
        """Build and validate a codebook from its YAML structure.

        ``question`` is used when the data has no ``question`` key; ``source`` names
        the file in error messages.
        """
        if not isinstance(data, Mapping):
            raise ConsultError("a codebook must be a mapping with 'question' and 'codes'", file=source)
        unknown = [k for k in data if k not in CODEBOOK_KEYS]
        if unknown:
            raise ConsultError(
                f"unknown key {str(unknown[0])!r} in codebook (allowed: {', '.join(CODEBOOK_KEYS)})",
                file=source,
            )
        q = data.get("question", question)
        if q is None or not str(q).strip():
            raise ConsultError("codebook has no 'question'", file=source)
        title = data.get("title")
        if title is not None and not isinstance(title, str):
            raise ConsultError("'title' must be text", file=source)
        raw_codes = data.get("codes")
        if raw_codes is None:
            raw_codes = []
        if not isinstance(raw_codes, list):
            raise ConsultError("'codes' must be a list of codes", file=source)
        codes = []
        for pos, raw in enumerate(raw_codes, start=1):
            line = _lines[pos - 1] if _lines and pos - 1 < len(_lines) else None
            codes.append(_code_from_dict(raw, _where(pos, raw, line), source))
        _validate_codes(_with_builtins(tuple(codes)), source=source, lines=_lines)
        return cls(question=str(q).strip(), codes=tuple(codes), title=title)


def _with_builtins(codes: tuple[Code, ...]) -> tuple[Code, ...]:
    present = {c.id for c in codes}
    return codes + tuple(b for b in BUILTIN_CODES if b.id not in present)


def _label_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def _where(pos: int, raw: Any, line: int | None) -> str:
    parts = [f"code {pos}"]
    inner = []
    if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
        inner.append(f"id {raw['id']!r}")
    if line is not None:
        inner.append(f"line {line}")
    if inner:
        parts.append(f"({', '.join(inner)})")
    return " ".join(parts)


def _text_list(value: Any, key: str, where: str, source: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConsultError(f"{where}: '{key}' must be a list of texts", file=source)
    out = []
    for item in value:
        if isinstance(item, (dict, list)) or item is None:
            raise ConsultError(f"{where}: '{key}' must be a list of texts", file=source)
        out.append(str(item))
    return tuple(out)


def _code_from_dict(raw: Any, where: str, source: Any) -> Code:
    if not isinstance(raw, Mapping):
        raise ConsultError(f"{where}: a code must be a mapping with 'id' and 'label'", file=source)
    unknown = [k for k in raw if k not in CODE_KEYS]
    if unknown:
        raise ConsultError(
            f"{where}: unknown key {str(unknown[0])!r} (allowed: {', '.join(CODE_KEYS)})", file=source
        )
    if "id" not in raw or raw["id"] is None:
        raise ConsultError(f"{where}: missing 'id'", file=source)
    label = raw.get("label")
    description = raw.get("description") or ""
    for key, value in (("label", label), ("description", description)):
        if value is not None and not isinstance(value, (str, int, float)):
            raise ConsultError(f"{where}: '{key}' must be text", file=source)
    parent = raw.get("parent")
    colour = raw.get("colour")
    return Code(
        id=str(raw["id"]),
        label="" if label is None else str(label),
        description=str(description),
        examples=_text_list(raw.get("examples"), "examples", where, source),
        counter_examples=_text_list(raw.get("counter_examples"), "counter_examples", where, source),
        parent=None if parent is None else str(parent),
        colour=None if colour is None else str(colour),
    )


def _validate_codes(
    codes: tuple[Code, ...], *, source: Any, lines: list[int | None] | None = None
) -> None:
    """Raise ConsultError for the first invalid id, label, colour, parent or cycle."""

    def where(pos: int, code: Code) -> str:
        line = lines[pos - 1] if lines and pos - 1 < len(lines) else None
        extra = f", line {line}" if line is not None else ""
        return f"code {pos} (id {code.id!r}{extra})"

    seen: dict[str, int] = {}
    for pos, code in enumerate(codes, start=1):
        if not ID_PATTERN.match(code.id):
            raise ConsultError(
                f"{where(pos, code)}: invalid id; use lower-case letters, digits and single hyphens "
                "(e.g. 'opt-out-support')",
                file=source,
            )
        if code.id in seen:
            raise ConsultError(
                f"{where(pos, code)}: duplicate id, already used by code {seen[code.id]}", file=source
            )
        seen[code.id] = pos
        if not code.label.strip():
            raise ConsultError(f"{where(pos, code)}: empty label", file=source)
        if code.colour is not None and not COLOUR_PATTERN.match(code.colour):
            raise ConsultError(
                f"{where(pos, code)}: colour {code.colour!r} is not of the form '#rrggbb'", file=source
            )
    for pos, code in enumerate(codes, start=1):
        if code.parent is not None and code.parent not in seen:
            raise ConsultError(f"{where(pos, code)}: unknown parent {code.parent!r}", file=source)
    parents = {c.id: c.parent for c in codes}
    for pos, code in enumerate(codes, start=1):
        path = [code.id]
        current = code.parent
        while current is not None:
            if current in path:
                cycle = " -> ".join(path[path.index(current):] + [current])
                raise ConsultError(f"{where(pos, code)}: parent cycle {cycle}", file=source)
            path.append(current)
            current = parents[current]


# --------------------------------------------------------------------------- YAML


def codebook_folder(config_path: str | Path, consultation_id: str, folder: str | None = None) -> Path:
    """Where a consultation's codebooks live: the ``[codebook] folder`` setting (relative to the config),
    else ``codebook/<consultation id>/`` in the config's folder or the nearest folder above it."""
    config_dir = Path(config_path).parent
    if folder:
        return (config_dir / folder).resolve()
    for base in [config_dir, *config_dir.parents]:
        candidate = base / "codebook" / consultation_id
        if candidate.is_dir():
            return candidate
    return config_dir / "codebook"


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate one codebook YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConsultError("codebook file not found", file=path) from None
    except UnicodeDecodeError as exc:
        raise ConsultError(f"codebook is not UTF-8 text ({exc.reason})", file=path) from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConsultError(f"invalid YAML{at}: {problem}", file=path) from None
    if data is None:
        data = {}
    return Codebook.from_dict(data, source=path, question=path.stem, _lines=_code_lines(node))


def _code_lines(node: Any) -> list[int | None] | None:
    """1-based YAML line of each item of the top-level ``codes`` list."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "codes" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return None


def dump_codebook(codebook: Codebook) -> str:
    """The codebook as deterministic YAML text (what :func:`save_codebook` writes)."""
    return yaml.safe_dump(
        codebook.to_dict(), sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )


def save_codebook(codebook: Codebook, path: str | Path) -> None:
    """Write the codebook as YAML, atomically (temp file then rename)."""
    atomic_write_text(Path(path), dump_codebook(codebook))


# --------------------------------------------------------------------------- writing edits back


class CodebookFileChanged(ConsultError):
    """The codebook file is not what the workspace last read or wrote: someone changed it meanwhile."""


def file_sha256(path: str | Path) -> str | None:
    """SHA-256 of a file's bytes; None when there is no such file."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def check_unchanged(path: Path, expected_sha256: str | None) -> None:
    """Refuse (:class:`CodebookFileChanged`) when the file's bytes are no longer ``expected_sha256``."""
    if file_sha256(path) != expected_sha256:
        raise CodebookFileChanged(
            f"{path} changed since the workspace last read it (edited by hand?), so nothing was saved; run "
            "`consult analyse` to bring that change into the workspace, then make your edit again")


def write_codebook_file(path: str | Path, book: Codebook, *, expected_sha256: str | None) -> str:
    """Write ``book`` over the codebook file at ``path``, atomically; return the new file's SHA-256.

    Refuses (:class:`CodebookFileChanged`) when the file's bytes are no longer ``expected_sha256`` (what
    the workspace last read or wrote). The file's comments, key order, quoting and everything but the
    changed codes are kept (ruamel.yaml round trip); when that is not possible the codebook is
    written afresh (:func:`dump_codebook`), keeping its title. What is written always reads back as
    ``book``.
    """
    path = Path(path)
    check_unchanged(path, expected_sha256)
    old = path.read_text(encoding="utf-8-sig") if path.is_file() else None
    text = _round_trip(old, book) if old is not None else None
    if text is None or not _reads_as(text, book):
        title = book.title
        if title is None and old is not None:
            try:
                data = yaml.safe_load(old)
            except yaml.YAMLError:
                data = None
            title = data.get("title") if isinstance(data, dict) and isinstance(data.get("title"), str) else None
        text = dump_codebook(replace(book, title=title))
    atomic_write_text(path, text)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _own_codes(book: Codebook) -> list[dict[str, Any]]:
    return [c.to_dict() for c in book.codes if not c.builtin]


def _reads_as(text: str, book: Codebook) -> bool:
    try:
        again = Codebook.from_dict(yaml.safe_load(text), question=book.question)
    except (yaml.YAMLError, ConsultError):
        return False
    return sorted(_own_codes(again), key=lambda c: c["id"]) == sorted(_own_codes(book), key=lambda c: c["id"])


def _round_trip(old: str, book: Codebook) -> str | None:
    """``old`` YAML text with its codes changed to ``book``'s, comments kept; None when it cannot be done."""
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.comments import CommentedMap, CommentedSeq
        from ruamel.yaml.error import YAMLError
    except ImportError:  # pragma: no cover - ruamel.yaml is a dependency; without it the file is rewritten
        return None
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never re-wrap a long description the author wrote on one line
    dash = re.search(r"^codes:[ \t]*(?:#.*)?\n(?:[ \t]*(?:#.*)?\n)*([ \t]*)-", old, re.M)
    offset = len(dash.group(1)) if dash else 0
    rt.indent(mapping=2, sequence=offset + 2, offset=offset)
    try:
        data = rt.load(old)
    except YAMLError:
        return None
    if not isinstance(data, CommentedMap):
        return None
    seq = data.get("codes")
    if not isinstance(seq, CommentedSeq):
        seq = CommentedSeq()
        data["codes"] = seq
    wanted = _own_codes(book)
    ids = [c["id"] for c in wanted]
    for i in reversed(range(len(seq))):
        item = seq[i]
        if not isinstance(item, CommentedMap) or str(item.get("id")) not in ids:
            del seq[i]
    kept = {str(item["id"]): item for item in seq}
    for code in wanted:
        item = kept.get(code["id"])
        if item is None:
            seq.append(CommentedMap(code))
            continue
        for key in [k for k in item if k not in code]:
            del item[key]
        for key, value in code.items():
            current = item.get(key)
            if (list(current) if isinstance(current, list) else current) != value:
                item[key] = value
    return _dump(rt, data)


def _dump(rt: Any, data: Any) -> str:
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()


def load_codebooks(folder: str | Path) -> dict[str, Codebook]:
    """Every ``*.yaml`` / ``*.yml`` codebook in a folder, keyed by question id.

    The file name must match the codebook's ``question`` (``q1.yaml`` holds ``question: q1``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConsultError("codebook folder not found", file=folder)
    out: dict[str, Codebook] = {}
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file())
    for path in files:
        book = load_codebook(path)
        if book.question != path.stem:
            raise ConsultError(
                f"question {book.question!r} does not match the file name (expected {path.stem!r})",
                file=path,
            )
        if book.question in out:
            raise ConsultError(f"a second codebook for question {book.question!r}", file=path)
        out[book.question] = book
    return out


# --------------------------------------------------------------------------- ids


def slugify(text: str) -> str:
    """A code id from a label: ASCII lower-case words joined by hyphens.

    Text with no ASCII letters or digits (e.g. only non-Latin script) gets a stable
    ``code-<hash>`` id.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not slug:
        slug = "code-" + hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:8]
    return slug


def unique_id(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``, ... : the first not in ``taken`` (which it is added to)."""
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


# --------------------------------------------------------------------------- CSV

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# "Positive: 'x'", "Negative/ wishlist: 'y'": sentiment headings between quoted examples.
_HEADING = re.compile(r"(?:^|(?<=[\s,']))[A-Z][A-Za-z]*(?:/ ?[A-Za-z]+)?\s*:\s*(?=')")
_SEPARATOR = re.compile(r"'\s*[,.]\s*'|\x00")


def parse_examples(text: str) -> tuple[str, ...]:
    """Split a CSV ``examples`` cell into examples.

    Accepts a JSON / Python list, or a comma-separated list of quoted texts as in
    ``'All good', 'Perfect.'`` (curly quotes allowed; headings such as
    ``Positive:`` between examples are dropped). Anything else is one example.
    """
    text = (text or "").strip()
    if not text:
        return ()
    if text.startswith("["):
        for parse in (json.loads, ast.literal_eval):
            try:
                value = parse(text)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                continue
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return tuple(v.strip() for v in value if v.strip())
    norm = text.translate(_QUOTES)
    if "'" not in norm:
        return (text,)
    norm = _HEADING.sub("\x00", norm)
    norm = re.sub(r"'\s*\x00\s*'?", "\x00", norm)
    out = []
    for piece in _SEPARATOR.split(norm):
        piece = piece.strip().strip(",").strip()
        if len(piece) >= 1 and piece[0] in "'\"":
            piece = piece[1:]
        if len(piece) >= 1 and piece[-1] in "'\"":
            piece = piece[:-1]
        piece = piece.strip()
        if piece:
            out.append(piece)
    return tuple(out)


def format_examples(examples: Iterable[str]) -> str:
    """Examples as a CSV ``examples`` cell: ``'first', 'second'``."""
    return ", ".join(f"'{e}'" for e in examples)


def read_codebook_csv(path: str | Path, question: str) -> Codebook:
    """Import a codebook from a CSV with columns ``code, group, description, examples``.

    Only ``code`` is required; an optional ``id`` column sets code ids, otherwise
    ids are slugs of the names (``-2``, ``-3`` added on clashes, in file order).
    Each distinct ``group`` becomes a parent code placed before its first member.
    Rows are numbered as in a spreadsheet (the header is row 1).
    """
    path = Path(path)
    text = read_text(path, missing="codebook CSV not found")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ConsultError("the CSV is empty; expected a header with a 'code' column", file=path) from None
    except csv.Error as exc:
        raise ConsultError(f"malformed CSV: {exc}", file=path, row=1) from None
    columns = {h.strip().lstrip("\ufeff").lower(): i for i, h in reversed(list(enumerate(header)))}
    if "code" not in columns:
        raise ConsultError(
            f"no 'code' column (found: {', '.join(repr(h) for h in header) or 'none'})", file=path, row=1
        )

    def cell(row: list[str], name: str) -> str:
        i = columns.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for rownum, row in enumerate(reader, start=2):
            if not any(v.strip() for v in row):
                continue
            values = {name: cell(row, name) for name in ("id", "code", "group", "description", "examples")}
            if not values["code"]:
                raise ConsultError("empty code name", file=path, row=rownum, column=header[columns["code"]])
            if values["id"]:
                id_column = header[columns["id"]]
                if not ID_PATTERN.match(values["id"]):
                    raise ConsultError(
                        f"invalid id {values['id']!r}; use lower-case letters, digits and hyphens",
                        file=path, row=rownum, column=id_column,
                    )
                if values["id"] in (v["id"] for _, v in rows):
                    raise ConsultError(f"duplicate id {values['id']!r}", file=path, row=rownum, column=id_column)
            rows.append((rownum, values))
    except csv.Error as exc:
        raise ConsultError(f"malformed CSV: {exc}", file=path, row=reader.line_num) from None

    taken = {v["id"] for _, v in rows if v["id"]}
    group_ids: dict[str, str] = {}
    codes: list[Code] = []
    for rownum, v in rows:
        parent = None
        group = " ".join(v["group"].split())
        if group:
            key = _label_key(group)
            if key not in group_ids:
                group_ids[key] = unique_id(slugify(group), taken)
                codes.append(Code(group_ids[key], group))
            parent = group_ids[key]
        code_id = v["id"] or unique_id(slugify(v["code"]), taken)
        codes.append(
            Code(
                id=code_id,
                label=" ".join(v["code"].split()),
                description=v["description"],
                examples=parse_examples(v["examples"]),
                parent=parent,
            )
        )
    try:
        return Codebook(question=question, codes=tuple(codes))
    except ConsultError as exc:
        raise ConsultError(exc.message, file=path) from None


def write_codebook_csv(codebook: Codebook, path: str | Path, *, include_ids: bool = False) -> None:
    """Export to CSV with columns ``code, group, description, examples`` (plus ``id`` first
    when ``include_ids``).

    Codes that are parents become the ``group`` of their children and get no row of
    their own; a deeper hierarchy keeps only the immediate parent. Counter-examples,
    colours and built-in codes are not written.
    """
    parents = {c.parent for c in codebook.codes if c.parent is not None}
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow((("id",) if include_ids else ()) + CSV_COLUMNS)
    for code in codebook.codes:
        if code.builtin or code.id in parents:
            continue
        group = codebook[code.parent].label if code.parent else ""
        row = (code.label, group, code.description, format_examples(code.examples))
        writer.writerow(((code.id,) if include_ids else ()) + row)
    atomic_write_text(Path(path), buf.getvalue())


# --------------------------------------------------------------------------- REFI-QDA


def _qdc_guid(question: str, code_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:consult:codebook:{question}:{code_id}"))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _qdc_description(code: Code) -> str:
    def bullets(items: tuple[str, ...]) -> str:
        return "\n".join("- " + item.replace("\n", "\n  ") for item in items)

    parts = [code.description] if code.description else []
    if code.examples:
        parts.append("Examples:\n" + bullets(code.examples))
    if code.counter_examples:
        parts.append("Counter-examples:\n" + bullets(code.counter_examples))
    parts.append(f"Code id: {code.id}")
    return "\n\n".join(parts)


_LIST_BLOCK = r"(?:- [^\n]*(?:\n  [^\n]*)*)(?:\n- [^\n]*(?:\n  [^\n]*)*)*"
_QDC_DESC = re.compile(
    r"^(?P<desc>.*?)(?:(?:^|\n\n)Examples:\n(?P<ex>" + _LIST_BLOCK + r"))?"
    r"(?:(?:^|\n\n)Counter-examples:\n(?P<cex>" + _LIST_BLOCK + r"))?"
    r"(?:(?:^|\n\n)Code id: (?P<id>[a-z0-9]+(?:-[a-z0-9]+)*))\s*$",
    re.DOTALL,
)


def _parse_bullets(block: str | None) -> tuple[str, ...]:
    if not block:
        return ()
    items = re.split(r"(?:^|\n)- ", block)
    return tuple(item.replace("\n  ", "\n") for item in items if item)


def _split_qdc_description(text: str) -> tuple[str, tuple[str, ...], tuple[str, ...], str | None]:
    """(description, examples, counter-examples, id) from a Description we wrote; else the text."""
    text = text.replace("\r\n", "\n")
    match = _QDC_DESC.match(text)
    if not match:
        return text.strip(), (), (), None
    return (
        match["desc"].strip(),
        _parse_bullets(match["ex"]),
        _parse_bullets(match["cex"]),
        match["id"],
    )


def write_qdc(codebook: Codebook, path: str | Path, *, origin: str = "consult") -> None:
    """Export to a REFI-QDA codebook (``.qdc``); parents become nested codes.

    GUIDs are uuid5 of the question and code id, so the same codebook always gives
    the same file. Built-in codes are not written.
    """
    ET.register_namespace("", QDC_NAMESPACE)
    ns = "{" + QDC_NAMESPACE + "}"
    root = ET.Element(ns + "CodeBook", {"origin": origin})
    codes_el = ET.SubElement(root, ns + "Codes")

    def add(parent_el: ET.Element, code: Code) -> None:
        attrs = {"guid": _qdc_guid(codebook.question, code.id), "name": code.label, "isCodable": "true"}
        if code.colour:
            attrs["color"] = code.colour.upper()
        el = ET.SubElement(parent_el, ns + "Code", attrs)
        ET.SubElement(el, ns + "Description").text = _qdc_description(code)
        for child in codebook.children(code.id):
            if not child.builtin:
                add(el, child)

    for code in codebook.roots():
        if not code.builtin:
            add(codes_el, code)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    atomic_write_text(Path(path), '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n")


def read_qdc(path: str | Path, question: str, *, sets_as_groups: bool = True) -> Codebook:
    """Import a REFI-QDA codebook (``.qdc``): nested codes become children.

    Lenient: the namespace, guids and extra elements are optional, colours are
    case-insensitive. Ids come from a ``Code id:`` line we wrote, else from the
    name. With ``sets_as_groups``, a top-level code that belongs to a ``Set`` gets
    that set as its parent group (the first set, in file order).
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise ConsultError("codebook file not found", file=path) from None
    except ET.ParseError as exc:
        line, column = exc.position
        raise ConsultError(f"invalid XML at line {line}, column {column + 1}", file=path) from None
    if _local(root.tag) != "CodeBook":
        raise ConsultError(f"not a REFI-QDA codebook: root element is <{_local(root.tag)}>", file=path)

    found: list[tuple[ET.Element, str | None, int]] = []  # element, parent element key, position

    def walk(el: ET.Element, parent: ET.Element | None) -> None:
        for child in el:
            if _local(child.tag) == "Code":
                found.append((child, parent, len(found) + 1))
                walk(child, child)

    for section in root:
        if _local(section.tag) == "Codes":
            walk(section, None)

    taken: set[str] = set()
    explicit: dict[int, str] = {}
    parsed: list[dict[str, Any]] = []
    for el, parent, pos in found:
        name = " ".join((el.get("name") or "").split())
        if not name:
            raise ConsultError(f"code {pos}: <Code> without a name", file=path)
        desc_el = next((c for c in el if _local(c.tag) == "Description"), None)
        desc, examples, counter, code_id = _split_qdc_description(desc_el.text or "" if desc_el is not None else "")
        colour = el.get("color")
        if colour is not None:
            colour = colour.strip().lower() or None
            if colour is not None and not COLOUR_PATTERN.match(colour):
                colour = None  # lenient: tools write odd colours; a colour is cosmetic
        if code_id is not None:
            if code_id in taken:
                raise ConsultError(f"code {pos} ({name!r}): duplicate code id {code_id!r}", file=path)
            taken.add(code_id)
            explicit[id(el)] = code_id
        parsed.append(
            dict(el=el, parent=parent, name=name, desc=desc, ex=examples, cex=counter, colour=colour)
        )

    ids: dict[int, str] = {}
    for item in parsed:
        el = item["el"]
        ids[id(el)] = explicit.get(id(el)) or unique_id(slugify(item["name"]), taken)

    set_parent: dict[str, str] = {}
    group_codes: list[Code] = []
    if sets_as_groups:
        guid_to_id = {el.get("guid", "").strip().lower(): ids[id(el)] for el, _, _ in found if el.get("guid")}
        for section in root:
            if _local(section.tag) != "Sets":
                continue
            for set_el in section:
                if _local(set_el.tag) != "Set":
                    continue
                set_name = " ".join((set_el.get("name") or "").split())
                members = [
                    guid_to_id.get((m.get("targetGUID") or "").strip().lower())
                    for m in set_el
                    if _local(m.tag) == "MemberCode"
                ]
                members = [m for m in members if m and m not in set_parent]
                if not set_name or not members:
                    continue
                group_id = unique_id(slugify(set_name), taken)
                group_codes.append(Code(group_id, set_name))
                for m in members:
                    set_parent[m] = group_id

    codes: list[Code] = []
    for item in parsed:
        code_id = ids[id(item["el"])]
        parent = ids[id(item["parent"])] if item["parent"] is not None else set_parent.get(code_id)
        codes.append(
            Code(
                id=code_id,
                label=item["name"],
                description=item["desc"],
                examples=item["ex"],
                counter_examples=item["cex"],
                parent=parent,
                colour=item["colour"],
            )
        )
    try:
        return Codebook(question=question, codes=tuple(group_codes + codes))
    except ConsultError as exc:
        raise ConsultError(exc.message, file=path) from None
