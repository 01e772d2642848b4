"""Rules of the code's shape that keep it maintainable (see docs/architecture.md)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "consult"
WORKSPACE = PACKAGE / "workspace"
SQL_CALLS = re.compile(r"\.(execute|executemany|executescript)\(")


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_only_the_workspace_package_runs_sql() -> None:
    offenders = [
        f"{p.relative_to(PACKAGE.parent)}:{n}"
        for p in sources() if WORKSPACE not in p.parents
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if SQL_CALLS.search(line)
    ]
    assert offenders == [], "SQL outside consult/workspace/: " + ", ".join(offenders)


def test_no_exception_is_silently_swallowed() -> None:
    """A broad ``except`` must re-raise (usually as a ConsultError saying what to fix)."""
    offenders = []
    for p in sources():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ExceptHandler):
                continue
            broad = node.type is None or (isinstance(node.type, ast.Name) and node.type.id in ("Exception", "BaseException"))
            if broad and not any(isinstance(n, ast.Raise) for n in ast.walk(node)):
                offenders.append(f"{p.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert offenders == [], "broad except without raise: " + ", ".join(offenders)
