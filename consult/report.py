"""Reporting: the summary of responses, rendered from ``consult.db``.

Gathering figures (``summary_data``) is separate from rendering them, so every
output format shows the same numbers. Response text is untrusted: templates are
autoescaped.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from consult import __version__


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so readers see the old version or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def pct(n: float, d: float) -> str:
    return f"{100 * n / d:.0f}%" if d else "–"


def summary_data(conn: sqlite3.Connection) -> dict[str, Any]:
    """Every figure the summary shows, gathered from the workspace."""
    c = conn.execute("SELECT * FROM consultation").fetchone()
    respondents = conn.execute("SELECT type, grp FROM respondents").fetchall()
    total = len(respondents)
    by_type = Counter((r["type"] or "not stated") for r in respondents)
    by_group = Counter((r["grp"] or "not stated") for r in respondents)
    questions = []
    for q in conn.execute("SELECT * FROM questions ORDER BY position"):
        options = json.loads(q["options_json"])
        rows = conn.execute(
            "SELECT option, text FROM responses WHERE question_id = ?", (q["id"],)
        ).fetchall()
        entry: dict[str, Any] = {"id": q["id"], "text": q["text"], "kind": q["kind"]}
        if q["kind"] in ("closed", "hybrid"):
            counts = Counter(r["option"] for r in rows if r["option"])
            answered = sum(counts.values())
            names = options + sorted(set(counts) - set(options))
            entry["closed"] = {
                "answered": answered,
                "not_answered": total - answered,
                "rows": [{"option": o, "count": counts.get(o, 0), "pct": pct(counts.get(o, 0), answered)} for o in names],
            }
        if q["kind"] in ("open", "hybrid"):
            texts = [r["text"] for r in rows if r["text"] and r["text"].strip()]
            entry["free_text"] = {"answers": len(texts), "blank": total - len(texts)}
        questions.append(entry)
    return {
        "consultation": dict(c) if c else {"title": "Consultation", "id": ""},
        "respondents": total,
        "by_type": [{"name": k, "count": v, "pct": pct(v, total)} for k, v in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))],
        "by_group": [{"name": k, "count": v, "pct": pct(v, total)} for k, v in sorted(by_group.items(), key=lambda kv: (-kv[1], kv[0]))],
        "questions": questions,
        "version": __version__,
    }


def environment() -> Environment:
    return Environment(
        loader=PackageLoader("consult", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(data: dict[str, Any]) -> str:
    return environment().get_template("summary.html.j2").render(**data)


def write_summary(conn: sqlite3.Connection, path: str | Path) -> Path:
    """Render ``summary.html`` from the workspace."""
    path = Path(path)
    atomic_write_text(path, render_html(summary_data(conn)))
    return path
