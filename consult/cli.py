"""The ``consult`` command: a thin layer over the library."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional, TypeVar

import typer
from typer.core import TyperGroup

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


def refuse_overwrite(path: Path, force: bool) -> None:
    """Never replace a file the user may have edited unless they said so."""
    if path.exists() and not force:
        raise ConsultError("already exists; use --force to overwrite", file=path)


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
    folder: Path = typer.Argument(..., help="A responses folder holding consultation.toml, the config file itself, or a data file (a config is then drafted into the output folder)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder [default: outputs/<consultation id>]."),
    progress: Optional[bool] = typer.Option(
        None, "--progress/--no-progress", help="Show progress bars [default: when the terminal shows them]."),
    engine: str = typer.Option(
        "local", "--engine", help="Where embedding runs: local (this process) or ray (a Ray cluster; install consult\\[ray])."),
    ray_address: Optional[str] = typer.Option(
        None, "--ray-address", help="With --engine ray: the cluster to use (e.g. ray://head:10001, or auto on a node of"
        " it) \\[default: start a local Ray runtime]."),
    ray_workers: Optional[int] = typer.Option(
        None, "--ray-workers", help="With --engine ray: workers, each loading the model once \\[default: one per CPU,"
        " or per GPU, of the cluster]."),
) -> None:
    """Load, deduplicate, find themes, code and summarise a consultation into a workspace."""
    show = sys.stderr.isatty() if progress is None else progress
    if show:  # something to read from the first second; the stages' bars follow
        typer.echo(f"consult analyse {folder}: load, dedupe, embed, themes, assign, report", err=True)
    from consult.engine import make_engine
    from consult.pipeline import analyse as run

    with make_engine(engine, address=ray_address, workers=ray_workers, quiet=not show) as chosen:
        result = run(folder, out, progress=show, engine=chosen)
    if result.drafted_config is not None:
        typer.echo(f"drafted {result.drafted_config} from the data (it says what it guessed and why; "
                   "edit it and run again if a guess is wrong)")
    for line in result.log:
        typer.echo(line)
    for note in result.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"workspace: {result.db_path}")
    typer.echo(f"summary:   {result.summary_path}")


@app.command("purge-withdrawn")
@friendly
def purge_withdrawn(
    outdir: Path = typer.Argument(..., help="A workspace folder written by `consult analyse`."),
    reviewer: str = typer.Option(..., "--reviewer", help="Your name, recorded in the audit trail."),
) -> None:
    """Delete for good the answers and respondents withdrawn from the input (kept until now for the audit)."""
    from consult.workspace import open_workspace
    from consult.workspace.responses import purge_withdrawn as purge

    done = purge(open_workspace(outdir), reviewer)
    typer.echo(f"deleted {done['answers']} withdrawn answers and {done['respondents']} withdrawn respondents"
               " (recorded in the audit trail)")


@app.command()
@friendly
def init(
    data_file: Path = typer.Argument(..., help="A CSV, XLSX or JSONL export, one row per respondent."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the draft [default: consultation.toml beside the data]."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing config."),
) -> None:
    """Draft a consultation config from a data file: each column's role is guessed from its content."""
    from consult.infer import write_draft

    target = write_draft(data_file, out or data_file.parent / "consultation.toml", force=force)
    typer.echo(f"wrote {target}: its comments say what each column was taken to be and why; "
               "check them before `consult analyse`")


@app.command()
@friendly
def dedupe(
    file: Path = typer.Argument(..., help="Any CSV (or XLSX/JSONL) with one answer per row."),
    text_column: str = typer.Option(..., "--text-column", help="The column holding the answer text."),
    id_column: Optional[str] = typer.Option(None, "--id-column", help="A column of unique ids [default: row numbers]."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write groups.csv."),
    jaccard_threshold: float = typer.Option(0.5, help="Shingle overlap (Jaccard) for near-duplicates."),
    containment_threshold: float = typer.Option(0.8, help="Share of the shorter text found in the longer (template + addition)."),
    min_campaign_size: int = typer.Option(10, help="Smallest group reported as a campaign."),
) -> None:
    """Group exact copies, near-duplicates and campaigns in any CSV; one output row per answer."""
    import csv as _csv
    import io

    from consult.dedupe import Deduplicator
    from consult.load import read_table
    from consult.files import atomic_write_text

    table = read_table(file)
    for col in (text_column, id_column):
        if col is not None and col not in table.columns:
            raise ConsultError("no such column", file=file, row=1, column=col)
    ids = [r[id_column] for r in table.rows] if id_column else [str(n) for n in table.row_numbers]
    if id_column:
        seen: dict[str, int] = {}
        for rid, n in zip(ids, table.row_numbers):
            if rid in seen:
                raise ConsultError(f"duplicate id {rid!r} (first on row {seen[rid]})", file=file, row=n, column=id_column)
            seen[rid] = n
    result = Deduplicator(
        jaccard_threshold=jaccard_threshold, containment_threshold=containment_threshold,
        min_campaign_size=min_campaign_size,
    ).fit([r[text_column] for r in table.rows], ids=ids).result_
    buf = io.StringIO()
    w = _csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "group_id", "kind", "campaign_id", "similarity", "personal_addition", "non_substantive"])
    for rec in result.records:
        w.writerow([rec.id, rec.group_id or "", rec.kind, rec.campaign_id or "", f"{rec.similarity:.3f}",
                    rec.personal_addition, rec.non_substantive or ""])
    atomic_write_text(out, buf.getvalue())
    counts = result.counts()
    typer.echo(", ".join(f"{v} {k}" for k, v in counts.items()) + f"; {len(result.campaigns())} campaigns; wrote {out}")


@app.command()
@friendly
def themes(
    outdir: Path = typer.Argument(..., help="A workspace folder written by `consult analyse`."),
    question: Optional[str] = typer.Option(None, "--question", "-q", help="Only this question."),
) -> None:
    """Print the candidate themes found for each question."""
    import json

    from consult.workspace import open_workspace
    from consult.workspace import responses as ws_responses
    from consult.workspace import runs as ws_runs
    from consult.workspace import themes as ws_themes

    conn = open_workspace(outdir)
    qs = ws_responses.text_questions(conn, question)
    if question and not qs:
        raise ConsultError(f"no free-text question {question!r} in this workspace", file=outdir)
    for q in qs:
        typer.echo(f"\n{q['id']}: {q['text']}")
        rows = sorted(ws_themes.themes(conn, q["id"]), key=lambda r: (-r["size"], r["theme_id"]))
        for note in ws_runs.notes(conn, q["id"], "themes"):
            typer.echo(f"  note: {note}")
        if not rows:
            continue
        typer.echo(f"  {'#':>3}  {'respondents':>11}  {'label':<40} key terms")
        for r in rows:
            terms = ", ".join(json.loads(r["terms_json"])[:6])
            typer.echo(f"  {r['theme_id']:>3}  {r['size']:>11.0f}  {r['label'][:40]:<40} {terms}")
            if r["description"]:
                typer.echo(f"  {'':>3}  {'':>11}  {r['description']}")
        typer.echo(f"  unclustered: {ws_themes.unclustered(conn, q['id'])}")


codebook_app = typer.Typer(help="Draft, import, export and check codebooks.", no_args_is_help=True)
app.add_typer(codebook_app, name="codebook")


@codebook_app.command("draft")
@friendly
def codebook_draft(
    outdir: Path = typer.Argument(..., help="A workspace folder written by `consult analyse`."),
    question: str = typer.Option(..., "--question", "-q", help="The question to draft a codebook for."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write the YAML [default: print it]."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a draft codebook from a question's themes, near themes merged, for a reviewer to edit."""
    from consult.codebook import Codebook, dump_codebook
    from consult.files import atomic_write_text
    from consult.pipeline import draft_codebook

    draft = draft_codebook(outdir, question)
    book = Codebook.from_dict(draft.codebook)
    codes = [c for c in book if not c.builtin]
    text = dump_codebook(book)
    if out is None:
        typer.echo(text, nl=False)
        return
    refuse_overwrite(out, force)
    atomic_write_text(out, text)
    merged = f"; {draft.n_merged} near themes merged into others" if draft.n_merged else ""
    typer.echo(f"wrote {out} ({len(codes)} codes{merged})")


@codebook_app.command("import")
@friendly
def codebook_import(
    source: Path = typer.Argument(..., help="A codebook as CSV (code, group, description, examples) or REFI-QDA .qdc."),
    question: str = typer.Option(..., "--question", "-q", help="The question it is for."),
    out: Path = typer.Option(..., "--out", "-o", help="The YAML codebook to write."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Turn a CSV or .qdc codebook into consult's YAML."""
    from consult.codebook import read_codebook_csv, read_qdc, save_codebook

    refuse_overwrite(out, force)
    book = read_qdc(source, question) if source.suffix.lower() == ".qdc" else read_codebook_csv(source, question)
    save_codebook(book, out)
    typer.echo(f"wrote {out} ({len([c for c in book if not c.builtin])} codes)")


@codebook_app.command("export")
@friendly
def codebook_export(
    source: Path = typer.Argument(..., help="A YAML codebook."),
    out: Path = typer.Option(..., "--out", "-o", help="FILE.csv or FILE.qdc (REFI-QDA, for NVivo, ATLAS.ti, MAXQDA)."),
) -> None:
    """Write a YAML codebook as CSV or REFI-QDA .qdc."""
    from consult.codebook import load_codebook, write_codebook_csv, write_qdc

    book = load_codebook(source)
    if out.suffix.lower() == ".qdc":
        write_qdc(book, out)
    elif out.suffix.lower() == ".csv":
        write_codebook_csv(book, out, include_ids=True)
    else:
        raise ConsultError("choose a .csv or .qdc file name", file=out)
    typer.echo(f"wrote {out}")


@codebook_app.command("check")
@friendly
def codebook_check(paths: list[Path] = typer.Argument(..., help="YAML codebooks or folders of them.")) -> None:
    """Validate codebooks: duplicate ids, unknown parents, empty labels."""
    from consult.codebook import load_codebook, load_codebooks

    for p in paths:
        books = load_codebooks(p) if p.is_dir() else {"": load_codebook(p)}
        for book in books.values():
            typer.echo(f"{p if not p.is_dir() else p / (book.question + '.yaml')}: ok, {len([c for c in book if not c.builtin])} codes")


@app.command()
@friendly
def render(
    outdir: Path = typer.Argument(..., help="A workspace folder written by `consult analyse`."),
    format: str = typer.Option("html", "--format", "-f", help="html, md, xlsx or csv (a folder of CSV files)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Where to write [default: OUTDIR/summary.<format>]."),
    final: bool = typer.Option(False, "--final", help="Refuse while any question's findings are still a draft."),
) -> None:
    """Render the summary of responses for publication (quotes are redacted; drafts are marked as drafts)."""
    from consult.report import render as run

    typer.echo(f"wrote {run(outdir, fmt=format, out=out, final=final)}")


class _ServeByDefault(TyperGroup):
    """`consult review OUTDIR` serves; `consult review export|import ...` are subcommands."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


review_app = typer.Typer(
    cls=_ServeByDefault,
    help="Review answers in a local web app (`consult review OUTDIR`), or round-trip a spreadsheet.",
    no_args_is_help=True,
)
app.add_typer(review_app, name="review")


@review_app.command("serve")
@friendly
def review_serve(
    outdir: Path = typer.Argument(..., help="A workspace folder written by `consult analyse`."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on; anything but loopback needs --token."),
    port: int = typer.Option(8000, help="Port to listen on."),
    token: Optional[str] = typer.Option(None, help="Shared access token (required off loopback)."),
) -> None:
    """Start the review app on this machine and print its address."""
    from consult.review.app import serve

    serve(outdir, host=host, port=port, token=token)


@review_app.command("export")
@friendly
def review_export(
    outdir: Path = typer.Argument(..., help="A workspace folder."),
    xlsx: Path = typer.Option(..., "--xlsx", help="The workbook to write: a sheet per question, a column per code."),
) -> None:
    """Export answers and their codes to a spreadsheet for review in Excel."""
    from consult.review.sheets import export_xlsx
    from consult.workspace import open_workspace

    typer.echo(f"wrote {export_xlsx(open_workspace(outdir), xlsx)}")


@review_app.command("import")
@friendly
def review_import(
    outdir: Path = typer.Argument(..., help="A workspace folder."),
    file: Path = typer.Argument(..., help="A workbook written by `consult review export` and edited."),
    reviewer: str = typer.Option(..., "--reviewer", help="Your name, recorded in the audit trail."),
) -> None:
    """Apply a reviewed spreadsheet as audited decisions (all or nothing)."""
    from consult.review.sheets import import_xlsx
    from consult.workspace import open_workspace

    typer.echo(str(import_xlsx(open_workspace(outdir), file, reviewer)))


@app.command()
@friendly
def evaluate(
    gold: Optional[Path] = typer.Argument(None, help="Gold codes: CSV with response_id, code (or respondent_id, question, code). Leave out to estimate from the quality check."),
    workspace: Optional[Path] = typer.Option(None, "--workspace", "-w", help="Score this workspace's codes (response ids are RESPONDENT:QUESTION)."),
    predicted: Optional[Path] = typer.Option(None, "--predicted", "-p", help="Or score a second coder's CSV (response_id, code)."),
    question: Optional[str] = typer.Option(None, "--question", "-q", help="Only answers to this question (workspace)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Agreement with a gold coding, or (with only --workspace) the quality check's estimate of the
    codes nobody reviewed: precision, recall and F1 with 95% intervals, and each question's status."""
    import json

    from consult.evaluate import agreement, read_codings_csv, read_gold
    from consult.workspace import open_workspace
    from consult.workspace.codes import codings_by_respondent
    from consult.workspace.runs import add_evaluation

    if gold is None:
        if workspace is None or predicted is not None:
            raise ConsultError("give a gold codes file, or --workspace alone for the quality check's estimate")
        _quality(open_workspace(workspace), question, as_json, workspace)
        return
    if (workspace is None) == (predicted is None):
        raise ConsultError("give exactly one of --workspace or --predicted")
    gold_codes = read_gold(gold)
    conn = None
    if workspace is not None:
        conn = open_workspace(workspace)
        pred = codings_by_respondent(conn)
        unknown = [k for k in gold_codes if k not in pred]
        if unknown:
            raise ConsultError(f"{len(unknown)} gold response ids are not in the workspace, e.g. {unknown[0]!r}", file=gold)
    else:
        pred = read_codings_csv(predicted)
    if question:
        gold_codes = {k: v for k, v in gold_codes.items() if k.endswith(f":{question}")}
        if not gold_codes:
            raise ConsultError(f"no gold codes for question {question!r}", file=gold)
    codes = sorted({c for v in gold_codes.values() for c in v} | {c for k in gold_codes for c in pred.get(k, ())})
    report = agreement(pred, gold_codes, codes)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), sort_keys=True))
    else:
        typer.echo(report.format_table())
    if conn is not None:
        add_evaluation(conn, str(gold), {k: v for k, v in report.to_dict().items() if k != "per_code"})


def _quality(conn, question: str | None, as_json: bool, where: Path) -> None:  # noqa: ANN001
    import json

    from consult.workspace import quality as ws_quality
    from consult.workspace import responses as ws_responses
    from consult.workspace import runs as ws_runs

    settings = ws_runs.settings(conn).quality
    qs = [q["id"] for q in ws_responses.text_questions(conn, question)]
    if question and not qs:
        raise ConsultError(f"no free-text question {question!r} in this workspace", file=where)
    results = {qid: ws_quality.assess(conn, qid, settings) for qid in qs}
    if as_json:
        typer.echo(json.dumps({qid: r.to_dict() for qid, r in results.items()}, sort_keys=True))
        return
    for qid, r in results.items():
        typer.echo(f"\n{qid}: {r.status} ({r.checked} of {r.sampled} quality-check answers coded by people; "
                   f"bar: {r.settings.metric} >= {r.settings.bar:g})")
        if r.estimate is not None:
            typer.echo(r.estimate.format_table())


if __name__ == "__main__":  # pragma: no cover
    app()
