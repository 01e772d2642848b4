"""``consult analyse``: load → (dedupe → embed → themes → codebook → assign) → report, into a workspace.

Each stage reads what the stage before it wrote to ``consult.db`` and writes its
own tables in one transaction, so an interrupted run leaves every finished
stage intact and a re-run never touches what reviewers decided. The embed stage
commits its vectors chunk by chunk, so an interrupted run resumes within it.

Heavy, parallel work (embedding) goes through an engine (:mod:`consult.engine`):
this process by default, or a Ray cluster with ``--engine ray``; either way only
this process writes the workspace.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from consult import __version__
from consult.codebook import NON_SUBSTANTIVE, OTHER
from consult.config import Config, load_config
from consult.load import load
from consult.progress import SILENT, Progress, timed
from consult.settings import Settings
from consult.units import CHUNK_WORDS, Unit, build_units
from consult.workspace import answers as ws_answers
from consult.workspace import codes as ws_codes
from consult.workspace import dedupe as ws_dedupe
from consult.workspace import responses as ws_responses
from consult.workspace import runs as ws_runs
from consult.workspace import quality as ws_quality
from consult.workspace import themes as ws_themes
from consult.embed import embed_cached, embed_missing, text_hash
from consult.engine import Engine, LocalEngine
from consult.workspace.caches import EmbeddingCache
from consult.workspace.db import DB_NAME, connect, transaction

log = logging.getLogger("consult")



@dataclass
class AnalyseResult:
    outdir: Path
    db_path: Path
    summary_path: Path
    respondents: int
    responses: int
    withdrawn: int = 0
    notes: list[str] = field(default_factory=list)
    drafted_config: Path | None = None
    log: list[str] = field(default_factory=list)  # one line per stage: what it did and how long it took
    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # e.g. distinct_texts, embedded (this run)
    engine: str = "local engine"


def default_outdir(cfg: Config, base: str | Path = "outputs") -> Path:
    return Path(base) / cfg.id


def config_for(path: str | Path, outdir: str | Path | None = None) -> tuple[Path, Path | None]:
    """The config to analyse ``path`` with, and the path of a config drafted just now (else None).

    A data file is analysed with the config beside it when that config reads it; else with
    ``<outdir>/consultation.toml``, drafted from the data the first time.
    """
    from consult.config import config_beside
    from consult.infer import consultation_id, is_data_file, write_draft

    path = Path(path)
    if not is_data_file(path):
        return path, None
    beside = config_beside(path)
    if beside is not None:
        return beside, None
    target = Path(outdir or Path("outputs") / consultation_id(path)) / "consultation.toml"
    if target.exists():
        return target, None
    return write_draft(path, target), target


@dataclass
class Context:
    """What every stage gets: the open workspace, the config, the validated settings, progress bars."""

    conn: sqlite3.Connection
    config: Config
    settings: Settings
    progress: Progress = SILENT
    engine: Engine = field(default_factory=LocalEngine)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class StageDone:
    """What a stage reports: one line for the run log, and notes worth a person's attention."""

    summary: str
    notes: list[str] = field(default_factory=list)


Stage = Callable[[Context], StageDone]


# --- the stages: each reads what the one before it wrote, analyses, and writes its own tables ---------


def stage_dedupe(ctx: Context) -> StageDone:
    """Classify every free-text answer: unique, exact or near copy, campaign, or non-substantive."""
    from consult.dedupe import Deduplicator

    conn, params = ctx.conn, asdict(ctx.settings.dedupe)
    questions = ws_responses.text_questions(conn)
    counts: Counter[str] = Counter()
    campaigns = 0
    with ctx.progress.bar("dedupe", ws_responses.count_answers(conn, questions=[q["id"] for q in questions])) as bar:
        for q in questions:
            bar.set_description(f"dedupe {q['id']}")
            ids, texts, overrides = ws_dedupe.stage_input(conn, q["id"])
            result = Deduplicator(**params).fit(texts, ids=ids, overrides=overrides).result_
            ws_dedupe.write_result(conn, q["id"], result)
            counts.update(result.counts())
            campaigns += len(result.campaigns())
            bar.update(len(ids))
    return StageDone(f"{len(questions)} questions, {sum(counts.values()):,} answers: " + ", ".join(
        f"{n:,} {kind}" for kind, n in counts.items() if n) + f"; {campaigns} campaigns")


def analysis_units(conn: sqlite3.Connection, question_id: str, chunk_words: int | None = None) -> list[Unit]:
    """What later stages analyse for a question (see :mod:`consult.units`)."""
    return build_units(ws_dedupe.unit_rows(conn, question_id), ws_dedupe.campaign_templates(conn, question_id),
                       chunk_words)


_EMBEDDERS: dict[str, object] = {}


def make_embedder(ctx: Context):
    """The configured embedder ([embed] table); loaded once per process and reused."""
    from consult.embed import Embedder

    params = asdict(ctx.settings.embed)
    model = params.pop("model")
    if model is not None and not Path(model).is_absolute():
        model = str((ctx.config.path.parent / model).resolve())
    ctx.progress.libraries()  # before any model loads: its "Loading weights" bar only with progress on
    key = json.dumps([model, params], sort_keys=True)
    embedder = _EMBEDDERS.get(key)
    if embedder is None:
        embedder = _EMBEDDERS[key] = Embedder(model=model, show_progress=False, **params)
    return embedder


def embed_texts(ctx: Context, texts: list[str], embedder, desc: str) -> np.ndarray:
    """Vectors of ``texts``, embedding only what the workspace cache lacks (with the run's engine)."""
    return embed_cached(texts, embedder, EmbeddingCache(ctx.conn), progress=ctx.progress, desc=desc,
                        engine=ctx.engine)


def stage_embed(ctx: Context) -> StageDone:
    """Embed every distinct text the later stages analyse, all questions at once (cached, resumable).

    Whole answers (for themes) and passages of long ones (for coding); length-sorted across
    questions, so the batches pad little; each chunk is committed as it is done.
    """
    conn = ctx.conn
    texts: dict[str, None] = {}
    questions = ws_responses.text_questions(conn)
    with ctx.progress.bar("embed: gather texts", len(questions), unit="question") as bar:
        for q in questions:
            bar.set_description(f"embed: gather texts {q['id']}")
            for chunk_words in (None, CHUNK_WORDS):
                texts.update(dict.fromkeys(u.text for u in analysis_units(conn, q["id"], chunk_words)))
            bar.update(1)
    embedder = make_embedder(ctx)
    with timed() as took:
        done = embed_missing(list(texts), embedder, EmbeddingCache(conn), engine=ctx.engine, progress=ctx.progress,
                             desc=f"embed {len(texts):,} texts")
    ctx.counts["distinct_texts"] = len(texts)
    ctx.counts["embedded"] = done
    rate = f" at {done / took[0]:.0f} texts/s" if done and took[0] > 0 else ""
    return StageDone(f"{len(texts):,} distinct texts, {done:,} embedded now{rate} ({len(texts) - done:,} cached);"
                     f" {embedder.model_id}, {ctx.engine.describe()}")


def _answers_with_text(conn: sqlite3.Connection, questions: list[sqlite3.Row]) -> dict[str, int]:
    """Answers with some text, by question: what a stage's bar counts."""
    return {q["id"]: ws_responses.count_answers(conn, with_text=True, questions=[q["id"]]) for q in questions}


def stage_themes(ctx: Context) -> StageDone:
    """Embed each unit once (cached) and find candidate themes per question."""
    from consult.themes import ThemeFinder, ThemeResult, theme_split

    conn, embedder, params = ctx.conn, make_embedder(ctx), asdict(ctx.settings.themes)
    notes: list[str] = []
    found = texts = 0
    questions = ws_responses.text_questions(conn)
    answers = _answers_with_text(conn, questions)
    stage_bar = ctx.progress.bar("themes", sum(answers.values()))
    for q in questions:
        stage_bar.set_description(f"themes {q['id']}: read answers")
        units = analysis_units(conn, q["id"])
        texts += len(units)
        if units:
            emb = embed_texts(ctx, [u.text for u in units], embedder, f"themes {q['id']}: embed")
            stage_bar.set_description(f"themes {q['id']}: cluster and label {len(units):,} texts")
            result = ThemeFinder(**params).fit(
                [u.text for u in units], emb, weights=[u.weight for u in units],
                encoder=lambda phrases, qid=q["id"]: embed_texts(ctx, list(phrases), embedder, f"themes {qid}: label"))
        else:
            result = ThemeResult(themes=[], labels=np.zeros(0, dtype=int), unclustered=[], note="No substantive answers")
        # Every member of a campaign stands for the template's theme; additions are not theme members.
        members = [(rid, int(lab)) for u, lab in zip(units, result.labels.tolist()) if u.kind != "addition"
                   for rid in u.response_ids]
        split = {}
        if q["kind"] == "hybrid" and members:
            options = ws_responses.options(conn, q["id"])
            split = theme_split([lab for _, lab in members], [options.get(rid) or "No answer" for rid, _ in members])
        ws_themes.write_result(conn, q["id"], result, [u.response_ids[0] for u in units], members, split)
        found += len(result.themes)
        if result.note:
            notes.append(f"{q['id']}: {result.note}")
        stage_bar.update(answers[q["id"]])
    stage_bar.close()
    return StageDone(f"{found} candidate themes in {texts:,} distinct texts", notes)


def stage_assign(ctx: Context) -> StageDone:
    """Code every substantive answer against its question's codebook, learning from reviewers."""
    from consult.assign import MODEL_VERSION, CodeAssigner, embed_codebook
    from consult.codebook import codebook_folder
    from consult.tune import FineTuner
    from consult.workspace import code_edits

    conn, folder = ctx.conn, codebook_folder(ctx.config.path, ctx.config.id, ctx.settings.codebook.folder)
    embedder = make_embedder(ctx)
    params = asdict(ctx.settings.assign)
    tuner = FineTuner(model=embedder.model_path, show_progress=ctx.progress.enabled, **asdict(ctx.settings.tune))
    notes: list[str] = []
    coded = learnt = 0
    questions = ws_responses.text_questions(conn)
    answers = _answers_with_text(conn, questions)
    stage_bar = ctx.progress.bar("assign", sum(answers.values()))
    pending = 0  # answers of the question before, counted as done when the next one starts
    for q in questions:
        stage_bar.update(pending)
        stage_bar.set_description(f"assign {q['id']}")
        pending = answers[q["id"]]
        path = folder / f"{q['id']}.yaml"
        if path.is_file():  # changes made in the file or in the review app meet here; neither is dropped
            notes += code_edits.reconcile_codebook(conn, q["id"], path)
        codes = [c for c in ws_codes.workspace_codes(conn, q["id"]) if c.id not in (OTHER, NON_SUBSTANTIVE)]
        non_substantive = ws_dedupe.non_substantive_ids(conn, q["id"])
        if not codes:
            with transaction(conn):
                ws_codes.replace_suggestions(conn, q["id"], [])
                ws_runs.set_note(conn, q["id"], "assign", f"No codebook ({path.name}): answers are not coded yet")
            notes.append(f"{q['id']}: no codebook at {path}; answers not coded")
            continue
        units = analysis_units(conn, q["id"], chunk_words=CHUNK_WORDS)
        unit_texts = [u.text for u in units]
        emb = (embed_texts(ctx, unit_texts, embedder, f"assign {q['id']}: embed") if units
               else np.zeros((0, 0), np.float32))
        # What people decided is the training data.
        reviewed = ws_answers.decided_answers(conn, q["id"])
        known = {c.id for c in codes} | {OTHER}
        reviewed_texts = [text for _, text, _ in reviewed]
        labels = [(got & known) or {OTHER} for _, _, got in reviewed]
        r_emb = embed_texts(ctx, reviewed_texts, embedder, f"assign {q['id']}: embed") if reviewed else None
        code_emb = embed_codebook(codes, lambda t: embed_texts(ctx, list(t), embedder, f"assign {q['id']}: codebook"))
        with ctx.progress.bar(f"assign {q['id']}: learn from {len(reviewed):,} reviewed answers", None, unit="step"):
            assigner = CodeAssigner(**params).fit(
                codes, reviewed_texts, r_emb, labels, code_embeddings=code_emb,
                unlabeled_embeddings=emb if units else None, unlabeled_texts=unit_texts if units else None,
            )
        P = assigner.predict_proba(unit_texts, emb) if units else np.zeros((0, len(assigner.classes_)))
        version = MODEL_VERSION
        if units and tuner.enabled and len(reviewed) >= tuner.min_reviewed:
            # the encoder itself learns the reviewers' codes: slower, so cached (see consult.tune)
            from consult.tune import TUNE_VERSION, training_set, tuned_probabilities

            train_texts, train_labels = training_set(codes, reviewed_texts, labels)
            tuned = tuned_probabilities(
                conn, q["id"], tuner, embedder.model_id, train_texts, train_labels,
                [str(c) for c in assigner.classes_], unit_texts,
            )
            P = tuner.blend(P, tuned)
            version = f"{MODEL_VERSION}+{TUNE_VERSION}"
        per_response = response_codes(units, assigner.assignments(P, version))
        with transaction(conn):
            ws_codes.replace_suggestions(conn, q["id"], [
                (rid, code, round(conf, 6), version)
                for rid, slot in sorted(per_response.items()) for code, conf in sorted(slot.items())
            ] + [(rid, NON_SUBSTANTIVE, 1.0, MODEL_VERSION) for rid in non_substantive])
            ws_runs.set_note(conn, q["id"], "assign", None)
        ws_quality.draw(conn, q["id"], ctx.settings.quality)
        coded += len(per_response)
        learnt += len(reviewed)
    stage_bar.update(pending)
    stage_bar.close()
    return StageDone(f"{coded:,} answers coded, learning from {learnt:,} that people coded", notes)


def response_codes(units: list[Unit], predictions: list) -> dict[int, dict[str, float]]:
    """Each response's codes (code -> confidence) from its units' predictions: the most confident per code."""
    per_response: dict[int, dict[str, float]] = {}
    for u, pred in zip(units, predictions):
        for rid in u.response_ids:
            slot = per_response.setdefault(rid, {})
            for a in pred:
                slot[a.code] = max(slot.get(a.code, 0.0), float(a.confidence))
    for slot in per_response.values():
        # "Other" only where no passage or part of the answer made a point in the codebook.
        if len(slot) > 1:
            slot.pop(OTHER, None)
    return per_response


def record_quality(ctx: Context, run_id: int) -> list[str]:
    """Keep this run's quality-check estimate of each coded question; say which findings are still drafts."""
    notes = []
    for q in ws_responses.text_questions(ctx.conn):
        if not ws_quality.sample(ctx.conn, q["id"]):
            continue
        result = ws_quality.assess(ctx.conn, q["id"], ctx.settings.quality)
        ws_quality.store(ctx.conn, run_id, result)
        if result.status == "draft":
            notes.append(f"{q['id']}: draft: {result.checked} of {result.sampled} quality-check answers coded by"
                         " people so far; code the rest in the review app (Quality check) to test the model's codes")
    return notes


def draft_codebook(outdir: str | Path, question_id: str) -> Any:
    """A draft codebook for a question from its themes (:func:`consult.themes.propose_codebook`): near
    themes merged into a size people keep. Uses the vectors the analysis cached; when they are not there
    (themes written by other means), the stored themes are drafted as they are."""
    import json as _json

    from consult.embed import Embedder
    from consult.errors import ConsultError
    from consult.themes import CodebookDraft, Theme, ThemeResult, propose_codebook
    from consult.themes import draft_codebook as from_themes
    from consult.workspace import open_workspace

    conn = open_workspace(outdir)
    try:
        stored = sorted(ws_themes.themes(conn, question_id), key=lambda r: (-r["size"], r["theme_id"]))
        if not stored:
            raise ConsultError(f"no themes for question {question_id!r}; run `consult analyse` first", file=outdir)
        units = analysis_units(conn, question_id)
        theme_of = ws_themes.memberships(conn, question_id)
        labels = [-1 if u.kind == "addition" else theme_of.get(u.response_ids[0], -1) for u in units]
        settings = ws_runs.settings(conn)
        embedder = Embedder(model=settings.embed.model, precision=settings.embed.precision, show_progress=False)
        cached = EmbeddingCache(conn).get(embedder.model_id, [text_hash(u.text) for u in units])
        if units and len(cached) == len({text_hash(u.text) for u in units}) and max(labels) >= 0:
            emb = np.stack([cached[text_hash(u.text)] for u in units])
            draft = propose_codebook(question_id, [u.text for u in units], emb, labels, [u.weight for u in units],
                                     encoder=lambda xs: embed_cached(list(xs), embedder, EmbeddingCache(conn)))
        else:
            texts: list[str] = []
            found = []
            for r in stored:
                quotes = [q["text"] for q in ws_themes.theme_quotes(conn, question_id, r["theme_id"])]
                found.append(Theme(r["theme_id"], r["label"], _json.loads(r["terms_json"]),
                                   list(range(len(texts), len(texts) + len(quotes))), r["size"], []))
                texts += quotes
            draft = CodebookDraft(from_themes(ThemeResult(found, np.zeros(0, dtype=int), []), question_id, texts),
                                  0, [[t.id] for t in found])
    finally:
        conn.close()
    draft.codebook["title"] = "Draft from discovered themes: edit before use"
    return draft


def output_digest(conn: sqlite3.Connection) -> str:
    """SHA-256 over every free-text answer's final codes and theme, keyed by respondent and question.

    Two runs (or two engines) that agree on what each answer was coded and which theme it is in
    give the same digest; confidences are left out, as the last bits of a vector may differ
    between machines.
    """
    import hashlib

    digest = hashlib.sha256()
    for q in ws_responses.text_questions(conn):
        finals = ws_codes.final_codes(conn, question_id=q["id"])
        theme_of = ws_themes.memberships(conn, q["id"])
        for r in ws_responses.responses(conn, q["id"]):
            if r["text"] is None:
                continue
            row = [r["respondent_id"], q["id"], sorted(finals.get(r["id"], ())), theme_of.get(r["id"])]
            digest.update((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    return digest.hexdigest()


def ingest_notes(r: ws_responses.IngestResult) -> list[str]:
    """What the run log says about answers that left the input or came back."""
    notes = []
    if r.withdrawn_answers:
        notes.append(
            f"{r.withdrawn_answers} answers of {r.withdrawn_respondents} respondent"
            f"{'' if r.withdrawn_respondents == 1 else 's'} are withdrawn ({r.newly_withdrawn} since the last run): "
            "they left the input after people worked on them, so they are kept for the audit trail but not counted, "
            "quoted or exported; `consult purge-withdrawn` deletes them for good")
    if r.returned:
        notes.append(f"{r.returned} withdrawn answers are back in the input and count again")
    return notes


def stages() -> list[tuple[str, Stage]]:
    """The machine stages after loading, in order; each returns notes for the run log."""
    return [("dedupe", stage_dedupe), ("embed", stage_embed), ("themes", stage_themes), ("assign", stage_assign)]


def analyse(
    folder: str | Path,
    outdir: str | Path | None = None,
    *,
    progress: bool = True,
    skip: tuple[str, ...] = (),
    engine: Engine | None = None,
) -> AnalyseResult:
    """Run the whole analysis of the consultation in ``folder`` into ``outdir``.

    ``folder`` may also be a config file, or a data file: then the config beside it (if it reads that
    file) is used, or one is drafted into the output folder (kept for the next run, edits included).
    ``engine`` runs the embedding (default: a :class:`~consult.engine.LocalEngine`); the caller closes it.
    """
    from consult.report import write_summary

    bars = Progress(enabled=progress)
    seconds: dict[str, float] = {}
    log_lines: list[str] = []
    folder, drafted = config_for(folder, outdir)
    cfg = load_config(folder)
    with timed() as took:
        consultation = load(cfg, progress=bars)  # all validation before anything is written
    seconds["load"] = took[0]
    log_lines.append(f"load: {len(consultation.respondents):,} respondents, {len(consultation.responses):,} answers"
                     f" from {cfg.data_file.name} ({took[0]:.1f} s)")
    settings = Settings.from_tables(cfg.settings, file=cfg.path)
    out = Path(outdir) if outdir is not None else default_outdir(cfg)
    out.mkdir(parents=True, exist_ok=True)
    conn = connect(out / DB_NAME)
    try:
        run_id, notes = ws_runs.start_run(conn, __version__, consultation.input_hash,
                                          {"given": cfg.settings, "effective": settings.to_dict()})
        try:
            with timed() as took:
                ingested = ws_responses.ingest(conn, consultation, {
                    "path": str(cfg.path), "data_file": str(cfg.data_file), "layout": cfg.layout,
                    "settings": cfg.settings}, progress=bars)
            seconds["ingest"] = took[0]
            log_lines.append(f"ingest: {ingested.deleted:,} answers gone from the input deleted, "
                             f"{ingested.withdrawn_answers:,} withdrawn ({took[0]:.1f} s)")
            notes += ingest_notes(ingested)
            ctx = Context(conn, cfg, settings, bars, engine if engine is not None else LocalEngine())
            for name, stage in stages():
                if name in skip or (name == "embed" and {"themes", "assign"} <= set(skip)):
                    continue  # (the vectors are only for themes and assign)
                log.info("stage %s", name)
                with timed() as took:
                    done = stage(ctx)
                seconds[name] = took[0]
                log_lines.append(f"{name}: {done.summary} ({took[0]:.1f} s)")
                notes += done.notes
            notes += record_quality(ctx, run_id)
            summary = out / "summary.html"
            if "report" not in skip:
                with timed() as took:
                    summary = write_summary(conn, summary, progress=bars)
                seconds["report"] = took[0]
                log_lines.append(f"report: {summary.name} ({took[0]:.1f} s)")
        except KeyboardInterrupt:
            ws_runs.finish_run(conn, run_id, log_lines + notes, "interrupted")
            raise
        except BaseException:
            ws_runs.finish_run(conn, run_id, log_lines + notes, "failed")
            raise
        ws_runs.finish_run(conn, run_id, log_lines + notes)
    finally:
        conn.close()
    return AnalyseResult(
        outdir=out,
        db_path=out / DB_NAME,
        summary_path=summary,
        respondents=len(consultation.respondents),
        responses=len(consultation.responses),
        withdrawn=ingested.withdrawn_answers,
        log=log_lines,
        seconds=seconds,
        counts=ctx.counts,
        engine=ctx.engine.describe(),
        notes=notes,
        drafted_config=drafted,
    )
