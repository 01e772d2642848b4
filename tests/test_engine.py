"""Engines (consult/engine.py): the local engine, resuming an interrupted analysis, and the Ray engine.

The Ray test compares the two engines' ``output_digest`` (every answer's final codes and theme):
the vectors themselves may differ in their last bits between processes with other thread counts,
so what is checked is that the codes and themes come out the same.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from consult.embed import embed_cached, normalize_rows, text_hash
from consult.engine import LocalEngine, RayEngine, length_order, make_engine
from consult.errors import ConsultError
from consult.pipeline import analyse, output_digest
from consult.workspace.caches import EmbeddingCache
from consult.workspace.db import connect

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "responses" / "advocacy-standards"


def fake_vectors(texts: list[str], dim: int = 32) -> np.ndarray:
    """Deterministic stand-in for the model: a vector from each text's hash, plus a shared part for shared words."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, t in enumerate(texts):
        out[i] = np.frombuffer(bytes.fromhex(text_hash(t)), dtype=np.uint8)[:dim] / 255.0
        for w in t.lower().split():
            out[i, int(text_hash(w)[:4], 16) % dim] += 1.0
    return normalize_rows(out)


class Encoder:
    """A fake ``encode(embedder, texts)`` that counts what it embeds and can stop the run midway."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.texts: list[str] = []
        self.stop_after = stop_after

    def __call__(self, embedder, texts):  # noqa: ANN001
        if self.stop_after is not None and len(self.texts) >= self.stop_after:
            raise KeyboardInterrupt  # as Ctrl-C would, between two chunks
        self.texts += texts
        return fake_vectors(list(texts))


class FakeEmbedder:
    model_id = "fake@fp32"


# --- the local engine ---------------------------------------------------------------------------


def test_local_engine_sends_length_sorted_chunks_and_keeps_input_order() -> None:
    texts = ["a", "a much longer text than the others", "mid length", "bb", "the longest text of them all, by far"]
    enc = Encoder()
    engine = LocalEngine(chunk_size=2, encode=enc)
    chunks = list(engine.embed_chunks(texts, FakeEmbedder()))
    assert [len(idx) for idx, _ in chunks] == [2, 2, 1]
    assert [texts[i] for idx, _ in chunks for i in idx] == sorted(texts, key=len, reverse=True)
    np.testing.assert_array_equal(engine.embed(texts, FakeEmbedder()), fake_vectors(texts))
    assert list(length_order(["x", "yyy", "zz", "www"])) == [1, 3, 2, 0]  # ties keep input order


def test_map_batches_keeps_order() -> None:
    calls = []

    def double(batch):  # noqa: ANN001
        calls.append(len(batch))
        return [2 * x for x in batch]

    assert LocalEngine().map_batches(double, list(range(10)), batch_size=4) == [2 * x for x in range(10)]
    assert calls == [4, 4, 2]


def test_embed_cached_with_an_engine_resumes_after_an_interrupt() -> None:
    cache = EmbeddingCache(connect(":memory:"))
    texts = [f"answer number {i} " + "word " * (i % 7) for i in range(40)]
    with pytest.raises(KeyboardInterrupt):
        embed_cached(texts, FakeEmbedder(), cache, engine=LocalEngine(chunk_size=8, encode=Encoder(stop_after=24)))
    assert cache.count("fake@fp32") == 24  # three chunks committed before the stop
    rest = Encoder()
    out = embed_cached(texts, FakeEmbedder(), cache, engine=LocalEngine(chunk_size=8, encode=rest))
    assert len(rest.texts) == 16
    np.testing.assert_allclose(out, fake_vectors(texts), rtol=1e-6)


def test_engine_choice_errors_are_one_line() -> None:
    with pytest.raises(ConsultError, match="unknown engine 'spark'"):
        make_engine("spark")
    with pytest.raises(ConsultError, match="--ray-address and --ray-workers go with --engine ray"):
        make_engine("local", address="ray://head:10001")
    assert isinstance(make_engine("local"), LocalEngine)


def test_ray_engine_without_ray_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    with pytest.raises(ConsultError, match=r"install consult\[ray\]"):
        make_engine("ray")


def test_cli_engine_ray_without_ray_fails_in_one_line(mini: Path, tmp_path: Path) -> None:
    """The CLI path, in a fresh process where ``import ray`` fails."""
    blocker = tmp_path / "noray"
    blocker.mkdir()
    (blocker / "ray.py").write_text("raise ImportError('no ray here')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), str(ROOT)])}
    run = subprocess.run([sys.executable, "-m", "consult.cli", "analyse", str(mini), "-o", str(tmp_path / "out"),
                          "--engine", "ray", "--no-progress"], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        "consult: error: the ray engine needs Ray: install consult[ray] (pip install 'consult[ray]')"]


# --- a whole analysis: the embed stage, resume, progress --------------------------------------


def bigger_mini(mini: Path, extra: int = 40) -> Path:
    """The mini fixture with ``extra`` more respondents, each with answers of their own."""
    with open(mini / "responses.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    subjects = ["advocates", "social workers", "children", "councils", "carers", "schools", "the standards"]
    verbs = ["should listen to", "must be independent of", "need more time with", "are not funded for", "explain"]
    for i in range(extra):
        a = f"{subjects[i % 7].capitalize()} {verbs[i % 5]} {subjects[(i * 3 + 1) % 7]} in case {i}."
        b = f"Point {i}: {verbs[(i + 2) % 5]} {subjects[(i + 4) % 7]}, " + "and more " * (i % 9) + "please."
        rows.append([f"X{i}", "As an individual", "", "Parent", "Yes", "London", "Agree", a, b, "Email"])
    with open(mini / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return mini


def digest(out: Path) -> str:
    conn = connect(out / "consult.db")
    try:
        return output_digest(conn)
    finally:
        conn.close()


def test_interrupted_analysis_resumes_embedding_only_what_is_left(mini: Path, tmp_path: Path) -> None:
    src = bigger_mini(mini)
    straight = Encoder()
    whole = analyse(src, tmp_path / "straight", progress=False, engine=LocalEngine(chunk_size=8, encode=straight))
    total = whole.counts["embedded"]
    assert total == whole.counts["distinct_texts"] > 40
    assert "embed" in whole.seconds and any(line.startswith("embed: ") for line in whole.log)

    out = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        analyse(src, out, progress=False, engine=LocalEngine(chunk_size=8, encode=Encoder(stop_after=32)))
    conn = connect(out / "consult.db")
    assert conn.execute("SELECT status FROM runs").fetchall()[0][0] == "interrupted"
    conn.close()
    rest = Encoder()
    again = analyse(src, out, progress=False, engine=LocalEngine(chunk_size=8, encode=rest))
    assert again.counts["embedded"] == total - 32
    # only the texts the first run had not finished, plus what later stages embed (labels, codebooks)
    assert len(rest.texts) == len(straight.texts) - 32
    assert digest(out) == digest(tmp_path / "straight")

    third = Encoder()
    analyse(src, out, progress=False, engine=LocalEngine(chunk_size=8, encode=third))
    assert third.texts == []  # everything cached


def test_progress_names_stage_and_question_with_counts(mini: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from consult import pipeline

    err = io.StringIO()

    class ToBuffer(pipeline.Progress):  # type: ignore[misc, valid-type]
        def __init__(self, enabled: bool = True, stream=None) -> None:  # noqa: ANN001
            super().__init__(enabled, err)

    monkeypatch.setattr(pipeline, "Progress", ToBuffer)
    result = analyse(bigger_mini(mini), tmp_path / "out", progress=True,
                     engine=LocalEngine(chunk_size=8, encode=Encoder()))
    shown = err.getvalue()
    for expected in ("load responses.csv", "dedupe q1", "embed", "themes q1", "assign q1"):
        assert expected in shown, expected
    assert "/" in shown and "<" in shown  # counts (done/total) and time left
    assert [line.split(":")[0] for line in result.log] == ["load", "ingest", "dedupe", "embed", "themes", "assign", "report"]


# --- the real model: progress silenced, and the Ray engine ---------------------------------------


@pytest.mark.slow
def test_no_progress_prints_nothing_not_even_loading_weights(mini: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = subprocess.run([sys.executable, "-m", "consult.cli", "analyse", str(mini), "-o", str(tmp_path / "a"),
                            "--no-progress"], capture_output=True, text=True, env=env, timeout=600)
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert "embed: " in quiet.stdout
    shown = subprocess.run([sys.executable, "-m", "consult.cli", "analyse", str(mini), "-o", str(tmp_path / "b"),
                            "--progress"], capture_output=True, text=True, env=env, timeout=600)
    assert shown.returncode == 0, shown.stderr
    assert shown.stderr.startswith("consult analyse ")  # the first thing a person sees
    assert "load responses.csv" in shown.stderr and "embed" in shown.stderr


def sample_slice(tmp_path: Path, respondents: int = 250) -> Path:
    """The first ``respondents`` rows of the bundled sample, with its config and codebooks."""
    dst = tmp_path / "sample"
    dst.mkdir()
    shutil.copy(SAMPLE / "consultation.toml", dst)
    with open(SAMPLE / "responses.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with open(dst / "responses.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows[:respondents + 1])
    shutil.copytree(ROOT / "codebook" / "advocacy-standards", dst / "codebook" / "advocacy-standards")
    return dst


@pytest.mark.slow
def test_ray_engine_gives_the_same_codes_and_themes_as_the_local_engine(tmp_path: Path) -> None:
    """Local Ray runtime, 2 workers: the same final codes and theme of every answer (output_digest)."""
    pytest.importorskip("ray.data", reason="the Ray engine is an extra: pip install 'consult[ray]'")
    src = sample_slice(tmp_path)
    local = analyse(src, tmp_path / "local", progress=False)
    with RayEngine(workers=2, chunk_size=64, min_texts=500, quiet=True) as engine:
        remote = analyse(src, tmp_path / "ray", progress=False, engine=engine)
        assert engine.texts_sent >= remote.counts["embedded"] > 500  # the Ray workers did the embedding
        assert remote.engine.startswith("ray engine, 2 workers")
    assert remote.counts["distinct_texts"] == local.counts["distinct_texts"]
    assert digest(tmp_path / "ray") == digest(tmp_path / "local")


@pytest.mark.slow
def test_ray_map_batches_runs_on_the_workers_and_keeps_order() -> None:
    pytest.importorskip("ray.data", reason="the Ray engine is an extra: pip install 'consult[ray]'")
    with RayEngine(workers=2, min_texts=0, quiet=True) as engine:
        # a lambda travels by value (a function of this test module would need tests/ on the workers' path)
        got = engine.map_batches(lambda batch: [(x * x, os.getpid()) for x in batch], list(range(100)), batch_size=7)
    assert [square for square, _ in got] == [x * x for x in range(100)]
    assert os.getpid() not in {pid for _, pid in got}
