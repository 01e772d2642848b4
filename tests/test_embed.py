"""Tests for consult.embed: cache, resumability, precision choice, the bundled model."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import numpy as np
import pytest

from consult.workspace.caches import EmbeddingCache
from consult.workspace.db import connect
from consult.embed import (
    Embedder,
    cpu_supports_bf16,
    embed_cached,
    normalize_rows,
    text_hash,
)
from consult.errors import ConsultError


class CountingEmbedder:
    """Deterministic fake: a vector from the text's hash; counts texts embedded."""

    model_id = "fake@fp32"
    show_progress = False

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls: list[list[str]] = []
        self.fail_after = fail_after

    @property
    def n_embedded(self) -> int:
        return sum(len(c) for c in self.calls)

    def embed(self, texts, *, show_progress=None):
        if self.fail_after is not None and self.n_embedded >= self.fail_after:
            raise KeyboardInterrupt
        self.calls.append(list(texts))
        vecs = [np.frombuffer(bytes.fromhex(text_hash(t))[:16], dtype=np.uint8) for t in texts]
        return normalize_rows(np.array(vecs, dtype=np.float32) + 1)


@pytest.fixture
def cache():
    return EmbeddingCache(connect(":memory:"))


def test_second_call_embeds_nothing(cache):
    texts = [f"answer {i}" for i in range(30)]
    fake = CountingEmbedder()
    first = embed_cached(texts, fake, cache, chunk_size=8)
    assert fake.n_embedded == 30
    again = CountingEmbedder()
    second = embed_cached(texts, again, cache, chunk_size=8)
    assert again.n_embedded == 0
    np.testing.assert_array_equal(first, second)
    assert cache.count("fake@fp32") == 30


def test_duplicates_embedded_once_and_order_kept(cache):
    texts = ["b", "a", "b", "a much longer answer", "a"]
    fake = CountingEmbedder()
    out = embed_cached(texts, fake, cache)
    assert fake.n_embedded == 3
    assert out.shape == (5, 16) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], out[4])
    direct = fake.embed(["a much longer answer"])[0]
    np.testing.assert_allclose(out[3], direct)


def test_interrupted_run_resumes_without_redoing_chunks(cache):
    texts = [f"text number {i}" for i in range(20)]
    broken = CountingEmbedder(fail_after=10)
    with pytest.raises(KeyboardInterrupt):
        embed_cached(texts, broken, cache, chunk_size=5)
    assert cache.count("fake@fp32") == 10  # two chunks committed before the stop
    resumed = CountingEmbedder()
    embed_cached(texts, resumed, cache, chunk_size=5)
    assert resumed.n_embedded == 10


def test_cache_separates_models(cache):
    fake = CountingEmbedder()
    embed_cached(["x", "y"], fake, cache)
    other = CountingEmbedder()
    other.model_id = "fake@bf16"
    embed_cached(["x", "y"], other, cache)
    assert other.n_embedded == 2
    assert cache.count() == 4


def test_cache_table_schema(cache):
    sql = cache.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'embeddings'").fetchone()[0]
    assert "PRIMARY KEY (model, text_hash)" in sql
    assert "dim INTEGER NOT NULL" in sql


def test_cpu_flag_detection(tmp_path):
    yes = tmp_path / "yes"
    yes.write_text("processor : 0\nflags\t\t: fpu sse avx512f avx512_bf16 avx512vl\n")
    no = tmp_path / "no"
    no.write_text("processor : 0\nflags\t\t: fpu sse avx2\n")
    assert cpu_supports_bf16(yes)
    assert not cpu_supports_bf16(no)
    assert not cpu_supports_bf16(tmp_path / "missing")


def test_bad_arguments(tmp_path):
    """A missing model folder is the user's to fix; a bad argument is the caller's."""
    with pytest.raises(ValueError):
        Embedder(precision="int8")
    with pytest.raises(ConsultError, match="model folder not found"):
        Embedder(tmp_path / "no-such-model")
    with pytest.raises(ValueError):
        embed_cached(["a"], CountingEmbedder(), EmbeddingCache(connect(":memory:")), chunk_size=0)


def test_model_id_names_precision():
    e32 = Embedder(precision="fp32")
    e16 = Embedder(precision="bf16")
    assert e32.model_id == "all-MiniLM-L6-v2@fp32"
    assert e16.model_id == "all-MiniLM-L6-v2@bf16"
    assert Embedder().precision in ("bf16", "fp32")


def test_import_is_cheap():
    code = "import sys, consult.embed; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_real_model_few_texts():
    """Loads the bundled model (a few seconds): similar answers are closer than unrelated ones."""
    texts = [
        "Children should get an advocate automatically.",
        "Advocacy should be offered to every child without them asking.",
        "The car park was full on Tuesday.",
    ]
    emb = Embedder(show_progress=False, precision="fp32")
    x = emb.embed(texts)
    assert x.shape == (3, 384) and x.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert x[0] @ x[1] > x[0] @ x[2] + 0.2
    # order kept: embedding one text alone gives the same row
    np.testing.assert_allclose(emb.embed([texts[2]])[0], x[2], atol=1e-5)
    if cpu_supports_bf16():
        xb = Embedder(show_progress=False, precision="bf16").embed(texts)
        assert np.min(np.sum(x * xb, axis=1)) > 0.99
