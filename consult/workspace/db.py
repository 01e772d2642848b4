"""Opening the workspace database, transactions and the small helpers every table module uses."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from consult.errors import ConsultError

DB_NAME = "consult.db"
SQL_VARS = 500  # bound parameters per statement, well under SQLite's limit


def now() -> str:
    """The current UTC time as an ISO 8601 string (seconds)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def text_hash(text: str | None) -> str:
    """SHA-256 hex digest of a text (UTF-8; None as empty): what a human decision was made on, and cache keys."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def connect(path: str | Path) -> sqlite3.Connection:
    """Open (creating if needed) a workspace database and bring its schema up to date."""
    from consult.workspace.schema import migrate

    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=True)
    conn.row_factory = sqlite3.Row
    conn.create_function("text_sha256", 1, text_hash, deterministic=True)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    migrate(conn)
    return conn


def open_workspace(outdir: str | Path) -> sqlite3.Connection:
    """Open the ``consult.db`` of an existing output folder (no creation)."""
    path = Path(outdir) / DB_NAME
    if not path.is_file():
        raise ConsultError("no workspace here; run `consult analyse` first", file=path)
    return connect(path)


class Workspace:
    """The workspace of one output folder, with one SQLite connection per thread (for the web app)."""

    def __init__(self, outdir: str | Path) -> None:
        self.outdir = Path(outdir)
        self.db_path = self.outdir / DB_NAME
        self._local = threading.local()
        open_workspace(self.outdir).close()  # a ConsultError now rather than on first use

    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.db_path)
        return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write: everything inside commits together or not at all (nested calls join the outer one)."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def select_in(
    conn: sqlite3.Connection, sql: str, values: Sequence[Any], before: Sequence[Any] = ()
) -> Iterator[sqlite3.Row]:
    """The rows of ``sql`` for all ``values``, run in chunks small enough to bind.

    ``sql`` holds ``{marks}`` where a chunk's ``?, ?, ...`` go (as in ``IN ({marks})``);
    ``before`` are parameters bound ahead of each chunk's values.
    """
    values = list(values)
    for lo in range(0, len(values), SQL_VARS):
        part = values[lo : lo + SQL_VARS]
        yield from conn.execute(sql.replace("{marks}", ",".join("?" * len(part))), [*before, *part])


def one(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> Any:
    """The first column of the first row, or None."""
    row = conn.execute(sql, params).fetchone()
    return row[0] if row else None


def db_folder(conn: sqlite3.Connection) -> Path:
    """The folder of a workspace's database file."""
    for row in conn.execute("PRAGMA database_list"):
        if row[1] == "main" and row[2]:
            return Path(row[2]).parent
    raise ConsultError("this workspace is in memory; give an output path")


def secret(conn: sqlite3.Connection) -> bytes:
    """This workspace's own random secret (made on first use, never exported), for signing what it hands out."""
    import secrets

    with transaction(conn):
        row = conn.execute("SELECT value FROM workspace_meta WHERE key = 'secret'").fetchone()
        if row is None:
            value = secrets.token_hex(32)
            conn.execute("INSERT INTO workspace_meta (key, value) VALUES ('secret', ?)", (value,))
            return bytes.fromhex(value)
    return bytes.fromhex(row[0])
