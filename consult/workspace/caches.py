"""Caches of expensive results, keyed by what they depend on: sentence vectors and fine-tuned scores.

Both tables are created by the schema migrations; a cache object only reads and
writes, and each write is one transaction (so an interrupted run keeps every
finished chunk).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np

from consult.workspace.db import select_in, transaction


class EmbeddingCache:
    """Vectors stored in ``embeddings``, keyed by (model id, SHA-256 of the text)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, model_id: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """The cached vectors among ``hashes``, as {hash: vector}."""
        found: dict[str, np.ndarray] = {}
        rows = select_in(
            self.conn, "SELECT text_hash, dim, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
            list(dict.fromkeys(hashes)), before=[model_id],
        )
        for h, dim, blob in rows:
            vec = np.frombuffer(blob, dtype="<f4")
            if vec.shape[0] == dim:
                found[h] = vec.astype(np.float32)
        return found

    def present(self, model_id: str, hashes: Sequence[str]) -> set[str]:
        """Which of ``hashes`` have a cached vector (without reading the vectors)."""
        return {r[0] for r in select_in(
            self.conn, "SELECT text_hash FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
            list(dict.fromkeys(hashes)), before=[model_id])}

    def put(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        """Store vectors ({hash: vector}) in one transaction: a chunk is saved whole or not at all."""
        with transaction(self.conn):
            self.conn.executemany(
                "INSERT OR REPLACE INTO embeddings (model, text_hash, dim, vector) VALUES (?, ?, ?, ?)",
                [(model_id, h, int(v.shape[0]), np.asarray(v, dtype="<f4").tobytes()) for h, v in vectors.items()],
            )

    def count(self, model_id: str | None = None) -> int:
        """Number of cached vectors (for one model, or all)."""
        if model_id is None:
            return int(self.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])
        return int(self.conn.execute("SELECT COUNT(*) FROM embeddings WHERE model = ?", (model_id,)).fetchone()[0])

    def models(self) -> list[str]:
        """The model ids with vectors in the cache."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT model FROM embeddings ORDER BY model")]

    def main_model(self) -> str | None:
        """The model id with the most cached vectors (the one the analysis used), or None."""
        row = self.conn.execute("SELECT model FROM embeddings GROUP BY model ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
        return row[0] if row else None


class TunedCache:
    """Fine-tuned code probabilities stored in ``tuned_scores``, keyed by (training key, SHA-256 of the text)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, key: str, hashes: Sequence[str], width: int) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        rows = select_in(
            self.conn, "SELECT text_hash, proba FROM tuned_scores WHERE key = ? AND text_hash IN ({marks})",
            list(dict.fromkeys(hashes)), before=[key],
        )
        for h, blob in rows:
            vec = np.frombuffer(blob, dtype="<f8")
            if vec.shape[0] == width:
                found[h] = vec
        return found

    def replace(self, question_key: str, key: str, rows: dict[str, np.ndarray]) -> None:
        """Store ``rows`` under ``key`` in one transaction, dropping what an older key of the question left."""
        with transaction(self.conn):
            old = self.conn.execute("SELECT key FROM tuned_keys WHERE question = ?", (question_key,)).fetchone()
            if old and old[0] != key:
                self.conn.execute("DELETE FROM tuned_scores WHERE key = ?", (old[0],))
            self.conn.execute("INSERT OR REPLACE INTO tuned_keys (question, key) VALUES (?, ?)", (question_key, key))
            self.conn.executemany(
                "INSERT OR REPLACE INTO tuned_scores (key, text_hash, proba) VALUES (?, ?, ?)",
                [(key, h, np.asarray(v, dtype="<f8").tobytes()) for h, v in rows.items()],
            )
