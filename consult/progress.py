"""Progress a person can follow: which stage, which question, how many done, time left.

One :class:`Progress` is made per run and handed to every step that can take more
than a couple of seconds. With ``enabled=False`` (``--no-progress``) nothing is
printed at all, the language model's own loading bars included.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class Progress:
    """Progress bars on stderr (counts, rate, time left), or none at all."""

    def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream

    def bar(self, desc: str, total: int | None, unit: str = "answer") -> Any:
        """A tqdm bar (a silent one when disabled); close it, or use it as a context manager."""
        from tqdm.auto import tqdm

        # a step of unknown length shows its name and the time so far, not "0step [?step/s]"
        fmt = "{desc}: {elapsed}" if total is None else None
        return tqdm(total=total, desc=desc, unit=unit, disable=not self.enabled, leave=False,
                    file=self.stream or sys.stderr, dynamic_ncols=True, mininterval=0.5, bar_format=fmt)

    def libraries(self) -> None:
        """Let the model libraries show their own bars (e.g. "Loading weights") only when enabled."""
        try:
            from transformers.utils import logging as hf_logging
        except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
            return
        (hf_logging.enable_progress_bar if self.enabled else hf_logging.disable_progress_bar)()


SILENT = Progress(enabled=False)


@contextmanager
def timed() -> Iterator[list[float]]:
    """Seconds taken by the block, in ``result[0]`` once it ends."""
    out = [0.0]
    start = time.perf_counter()
    try:
        yield out
    finally:
        out[0] = time.perf_counter() - start
