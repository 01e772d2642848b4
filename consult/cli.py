"""The ``consult`` command: a thin layer over the library."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional, TypeVar

import typer

from consult import __version__
from consult.errors import ConsultError

app = typer.Typer(
    help="Turn free-text consultation responses into an honest, published summary.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"consult: error: {message}", err=True)
    raise typer.Exit(code)


def friendly(func: F) -> F:
    """Turn input errors into one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConsultError as e:
            fail(str(e))
        except KeyboardInterrupt:
            fail("interrupted; finished stages are saved, run the same command again to resume", 130)
        except OSError as e:
            where = f"{e.filename}: " if getattr(e, "filename", None) else ""
            fail(f"{where}{e.strerror or e}")

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"consult {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each step."),
) -> None:
    """Turn free-text consultation responses into an honest, published summary."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(message)s", stream=sys.stderr
    )


@app.command()
@friendly
def analyse(
    folder: Path = typer.Argument(..., help="A responses folder holding consultation.toml (or the config file itself)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder [default: outputs/<consultation id>]."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
) -> None:
    """Load, deduplicate, find themes, code and summarise a consultation into a workspace."""
    from consult.pipeline import analyse as run

    result = run(folder, out, progress=progress)
    typer.echo(f"{result.respondents} respondents, {result.responses} answers loaded")
    for note in result.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"workspace: {result.db_path}")
    typer.echo(f"summary:   {result.summary_path}")


@app.command()
@friendly
def init(
    data_file: Path = typer.Argument(..., help="A CSV, XLSX or JSONL export, one row per respondent."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the draft [default: consultation.toml beside the data]."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing config."),
) -> None:
    """Draft a consultation config from a data file's header, for you to edit."""
    from consult.config import draft_config
    from consult.report import atomic_write_text

    target = out or data_file.parent / "consultation.toml"
    if target.exists() and not force:
        raise ConsultError("already exists; use --force to overwrite", file=target)
    atomic_write_text(target, draft_config(data_file))
    typer.echo(f"wrote {target}: check the question kinds, ids and respondent fields before `consult analyse`")


if __name__ == "__main__":  # pragma: no cover
    app()
