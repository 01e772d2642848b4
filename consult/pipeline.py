"""``consult analyse``: load → (dedupe → embed → themes → codebook → assign) → report, into a workspace.

Each stage reads what the stage before it wrote to ``consult.db`` and writes its
own tables in one transaction, so an interrupted run leaves every finished
stage intact and a re-run never touches what reviewers decided.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from consult import __version__
from consult.config import Config, load_config
from consult.load import load
from consult.model import Consultation
from consult.store import DB_NAME, connect, now, override_target, transaction

log = logging.getLogger("consult")

# Tables whose rows hang off a response and belong to the machine stages.
MACHINE_TABLES = ("response_dedupe", "response_themes", "theme_quotes", "suggestions")
HUMAN_TABLES = ("review_state", "human_codes", "dedupe_overrides")


@dataclass
class AnalyseResult:
    outdir: Path
    db_path: Path
    summary_path: Path
    respondents: int
    responses: int
    kept_stale: int = 0
    notes: list[str] = field(default_factory=list)


def default_outdir(cfg: Config, base: str | Path = "outputs") -> Path:
    return Path(base) / cfg.id


def ingest(conn: sqlite3.Connection, c: Consultation, cfg: Config) -> int:
    """Write the loaded consultation into the workspace; return how many stale rows were kept.

    Upserts keep response ids stable across runs. A response that vanished from
    the input is deleted only when no person has touched it.
    """
    config_json = json.dumps(
        {"path": str(cfg.path), "data_file": str(cfg.data_file), "layout": cfg.layout, "settings": cfg.settings},
        sort_keys=True,
    )
    with transaction(conn):
        conn.execute(
            "INSERT INTO consultation (id, title, organisation, opened, closed, how, config_json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title=excluded.title,"
            " organisation=excluded.organisation, opened=excluded.opened, closed=excluded.closed,"
            " how=excluded.how, config_json=excluded.config_json",
            (c.id, c.title, c.organisation, c.opened, c.closed, c.how, config_json),
        )
        conn.execute("DELETE FROM consultation WHERE id != ?", (c.id,))
        conn.executemany(
            "INSERT INTO questions (id, position, text, kind, options_json) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET position=excluded.position, text=excluded.text,"
            " kind=excluded.kind, options_json=excluded.options_json",
            [(q.id, i, q.text, q.kind, json.dumps(list(q.options))) for i, q in enumerate(c.questions)],
        )
        conn.executemany(
            "INSERT INTO respondents (id, type, organisation, grp, consent, attributes_json, source_row)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET type=excluded.type,"
            " organisation=excluded.organisation, grp=excluded.grp, consent=excluded.consent,"
            " attributes_json=excluded.attributes_json, source_row=excluded.source_row",
            [
                (r.id, r.type, r.organisation, r.group,
                 None if r.consent is None else int(r.consent),
                 json.dumps(r.attributes, sort_keys=True, ensure_ascii=False), r.source_row)
                for r in c.respondents
            ],
        )
        conn.executemany(
            "INSERT INTO responses (respondent_id, question_id, option, text) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(respondent_id, question_id) DO UPDATE SET option=excluded.option, text=excluded.text",
            [(r.respondent_id, r.question_id, r.option, r.text) for r in c.responses],
        )
        # Rows that are no longer in the input.
        keep = {(r.respondent_id, r.question_id) for r in c.responses}
        existing = conn.execute("SELECT id, respondent_id, question_id FROM responses").fetchall()
        stale = [row["id"] for row in existing if (row["respondent_id"], row["question_id"]) not in keep]
        touched = set()
        for table in HUMAN_TABLES:
            touched |= {r[0] for r in conn.execute(f"SELECT response_id FROM {table}")}
        kept = 0
        for rid in stale:
            if rid in touched:
                kept += 1
                continue
            for table in MACHINE_TABLES:
                conn.execute(f"DELETE FROM {table} WHERE response_id = ?", (rid,))
            conn.execute("DELETE FROM responses WHERE id = ?", (rid,))
        # Respondents gone from the input, once none of their answers are left.
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS current_respondents (id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM current_respondents")
        conn.executemany("INSERT INTO current_respondents VALUES (?)", [(r.id,) for r in c.respondents])
        conn.execute(
            "DELETE FROM respondents WHERE id NOT IN (SELECT id FROM current_respondents)"
            " AND id NOT IN (SELECT respondent_id FROM responses)"
        )
    return kept


Stage = Callable[[sqlite3.Connection, Config, bool], list[str]]


def _settings(cfg: Config, name: str) -> dict:
    return dict(cfg.settings.get(name, {}))


def _stage_classes() -> dict[str, type]:
    from consult.assign import CodeAssigner
    from consult.dedupe import Deduplicator
    from consult.embed import Embedder
    from consult.themes import ThemeFinder
    from consult.tune import FineTuner

    return {"dedupe": Deduplicator, "embed": Embedder, "themes": ThemeFinder, "assign": CodeAssigner,
            "tune": FineTuner}


# Settings the pipeline fills in itself, and defaults that make runs reproducible.
_OWN = {"embed": {"show_progress"}, "themes": set(), "dedupe": set(), "assign": set(),
        "tune": {"model", "show_progress"}}
_DEFAULTS = {"themes": {"random_state": 42}, "assign": {"random_state": 0}, "dedupe": {"random_state": 0}}


def stage_params(cfg: Config, name: str) -> dict:
    """A stage's settings from the config's [name] table, checked against what the stage takes."""
    import inspect

    from consult.errors import ConsultError

    params = {**_DEFAULTS.get(name, {}), **_settings(cfg, name)}
    target = _stage_classes()[name]
    accepted = set(inspect.signature(target).parameters) - _OWN[name]
    unknown = sorted(set(params) - accepted - ({"model"} if name == "embed" else set()))
    if unknown:
        raise ConsultError(
            f"[{name}]: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(accepted))}", file=cfg.path
        )
    signature = inspect.signature(target).parameters
    for key, value in params.items():
        if key in signature and not _fits(value, signature[key]):
            raise ConsultError(f"[{name}]: {value!r} is not a valid {key}", file=cfg.path)
    return params


def _fits(value: object, param) -> bool:  # noqa: ANN001 - an inspect.Parameter
    """Whether a TOML/YAML value has the type a stage parameter expects (from its default or annotation)."""
    default = param.default
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(value, bool):
        return default is None and "bool" in str(param.annotation)
    number = isinstance(value, (int, float))
    if isinstance(default, float):
        return number
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, tuple):
        return isinstance(value, (list, tuple))
    annotation = str(param.annotation)
    if "float" in annotation:
        return number
    if "int" in annotation:
        return isinstance(value, int)
    return True


def check_settings(cfg: Config) -> None:
    """Build every stage's object from the config once, so bad settings stop a run before it writes."""
    from consult.errors import ConsultError

    classes = _stage_classes()
    for name in ("dedupe", "themes", "assign", "tune"):
        try:
            obj = classes[name](**stage_params(cfg, name))
            if name == "dedupe":
                obj.fit([])  # the deduplicator checks its ranges when fitting
        except ConsultError as e:
            raise ConsultError(f"[{name}]: {e.message}", file=cfg.path) from None
        except (TypeError, ValueError) as e:
            raise ConsultError(f"[{name}]: {e}", file=cfg.path) from None
    embed = stage_params(cfg, "embed")
    if not isinstance(embed.get("model", ""), str):
        raise ConsultError("[embed]: model must be a path", file=cfg.path)
    extra = set(_settings(cfg, "codebook")) - {"folder"}
    if extra:
        raise ConsultError(f"[codebook]: unknown setting(s) {', '.join(sorted(extra))}; known: folder", file=cfg.path)


def _text_questions(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT id, kind FROM questions WHERE kind IN ('open', 'hybrid') ORDER BY position").fetchall()


def _set_note(conn: sqlite3.Connection, question_id: str, stage: str, note: str | None) -> None:
    conn.execute("DELETE FROM question_notes WHERE question_id = ? AND stage = ?", (question_id, stage))
    if note:
        conn.execute("INSERT INTO question_notes VALUES (?, ?, ?)", (question_id, stage, note))


# --- deduplicate -----------------------------------------------------------------------


def stage_dedupe(conn: sqlite3.Connection, cfg: Config, progress: bool) -> list[str]:
    """Classify every free-text answer: unique, exact or near copy, campaign, or non-substantive."""
    from consult.dedupe import Deduplicator

    params = stage_params(cfg, "dedupe")
    for q in _text_questions(conn):
        rows = conn.execute(
            "SELECT id, text FROM responses WHERE question_id = ? ORDER BY id", (q["id"],)
        ).fetchall()
        overrides = {
            r["response_id"]: override_target(r["decision"], q["id"])
            for r in conn.execute(
                "SELECT o.response_id, o.decision FROM dedupe_overrides o"
                " JOIN responses r ON r.id = o.response_id WHERE r.question_id = ?",
                (q["id"],),
            )
        }
        result = Deduplicator(**params).fit(
            [r["text"] for r in rows], ids=[r["id"] for r in rows], overrides=overrides
        ).result_

        def gid(g: str | None, qid: str = q["id"]) -> str | None:
            """Group and campaign ids made unique across questions."""
            return None if g is None else f"{qid}:{g}"

        with transaction(conn):
            conn.execute(
                "DELETE FROM response_dedupe WHERE response_id IN (SELECT id FROM responses WHERE question_id = ?)",
                (q["id"],),
            )
            conn.execute("DELETE FROM dedupe_groups WHERE question_id = ?", (q["id"],))
            conn.execute("DELETE FROM campaigns WHERE question_id = ?", (q["id"],))
            for g in result.groups:
                if g.is_campaign:
                    conn.execute(
                        "INSERT INTO campaigns (id, question_id, template, size) VALUES (?, ?, ?, ?)",
                        (gid(g.group_id), q["id"], g.canonical_text, g.size),
                    )
            conn.executemany(
                "INSERT INTO dedupe_groups (id, question_id, canonical_response_id, canonical_text, size, campaign_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (gid(g.group_id), q["id"], g.canonical_id, g.canonical_text, g.size,
                     gid(g.group_id) if g.is_campaign else None)
                    for g in result.groups
                ],
            )
            conn.executemany(
                "INSERT INTO response_dedupe (response_id, kind, group_id, campaign_id, similarity,"
                " personal_addition, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (rec.id, rec.kind, gid(rec.group_id), gid(rec.campaign_id), rec.similarity,
                     rec.personal_addition or None, rec.non_substantive)
                    for rec in result.records
                ],
            )
    return []


# --- analysis units --------------------------------------------------------------------


@dataclass
class Unit:
    """A text analysed once: an answer, a campaign template (weighted) or a personal addition."""

    text: str
    weight: float
    response_ids: list[int]
    kind: str  # answer | template | addition


# The model reads about 256 word pieces (~180 words) of a text; longer answers are
# coded in passages so that points made late in a long submission are not lost.
CHUNK_WORDS = 150


def passages(text: str, max_words: int = CHUNK_WORDS) -> list[str]:
    """A long text cut at sentence ends into passages of at most about ``max_words`` words."""
    from consult.dedupe import split_sentences

    if len(text.split()) <= max_words:
        return [text]
    out: list[str] = []
    current: list[str] = []
    count = 0
    for sentence in split_sentences(text):
        n = len(sentence.split())
        if current and count + n > max_words:
            out.append(" ".join(current))
            current, count = [], 0
        current.append(sentence.strip())
        count += n
    if current:
        out.append(" ".join(current))
    return out


def analysis_units(conn: sqlite3.Connection, question_id: str, chunk_words: int | None = None) -> list[Unit]:
    """What later stages analyse for a question: every substantive answer once.

    A campaign's template counts once with the campaign's size as its weight, and
    each member's personal addition is analysed as an answer of its own. With
    ``chunk_words``, answers longer than that are analysed in passages.
    """
    rows = conn.execute(
        "SELECT r.id, r.text, d.kind, d.campaign_id, d.personal_addition FROM responses r"
        " LEFT JOIN response_dedupe d ON d.response_id = r.id"
        " WHERE r.question_id = ? ORDER BY r.id",
        (question_id,),
    ).fetchall()
    units: list[Unit] = []
    campaigns: dict[str, Unit] = {}
    templates = {
        r["id"]: r["template"] for r in conn.execute("SELECT id, template FROM campaigns WHERE question_id = ?", (question_id,))
    }
    for r in rows:
        text = (r["text"] or "").strip()
        if not text or r["kind"] == "non-substantive":
            continue
        if r["kind"] == "campaign" and r["campaign_id"] in templates:
            unit = campaigns.get(r["campaign_id"])
            if unit is None:
                unit = campaigns[r["campaign_id"]] = Unit(templates[r["campaign_id"]], 0.0, [], "template")
                units.append(unit)
            unit.weight += 1
            unit.response_ids.append(r["id"])
            addition = (r["personal_addition"] or "").strip()
            if addition:
                units.append(Unit(addition, 1.0, [r["id"]], "addition"))
        elif chunk_words and len(text.split()) > chunk_words:
            units += [Unit(p, 1.0, [r["id"]], "passage") for p in passages(text, chunk_words)]
        else:
            units.append(Unit(text, 1.0, [r["id"]], "answer"))
    return units


# --- embed and find themes -------------------------------------------------------------


_EMBEDDERS: dict[str, object] = {}


def make_embedder(cfg: Config, progress: bool):
    """The configured embedder ([embed] table); loaded once per process and reused."""
    from consult.embed import Embedder

    params = stage_params(cfg, "embed")
    model = params.pop("model", None)
    if model is not None and not Path(str(model)).is_absolute():
        model = str((cfg.path.parent / str(model)).resolve())
    key = json.dumps([model, params], sort_keys=True, default=str)
    embedder = _EMBEDDERS.get(key)
    if embedder is None:
        embedder = _EMBEDDERS[key] = Embedder(model=model, show_progress=progress, **params)
    embedder.show_progress = progress  # type: ignore[attr-defined]
    return embedder


def unit_embeddings(conn: sqlite3.Connection, units: list[Unit], embedder) -> np.ndarray:
    from consult.embed import EmbeddingCache, embed_cached

    return embed_cached([u.text for u in units], embedder, EmbeddingCache(conn))


def stage_themes(conn: sqlite3.Connection, cfg: Config, progress: bool) -> list[str]:
    """Embed each unit once (cached) and find candidate themes per question."""
    from consult.themes import ThemeFinder, theme_split

    embedder = make_embedder(cfg, progress)
    params = stage_params(cfg, "themes")
    notes: list[str] = []
    for q in _text_questions(conn):
        units = analysis_units(conn, q["id"])
        emb = unit_embeddings(conn, units, embedder) if units else None
        texts = [u.text for u in units]
        weights = [u.weight for u in units]
        if units:
            result = ThemeFinder(**params).fit(texts, emb, weights=weights)
        else:
            from consult.themes import ThemeResult

            result = ThemeResult(themes=[], labels=np.zeros(0, dtype=int), unclustered=[], note="No substantive answers")
        options = {
            r["id"]: r["option"]
            for r in conn.execute("SELECT id, option FROM responses WHERE question_id = ?", (q["id"],))
        }
        # Split by closed answer counts respondents: a template stands for each member's own answer.
        split_labels, split_answers = [], []
        for u, lab in zip(units, result.labels.tolist()):
            if u.kind == "addition":
                continue
            for rid in u.response_ids:
                split_labels.append(lab)
                split_answers.append(options.get(rid) or "No answer")
        split = theme_split(split_labels, split_answers) if q["kind"] == "hybrid" and split_labels else {}
        with transaction(conn):
            conn.execute(
                "DELETE FROM response_themes WHERE question_id = ?", (q["id"],)
            )
            conn.execute("DELETE FROM theme_quotes WHERE question_id = ?", (q["id"],))
            conn.execute("DELETE FROM themes WHERE question_id = ?", (q["id"],))
            for t in result.themes:
                conn.execute(
                    "INSERT INTO themes (question_id, theme_id, label, terms_json, size, split_json) VALUES (?, ?, ?, ?, ?, ?)",
                    (q["id"], t.id, t.label, json.dumps(t.terms), float(t.size),
                     json.dumps(split.get(t.id, {}), sort_keys=True)),
                )
                for rank, i in enumerate(t.quotes):
                    conn.execute(
                        "INSERT INTO theme_quotes (question_id, theme_id, response_id, rank) VALUES (?, ?, ?, ?)",
                        (q["id"], t.id, units[i].response_ids[0], rank),
                    )
            for u, lab in zip(units, result.labels.tolist()):
                if u.kind == "addition":
                    continue
                conn.executemany(
                    "INSERT OR REPLACE INTO response_themes (response_id, question_id, theme_id) VALUES (?, ?, ?)",
                    [(rid, q["id"], int(lab)) for rid in u.response_ids],
                )
            _set_note(conn, q["id"], "themes", result.note)
        if result.note:
            notes.append(f"{q['id']}: {result.note}")
    return notes


# --- codebook and assign ---------------------------------------------------------------


def codebook_folder(cfg: Config) -> Path:
    """Where the consultation's codebooks live: [codebook] folder, else codebook/<id>/ up from the config."""
    folder = _settings(cfg, "codebook").get("folder")
    if folder:
        return (cfg.path.parent / str(folder)).resolve()
    for base in [cfg.path.parent, *cfg.path.parent.parents]:
        candidate = base / "codebook" / cfg.id
        if candidate.is_dir():
            return candidate
    return cfg.path.parent / "codebook"


def sync_codebook(conn: sqlite3.Connection, question_id: str, codebook) -> None:
    """Bring the workspace codes in line with the codebook file; reviewers' edits win."""
    existing = {
        r["id"]: r for r in conn.execute("SELECT * FROM codes WHERE question_id = ?", (question_id,))
    }
    in_file = set()
    for pos, code in enumerate(codebook):
        in_file.add(code.id)
        row = existing.get(code.id)
        if row is not None and row["source"] == "reviewer":
            continue
        values = (
            code.label, code.description, json.dumps(list(code.examples), ensure_ascii=False),
            json.dumps(list(code.counter_examples), ensure_ascii=False), code.parent, code.colour,
            int(code.builtin), pos,
        )
        if row is None:
            conn.execute(
                "INSERT INTO codes (question_id, id, label, description, examples_json, counter_examples_json,"
                " parent, colour, builtin, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (question_id, code.id, *values),
            )
        else:
            conn.execute(
                "UPDATE codes SET label=?, description=?, examples_json=?, counter_examples_json=?, parent=?,"
                " colour=?, builtin=?, position=?, status='active' WHERE question_id=? AND id=?",
                (*values, question_id, code.id),
            )
    for cid, row in existing.items():
        if cid not in in_file and row["source"] == "file" and row["status"] == "active":
            conn.execute("UPDATE codes SET status='deleted' WHERE question_id=? AND id=?", (question_id, cid))


def workspace_codes(conn: sqlite3.Connection, question_id: str) -> list:
    """The active codes of a question in the workspace, as codebook Codes."""
    from consult.codebook import Code

    return [
        Code(
            id=r["id"], label=r["label"], description=r["description"],
            examples=tuple(json.loads(r["examples_json"])), counter_examples=tuple(json.loads(r["counter_examples_json"])),
            parent=r["parent"], colour=r["colour"], builtin=bool(r["builtin"]),
        )
        for r in conn.execute(
            "SELECT * FROM codes WHERE question_id = ? AND status = 'active' ORDER BY position, id", (question_id,)
        )
    ]


def stage_assign(conn: sqlite3.Connection, cfg: Config, progress: bool) -> list[str]:
    """Code every substantive answer against its question's codebook, learning from reviewers."""
    from consult.assign import MODEL_VERSION, CodeAssigner, embed_codebook
    from consult.codebook import load_codebook
    from consult.tune import FineTuner

    folder = codebook_folder(cfg)
    embedder = make_embedder(cfg, progress)
    params = stage_params(cfg, "assign")
    tuner = FineTuner(model=embedder.model_path, show_progress=progress, **stage_params(cfg, "tune"))
    notes: list[str] = []
    for q in _text_questions(conn):
        path = folder / f"{q['id']}.yaml"
        with transaction(conn):
            if path.is_file():
                sync_codebook(conn, q["id"], load_codebook(path))
        codes = [c for c in workspace_codes(conn, q["id"]) if c.id not in ("other", "non-substantive")]
        rows = conn.execute(
            "SELECT r.id, d.kind FROM responses r LEFT JOIN response_dedupe d ON d.response_id = r.id"
            " WHERE r.question_id = ? AND (trim(coalesce(r.text, '')) = '' OR d.kind = 'non-substantive')",
            (q["id"],),
        ).fetchall()
        non_substantive = [r["id"] for r in rows]
        if not codes:
            with transaction(conn):
                conn.execute(
                    "DELETE FROM suggestions WHERE response_id IN (SELECT id FROM responses WHERE question_id = ?)",
                    (q["id"],),
                )
                _set_note(conn, q["id"], "assign", f"No codebook ({path.name}): answers are not coded yet")
            notes.append(f"{q['id']}: no codebook at {path}; answers not coded")
            continue
        units = analysis_units(conn, q["id"], chunk_words=CHUNK_WORDS)
        emb = unit_embeddings(conn, units, embedder) if units else np.zeros((0, 0), np.float32)
        # What people decided is the training data.
        reviewed = conn.execute(
            "SELECT r.id, r.text FROM responses r JOIN review_state s ON s.response_id = r.id AND s.decided = 1"
            " WHERE r.question_id = ? AND trim(coalesce(r.text, '')) != '' ORDER BY r.id",
            (q["id"],),
        ).fetchall()
        known = {c.id for c in codes} | {"other"}
        labels = []
        for r in reviewed:
            got = {
                x[0] for x in conn.execute("SELECT code_id FROM human_codes WHERE response_id = ?", (r["id"],))
            }
            got = (got & known) or {"other"}
            labels.append(got)
        reviewed_texts = [r["text"] for r in reviewed]
        from consult.embed import EmbeddingCache, embed_cached

        r_emb = embed_cached(reviewed_texts, embedder, EmbeddingCache(conn)) if reviewed else None
        code_emb = embed_codebook(codes, lambda t: embed_cached(list(t), embedder, EmbeddingCache(conn)))
        assigner = CodeAssigner(**params).fit(
            codes, reviewed_texts, r_emb, labels, code_embeddings=code_emb,
            unlabeled_embeddings=emb if len(units) else None,
            unlabeled_texts=[u.text for u in units] if units else None,
        )
        unit_texts = [u.text for u in units]
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
        predictions = assigner.assignments(P, version)
        per_response: dict[int, dict[str, float]] = {}
        for u, pred in zip(units, predictions):
            for rid in u.response_ids:
                slot = per_response.setdefault(rid, {})
                for a in pred:
                    slot[a.code] = max(slot.get(a.code, 0.0), float(a.confidence))
        for slot in per_response.values():
            # "Other" only where no passage or part of the answer made a point in the codebook.
            if len(slot) > 1:
                slot.pop("other", None)
        with transaction(conn):
            conn.execute(
                "DELETE FROM suggestions WHERE response_id IN (SELECT id FROM responses WHERE question_id = ?)",
                (q["id"],),
            )
            conn.executemany(
                "INSERT INTO suggestions (response_id, code_id, confidence, model_version) VALUES (?, ?, ?, ?)",
                [
                    (rid, code, round(conf, 6), version)
                    for rid, slot in sorted(per_response.items())
                    for code, conf in sorted(slot.items())
                ]
                + [(rid, "non-substantive", 1.0, MODEL_VERSION) for rid in non_substantive],
            )
            _set_note(conn, q["id"], "assign", None)
    return notes


def stages() -> list[tuple[str, Stage]]:
    """The machine stages after loading, in order; each returns notes for the run log."""
    return [("dedupe", stage_dedupe), ("themes", stage_themes), ("assign", stage_assign)]


def analyse(
    folder: str | Path,
    outdir: str | Path | None = None,
    *,
    progress: bool = True,
    skip: tuple[str, ...] = (),
) -> AnalyseResult:
    """Run the whole analysis of the consultation in ``folder`` into ``outdir``."""
    from consult.report import write_summary

    cfg = load_config(folder)
    consultation = load(cfg)  # all validation before anything is written
    check_settings(cfg)
    out = Path(outdir) if outdir is not None else default_outdir(cfg)
    out.mkdir(parents=True, exist_ok=True)
    conn = connect(out / DB_NAME)
    try:
        with transaction(conn):
            run_id = conn.execute(
                "INSERT INTO runs (started, version, input_hash, settings_json) VALUES (?, ?, ?, ?)",
                (now(), __version__, consultation.input_hash, json.dumps(cfg.settings, sort_keys=True)),
            ).lastrowid
        kept = ingest(conn, consultation, cfg)
        notes: list[str] = []
        if kept:
            notes.append(f"{kept} answers no longer in the input were kept because reviewers had worked on them")
        for name, stage in stages():
            if name in skip:
                continue
            log.info("stage %s", name)
            notes += stage(conn, cfg, progress)
        summary = write_summary(conn, out / "summary.html")
        with transaction(conn):
            conn.execute("UPDATE runs SET finished = ?, status = 'finished' WHERE id = ?", (now(), run_id))
    finally:
        conn.close()
    return AnalyseResult(
        outdir=out,
        db_path=out / DB_NAME,
        summary_path=summary,
        respondents=len(consultation.respondents),
        responses=len(consultation.responses),
        kept_stale=kept,
        notes=notes,
    )
