"""Errors that the CLI reports as one line, without a traceback."""

from __future__ import annotations

from pathlib import Path


class ConsultError(Exception):
    """A problem with the user's input: shown as one line naming where it is.

    ``file``, ``row`` and ``column`` are optional; when given they are put in
    front of the message as ``file: row R, column 'C': message``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        loc = []
        if self.row is not None:
            loc.append(f"row {self.row}")
        if self.column is not None:
            loc.append(f"column {self.column!r}")
        if loc:
            where.append(", ".join(loc))
        prefix = ": ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message
