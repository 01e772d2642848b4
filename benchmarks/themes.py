"""Theme discovery against human categories, and clustering time at scale.

    python benchmarks/themes.py ../shared/data/banking77/test.csv --min-themes 10 --max-themes 150
    python benchmarks/themes.py ../shared/data/banking77/test.csv --scale 100000

Reads a CSV with columns ``text`` and ``category``, embeds the texts (cached in
/tmp/consult-cache/embeddings.sqlite), finds themes without being told the
number of categories and prints one JSON line: nmi, ari, n_themes,
outlier_share, embed_seconds, cluster_seconds, texts_per_second, machine.

Label quality: ``label_similarity`` is the mean cosine similarity (same
embedding model) between each theme's label and the human name of the theme's
majority category (``card_arrival`` -> "card arrival"); ``distinct_labels`` is
the share of themes whose label no other theme has (case-insensitive).

It also drafts a codebook from the themes (``codebook_codes``, and
``codebook_merged``: themes merged into another's code).

``--text-column``/``--category-column`` read other files (without a category
column only the unsupervised figures are printed); ``--show-labels`` writes
each theme's size, label, description and key terms, and the draft codebook,
to stderr for reading. Run it from the repository root with ``PYTHONPATH=.``
to measure the working copy rather than the installed package.
``--scale N`` also times theme discovery on N vectors made by tiling the real
embeddings with small seeded noise.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from consult.embed import Embedder, embed_cached, normalize_rows, text_hash
from consult.workspace.caches import EmbeddingCache
from consult.workspace.db import connect
from consult.themes import ThemeFinder, propose_codebook
from _machine import machine  # benchmarks/ is on sys.path when a script here is run

CACHE = Path("/tmp/consult-cache")


class TimedEncoder:
    """The embedder as a ThemeFinder encoder, counting the texts it embeds and the time it takes."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder, self.seconds, self.n_texts = embedder, 0.0, 0

    def __call__(self, texts: list[str]) -> np.ndarray:
        t0 = time.perf_counter()
        out = self.embedder.embed(list(texts))
        self.seconds += time.perf_counter() - t0
        self.n_texts += len(texts)
        return out


def majority_name(categories: np.ndarray) -> str:
    """The most common category among a theme's members, as words (``card_arrival`` -> "card arrival")."""
    values, counts = np.unique(categories, return_counts=True)
    return str(values[np.argmax(counts)]).replace("_", " ")


def label_similarity(labels: list[str], names: list[str], embedder: Embedder) -> float:
    """Mean cosine similarity between each label and the matching human name."""
    if not labels:
        return float("nan")
    a = normalize_rows(embedder.embed(labels))
    b = normalize_rows(embedder.embed(names))
    return float((a * b).sum(1).mean())


def distinct_share(labels: list[str]) -> float:
    """Share of labels that no other label repeats (case-insensitive)."""
    if not labels:
        return float("nan")
    keys = [" ".join(label.lower().split()) for label in labels]
    counts = {k: keys.count(k) for k in keys}
    return sum(counts[k] == 1 for k in keys) / len(keys)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("--min-themes", type=int, default=10)
    ap.add_argument("--max-themes", type=int, default=150)
    ap.add_argument("--random-state", type=int, default=42)
    ap.add_argument("--scale", type=int, default=0, help="also time clustering on N tiled vectors")
    ap.add_argument("--text-column", default="text")
    ap.add_argument("--category-column", default="category")
    ap.add_argument("--show-labels", action="store_true", help="write each theme's label to stderr")
    ap.add_argument("--no-encoder", action="store_true", help="labels from word counts only")
    args = ap.parse_args()

    df = pd.read_csv(args.csv, dtype=str, keep_default_na=False)
    df = df[df[args.text_column].str.strip() != ""]
    texts = df[args.text_column].astype(str).tolist()
    truth = df[args.category_column].astype(str).to_numpy() if args.category_column in df else None

    CACHE.mkdir(parents=True, exist_ok=True)
    embedder = Embedder(show_progress=False)
    cache = EmbeddingCache(connect(CACHE / "embeddings.sqlite"))
    cached_before = len(cache.get(embedder.model_id, [text_hash(t) for t in texts]))
    t0 = time.perf_counter()
    emb = embed_cached(texts, embedder, cache)
    embed_seconds = time.perf_counter() - t0
    n_embedded = len(set(texts)) - cached_before

    encoder = TimedEncoder(embedder)
    finder = ThemeFinder(args.min_themes, args.max_themes, random_state=args.random_state)
    t0, c0 = time.perf_counter(), time.process_time()
    result = finder.fit(texts, emb, encoder=None if args.no_encoder else encoder)
    cluster_seconds = time.perf_counter() - t0
    cluster_cpu = time.process_time() - c0

    labels = [t.label for t in result.themes]
    out = {
        "data": str(args.csv),
        "column": args.text_column,
        "n_texts": len(texts),
        "n_themes": result.n_themes,
        "distinct_labels": round(distinct_share(labels), 4),
        "outlier_share": round(len(result.unclustered) / max(len(texts), 1), 4),
        "embed_seconds": round(embed_seconds, 2),
        "embedded_now": n_embedded,
        "texts_per_second": round(n_embedded / embed_seconds, 1) if n_embedded else None,
        "precision": embedder.precision,
        "cluster_seconds": round(cluster_seconds, 2),
        # CPU seconds of this process (all threads): shows when a shared machine slowed the wall time
        "cluster_cpu_seconds": round(cluster_cpu, 2),
        # part of cluster_seconds spent embedding candidate phrases and sentences for labels
        "label_encode_seconds": round(encoder.seconds, 2),
        "label_encoded_texts": encoder.n_texts,
        "load_average": os.getloadavg()[0],
        "machine": machine(),
    }
    if truth is not None:
        out["n_categories"] = int(len(set(truth)))
        out["nmi"] = round(float(normalized_mutual_info_score(truth, result.labels)), 4)
        out["ari"] = round(float(adjusted_rand_score(truth, result.labels)), 4)
        names = [majority_name(truth[t.members]) for t in result.themes]
        out["label_similarity"] = round(label_similarity(labels, names, embedder), 4)
    t0 = time.perf_counter()
    draft = propose_codebook("q", texts, emb, result.labels, encoder=None if args.no_encoder else encoder)
    out["codebook_seconds"] = round(time.perf_counter() - t0, 2)
    out["codebook_codes"] = len(draft.codebook["codes"])
    out["codebook_merged"] = draft.n_merged
    if args.show_labels:
        for t in result.themes:
            print(f"{t.size:7.0f}  {t.label:40s}  {t.description}  [{'; '.join(t.terms[:5])}]", file=sys.stderr)
        print(yaml.safe_dump(draft.codebook, sort_keys=False, width=120, allow_unicode=True), file=sys.stderr)
    if args.scale:
        rng = np.random.default_rng(args.random_state)
        reps = -(-args.scale // len(texts))
        big = np.tile(emb, (reps, 1))[: args.scale]
        big = big + rng.normal(0, 0.02, big.shape).astype(np.float32)
        big_texts = (texts * reps)[: args.scale]
        scale_finder = ThemeFinder(args.min_themes, args.max_themes, random_state=args.random_state)
        t0, c0 = time.perf_counter(), time.process_time()
        big_result = scale_finder.fit(big_texts, big, encoder=None if args.no_encoder else encoder)
        out["scale_n"] = args.scale
        out["scale_cluster_seconds"] = round(time.perf_counter() - t0, 2)
        out["scale_cluster_cpu_seconds"] = round(time.process_time() - c0, 2)
        out["scale_n_themes"] = big_result.n_themes
        out["scale_outlier_share"] = round(len(big_result.unclustered) / args.scale, 4)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
