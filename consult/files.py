"""Files at the edges: decoding what people export, and writing outputs atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from consult.errors import ConsultError

# The longest cell any input may hold: Python's csv module refuses longer fields
# by default, and the same limit keeps a crafted XLSX from expanding one cell
# into hundreds of megabytes.
MAX_CELL_CHARS = 131_072


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
