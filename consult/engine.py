"""Engines: where the heavy, parallel work of an analysis runs.

An engine embeds texts (and runs other batch work given to :meth:`Engine.map_batches`);
the pipeline picks one with ``consult analyse --engine local|ray``, and everything else
stays the same whichever it is:

- :class:`LocalEngine` works in this process, with the model loaded once (the default);
- :class:`RayEngine` sends the work to a Ray cluster as Ray Data batch jobs: a pool of
  actors, each loading the bundled model once, is fed length-sorted batches, and the
  results stream back to this process (the driver), which alone writes the workspace.
  So what people decided, the audit trail and resuming an interrupted run work as they
  do locally: each chunk of vectors is committed to the cache as it comes back.

Both yield vectors in chunks of at most ``chunk_size`` texts, so the caller can save
each chunk as it arrives. Ray is an optional extra (``pip install 'consult[ray]'``),
imported only when the Ray engine is chosen.
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from consult.errors import ConsultError

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")

Encode = Callable[[Any, list[str]], np.ndarray]


def length_order(texts: Sequence[str]) -> np.ndarray:
    """Positions of ``texts`` longest first (ties in input order): batches of similar lengths pad little."""
    return np.argsort([-len(t) for t in texts], kind="stable")


def _default_encode(embedder: Any, texts: list[str]) -> np.ndarray:
    return embedder.embed(texts, show_progress=False)


class Engine:
    """What every engine offers; subclasses say how the chunks are computed."""

    name = "engine"

    def __init__(self, chunk_size: int = 256) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
        self.chunk_size = chunk_size

    @property
    def workers(self) -> int:
        """How many processes embed at once."""
        return 1

    def describe(self) -> str:
        """For the run log: e.g. ``local engine`` or ``ray engine, 2 workers``."""
        return f"{self.name} engine"

    def embed_chunks(self, texts: Sequence[str], embedder: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Vectors of ``texts`` as (positions in ``texts``, vectors) chunks, in the order they finish."""
        raise NotImplementedError

    def embed(self, texts: Sequence[str], embedder: Any) -> np.ndarray:
        """Vectors of ``texts``, in input order (no cache: see :func:`consult.embed.embed_cached`)."""
        texts = [str(t) for t in texts]
        out: np.ndarray | None = None
        for idx, vecs in self.embed_chunks(texts, embedder):
            vecs = np.asarray(vecs, dtype=np.float32)
            if out is None:
                out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            out[idx] = vecs
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

    def map_batches(self, fn: Callable[[list[Any]], list[Any]], items: Sequence[Any], batch_size: int = 1000) -> list[Any]:
        """``fn`` applied to consecutive batches of ``items``; the results joined, in input order.

        ``fn`` must return one result per item and must not touch the workspace (on a cluster it
        runs on another machine).
        """
        out: list[Any] = []
        for lo in range(0, len(items), batch_size):
            out.extend(fn(list(items[lo:lo + batch_size])))
        return out

    def close(self) -> None:
        """Release what the engine started."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class LocalEngine(Engine):
    """Everything in this process: length-sorted chunks through the embedder, one after another.

    ``encode(embedder, texts) -> vectors`` replaces the model (tests use a fake one).
    """

    name = "local"

    def __init__(self, chunk_size: int = 256, encode: Encode | None = None) -> None:
        super().__init__(chunk_size)
        self.encode = encode or _default_encode

    def embed_chunks(self, texts: Sequence[str], embedder: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        texts = [str(t) for t in texts]
        order = length_order(texts)
        for lo in range(0, len(texts), self.chunk_size):
            idx = order[lo:lo + self.chunk_size]
            yield idx, np.asarray(self.encode(embedder, [texts[i] for i in idx]), dtype=np.float32)


class EmbedWorker:
    """A Ray actor: loads the model once, then embeds each batch it is given ({"i", "text"} -> {"i", "vector"})."""

    def __init__(self, model: str | None, precision: str, batch_size: int) -> None:
        from consult.embed import Embedder
        from consult.progress import Progress

        Progress(enabled=False).libraries()  # no "Loading weights" bars from the workers
        self.embedder = Embedder(model=model, precision=precision, batch_size=batch_size, show_progress=False,
                                 device="auto")
        _ = self.embedder.model  # load now, once per worker

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.embed([str(t) for t in batch["text"]], show_progress=False)
        return {"i": np.asarray(batch["i"], dtype=np.int64), "vector": vectors.astype(np.float32)}


def _call_in_batches(batch: dict[str, np.ndarray], fn: Callable[[list[Any]], list[Any]]) -> dict[str, np.ndarray]:
    import pickle

    items = [pickle.loads(b) for b in batch["item"]]
    results = fn(items)
    if len(results) != len(items):
        raise ValueError(f"map_batches: fn returned {len(results)} results for {len(items)} items")
    return {"i": np.asarray(batch["i"], dtype=np.int64),
            "result": np.array([pickle.dumps(r) for r in results], dtype=object)}


class RayEngine(Engine):
    """Embedding as a Ray Data job on a Ray cluster (or on a local Ray runtime when no address is given).

    Parameters
    ----------
    address:
        A running cluster's address (``ray://head:10001`` through Ray Client, or ``auto`` / ``HOST:6379``
        from a node of the cluster); ``None`` starts a local Ray runtime on this machine for the run.
    workers:
        Actors in the pool, each with its own copy of the model; default: one per CPU of the cluster
        (one per GPU when it has GPUs).
    cpus_per_worker:
        CPUs each actor reserves (its torch threads); default: the CPUs divided among the workers,
        at most one node's worth.
    chunk_size:
        Texts per Ray batch: each is sorted by length, embedded by one actor, and committed to the
        cache by the driver as soon as it is back.
    min_texts:
        Fewer texts than this are embedded in this process (a Ray job costs seconds to start):
        e.g. a theme's candidate labels or a codebook's examples.
    quiet:
        No Ray log lines or progress bars (``--no-progress``).
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        *,
        workers: int | None = None,
        cpus_per_worker: float | None = None,
        chunk_size: int = 256,
        min_texts: int = 2000,
        quiet: bool = False,
        local_encode: Encode | None = None,
    ) -> None:
        super().__init__(chunk_size)
        if workers is not None and workers < 1:
            raise ConsultError(f"--ray-workers must be at least 1, not {workers}")
        try:
            import ray  # noqa: F401
            import ray.data  # noqa: F401
        except ImportError:
            raise ConsultError("the ray engine needs Ray: install consult[ray] (pip install 'consult[ray]')") from None
        self.address = address
        self.requested_workers = workers
        self.requested_cpus = cpus_per_worker
        self.min_texts = min_texts
        self.quiet = quiet
        self.local = LocalEngine(chunk_size, local_encode)
        self._started = False
        self._pool: tuple[int, float, float] | None = None
        self.texts_sent = 0  # texts embedded by the cluster's workers (not by this process)

    # --- the Ray runtime ---------------------------------------------------------------------

    def _ray(self) -> Any:
        """The ``ray`` module, connected (started locally on first use when no address was given)."""
        import ray

        if not ray.is_initialized():
            self._quiet_logs()
            kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=not self.quiet,
                                          logging_level=logging.WARNING)
            if self.address is None:
                kwargs["num_cpus"] = max(os.cpu_count() or 1, self.requested_workers or 0)
                # Workers import consult the way this process does (a checkout on PYTHONPATH included).
                kwargs["runtime_env"] = {"env_vars": {"PYTHONPATH": os.pathsep.join(_import_path())}}
            try:
                ray.init(address=self.address, **kwargs)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = f"at {self.address}" if self.address else "on this machine"
                raise ConsultError(f"cannot start or reach a Ray cluster {where}: {exc}") from exc
            self._started = True
        return ray

    def _quiet_logs(self) -> None:
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the driver shows its own bar: texts, rate, time left
        ctx.print_on_execution_start = False
        ctx.enable_auto_log_stats = False
        # Ray's own warnings (token set-up, "progress bars disabled") say nothing a person can act on;
        # its errors surface as exceptions.
        for name in ("ray", "ray.data", "ray._private", "ray.util"):
            logging.getLogger(name).setLevel(logging.ERROR)

    def pool(self) -> tuple[int, float, float]:
        """(workers, CPUs per worker, GPUs per worker) for this cluster."""
        if self._pool is None:
            ray = self._ray()
            total = ray.cluster_resources()
            cpus, gpus = float(total.get("CPU", 1)), float(total.get("GPU", 0))
            nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
            node_cpus = max([float(r.get("CPU", 0)) for r in nodes] or [cpus])
            if self.requested_workers:
                workers = self.requested_workers
            else:
                workers = int(gpus) if gpus >= 1 else max(1, int(cpus))
            gpu_each = 1.0 if gpus >= workers and gpus >= 1 else 0.0
            cpu_each = self.requested_cpus or max(1.0, min(node_cpus, math.floor(cpus / workers)))
            self._pool = (workers, float(cpu_each), gpu_each)
        return self._pool

    @property
    def workers(self) -> int:
        return self.pool()[0]

    def describe(self) -> str:
        if self._pool is None:  # never needed: every job was small enough for this process
            return f"ray engine (at {self.address or 'a local Ray runtime'}; not started: nothing large to embed)"
        workers, cpus, gpus = self.pool()
        where = self.address or "a local Ray runtime"
        each = f"{gpus:g} GPU" if gpus else f"{cpus:g} CPU{'s' if cpus != 1 else ''}"
        return f"ray engine, {workers} worker{'s' if workers != 1 else ''} of {each} on {where}"

    def _restarts(self) -> dict[str, int]:
        """On a cluster a lost worker is restarted (Ray's default); on a local runtime there is nowhere
        else to restart it, so none is (which also spares the terminal Ray's note about restarting actors)."""
        return {"max_restarts": 0} if self.address is None else {}

    def close(self) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False
            self._pool = None

    # --- the work ----------------------------------------------------------------------------

    def embed_chunks(self, texts: Sequence[str], embedder: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        texts = [str(t) for t in texts]
        if len(texts) < self.min_texts:
            yield from self.local.embed_chunks(texts, embedder)
            return
        import pyarrow as pa

        ray = self._ray()
        workers, cpus, gpus = self.pool()
        order = length_order(texts)
        # One block per chunk, longest first: each is one batch for one actor, and one cache commit.
        blocks = [pa.table({"i": pa.array(order[lo:lo + self.chunk_size], pa.int64()),
                            "text": pa.array([texts[i] for i in order[lo:lo + self.chunk_size]], pa.string())})
                  for lo in range(0, len(texts), self.chunk_size)]
        model = None if embedder.is_default_model else str(embedder.model_path)
        kwargs = dict(fn_constructor_kwargs={"model": model, "precision": embedder.precision,
                                             "batch_size": embedder.batch_size},
                      compute=ray.data.ActorPoolStrategy(size=workers),
                      batch_size=self.chunk_size, batch_format="numpy", num_cpus=cpus, num_gpus=gpus or None)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*ray_remote_args.*")
            try:
                ds = ray.data.from_arrow(blocks).map_batches(EmbedWorker, **kwargs, **self._restarts())
            except TypeError:  # a Ray that no longer takes actor options here: its defaults, then
                ds = ray.data.from_arrow(blocks).map_batches(EmbedWorker, **kwargs)
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0):
            idx = np.asarray(batch["i"], dtype=np.int64)
            self.texts_sent += len(idx)
            yield idx, np.asarray(batch["vector"], dtype=np.float32)

    def map_batches(self, fn: Callable[[list[Any]], list[Any]], items: Sequence[Any], batch_size: int = 1000) -> list[Any]:
        """As :meth:`Engine.map_batches`, as Ray tasks (``fn`` and items must pickle)."""
        import pickle

        if len(items) < self.min_texts:
            return super().map_batches(fn, items, batch_size)
        import pyarrow as pa

        ray = self._ray()
        workers, cpus, _ = self.pool()
        blocks = [pa.table({"i": pa.array(range(lo, min(lo + batch_size, len(items))), pa.int64()),
                            "item": pa.array([pickle.dumps(x) for x in items[lo:lo + batch_size]], pa.binary())})
                  for lo in range(0, len(items), batch_size)]
        pool = (dict(compute=ray.data.TaskPoolStrategy(size=workers)) if hasattr(ray.data, "TaskPoolStrategy")
                else dict(concurrency=workers))
        ds = ray.data.from_arrow(blocks).map_batches(
            _call_in_batches, fn_kwargs={"fn": fn}, batch_size=batch_size, batch_format="numpy", num_cpus=cpus, **pool)
        out: list[Any] = [None] * len(items)
        for batch in ds.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=0):
            for i, r in zip(batch["i"].tolist(), batch["result"]):
                out[i] = pickle.loads(r)
        return out


def _import_path() -> list[str]:
    """Where this process finds consult, for local Ray workers (which start with a fresh environment)."""
    import consult

    here = os.path.dirname(os.path.dirname(os.path.abspath(consult.__file__)))
    extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return list(dict.fromkeys([here, *extra]))


def make_engine(name: str = "local", *, address: str | None = None, workers: int | None = None,
                quiet: bool = False) -> Engine:
    """The engine called ``name`` (``local`` or ``ray``), as ``consult analyse --engine`` chooses it."""
    if name == "local":
        if address is not None or workers is not None:
            raise ConsultError("--ray-address and --ray-workers go with --engine ray")
        return LocalEngine()
    if name == "ray":
        return RayEngine(address, workers=workers, quiet=quiet)
    raise ConsultError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
