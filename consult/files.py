"""Files at the edges: decoding what people export, and writing outputs atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from consult.errors import ConsultError


def decode(raw: bytes, path: Path, encoding: str = "auto") -> tuple[str, str]:
    """Decode file bytes: UTF-8 (with or without BOM), else Windows-1252 as Excel writes it.

    Returns the text and the encoding used.
    """
    if encoding != "auto":
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as e:
            raise ConsultError(f"cannot decode as {encoding}: {e}", file=path) from None
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "utf-8-sig"
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


def spreadsheet_safe(value: object) -> object:
    """A cell value a spreadsheet will show as text: one starting like a formula gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
