"""Files at the edges: decoding what people export, and writing outputs atomically."""

from __future__ import annotations

import os
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

from consult.errors import ConsultError

# The longest cell any input may hold: Python's csv module refuses longer fields
# by default, and the same limit keeps a crafted XLSX from expanding one cell
# into hundreds of megabytes.
MAX_CELL_CHARS = 131_072
# A workbook's parts, uncompressed, may add up to this much. Real exports of a
# large consultation stay well below it; bigger ones should be exported as CSV.
MAX_XLSX_BYTES = 256 * 2**20
# Real spreadsheet XML compresses about 5-15 times (a workbook of 100,000 identical
# rows: 13 times); a part that expands far more is a decompression bomb.
MAX_XLSX_RATIO = 100
_RATIO_FLOOR = 8 * 2**20  # small parts may compress as well as they like
_CHUNK = 2**20


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),  # before UTF-16 LE, whose BOM it starts with
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def sniff_utf16(raw: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` for BOM-less UTF-16 text, judged by where its NUL bytes fall."""
    head = raw[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    # Latin text in UTF-16 has a NUL in every other byte; 8-bit text has (almost) none.
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def decode(raw: bytes, path: Path, encoding: str = "auto") -> tuple[str, str]:
    """Decode file bytes: a BOM's encoding (UTF-8, UTF-16, UTF-32), BOM-less UTF-16,
    UTF-8, else Windows-1252 as Excel writes it.

    Returns the text (without BOM) and the encoding used.
    """
    if encoding != "auto":
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as e:
            raise ConsultError(f"cannot decode as {encoding}: {e}", file=path) from None
        return text.removeprefix("\ufeff"), encoding
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(enc).removeprefix("\ufeff"), enc
            except UnicodeDecodeError as e:
                raise ConsultError(
                    f"starts with a {enc.upper()} byte-order mark but is not valid {enc.upper()} "
                    f"(byte {e.start}); save it again as UTF-8", file=path,
                ) from None
    enc16 = sniff_utf16(raw)
    if enc16 is not None:
        try:
            return raw.decode(enc16), enc16
        except UnicodeDecodeError:
            raise ConsultError(
                f"looks like {enc16.upper()} without a byte-order mark but does not decode as it; "
                "save it again as UTF-8 or set [data] encoding", file=path,
            ) from None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps them (never fails).
        return raw.decode("latin-1"), "latin-1"


def check_workbook(
    path: str | Path,
    *,
    max_cell_chars: int = MAX_CELL_CHARS,
    max_bytes: int = MAX_XLSX_BYTES,
    max_ratio: float = MAX_XLSX_RATIO,
) -> None:
    """Refuse an XLSX file that would expand too far, before anything parses it.

    Checks, from the zip directory alone, the total uncompressed size and how far
    each part expands; then streams each large XML part through a small buffer to
    find any text run (a cell) longer than ``max_cell_chars`` characters (counted
    about: a tag or an entity in the run counts a few more). Memory stays at about one chunk; time is bounded
    by ``max_bytes``. Python's zipfile never inflates a part past the size the
    directory declares, so the directory cannot understate it.
    """
    path = Path(path)
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise ConsultError("no such file", file=path) from None
    except IsADirectoryError:
        raise ConsultError("is a folder, not a file", file=path) from None
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise ConsultError(f"not a readable XLSX workbook (truncated or corrupt?): {e}", file=path) from None
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > max_bytes:
            raise ConsultError(
                f"the workbook expands to {total / 2**20:,.0f} MB, more than the {max_bytes / 2**20:,.0f} MB "
                "allowed; export it as CSV instead", file=path,
            )
        for i in infos:
            if i.file_size > _RATIO_FLOOR and i.file_size > max_ratio * max(i.compress_size, 1):
                raise ConsultError(
                    f"part {i.filename} expands {i.file_size / max(i.compress_size, 1):,.0f} times "
                    f"(to {i.file_size / 2**20:,.0f} MB), which no real spreadsheet does; refusing to open it",
                    file=path,
                )
        for i in infos:
            if i.file_size > max_cell_chars and i.filename.lower().endswith(".xml"):
                if _longest_text_run(zf, i, max_cell_chars) > max_cell_chars:
                    raise ConsultError(
                        f"a cell holds more than {max_cell_chars:,} characters (in {i.filename}); "
                        "no answer is that long, so the file is not a real export", file=path,
                    )


def _chars(part: bytes) -> int:
    """About how many characters a piece of XML text holds (UTF-8 decoded; entities counted whole)."""
    return len(part.decode("utf-8", "ignore"))


def _longest_text_run(zf: zipfile.ZipFile, info: zipfile.ZipInfo, stop: int) -> int:
    """About the most characters between two '<' in a zip part (returns early once past ``stop``)."""
    longest = run = 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                parts = chunk.split(b"<")
                # Only the pieces at a chunk's ends can join a run across chunks; a piece
                # inside the chunk is a whole run and only needs decoding if its bytes say it may be long.
                run += _chars(parts[0])
                if len(parts) > 1:
                    longest = max(longest, run)
                    for p in parts[1:-1]:
                        if len(p) > stop:
                            longest = max(longest, _chars(p))
                    run = _chars(parts[-1])
                if max(longest, run) > stop:
                    break
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise ConsultError(f"not a readable XLSX workbook (truncated or corrupt?): {e}",
                           file=zf.filename) from None
    return max(longest, run)


def open_workbook(path: str | Path, **limits: Any) -> Any:
    """Open an XLSX workbook read-only (values, not formulas) once :func:`check_workbook` passes.

    Raises ConsultError for a missing, corrupt or oversized file. Close the
    returned workbook when done. ``limits`` are passed to :func:`check_workbook`.
    """
    import openpyxl

    path = Path(path)
    check_workbook(path, **limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it ignores
            return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for damaged input
        raise ConsultError(
            f"not a readable XLSX workbook (truncated or corrupt?): {e.__class__.__name__}: {e}", file=path
        ) from None


def read_text(path: str | Path, encoding: str = "auto", missing: str = "no such file") -> str:
    """A text file's contents, decoded as :func:`decode` does; ``missing`` is the error when absent."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConsultError(missing, file=path) from None
    except IsADirectoryError:
        raise ConsultError("is a folder, not a file", file=path) from None
    return decode(raw, path, encoding)[0]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file so readers see the old version or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes the file private; outputs are for sharing
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically (see :func:`atomic_write_bytes`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def spreadsheet_safe(value: object) -> object:
    """A cell value a spreadsheet will show as text: one starting like a formula gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
