"""Theme discovery against human categories, and clustering time at scale.

    python benchmarks/themes.py ../shared/data/banking77/test.csv --min-themes 10 --max-themes 150
    python benchmarks/themes.py ../shared/data/banking77/test.csv --scale 100000

Reads a CSV with columns ``text`` and ``category``, embeds the texts (cached in
/tmp/consult-cache/embeddings.sqlite), finds themes without being told the
number of categories and prints one JSON line: nmi, ari, n_themes,
outlier_share, embed_seconds, cluster_seconds, texts_per_second, machine.
``--scale N`` also times theme discovery on N vectors made by tiling the real
embeddings with small seeded noise.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from consult.embed import Embedder, EmbeddingCache, embed_cached, text_hash
from consult.themes import ThemeFinder
from _machine import machine  # benchmarks/ is on sys.path when a script here is run

CACHE = Path("/tmp/consult-cache")



def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", type=Path)
    ap.add_argument("--min-themes", type=int, default=10)
    ap.add_argument("--max-themes", type=int, default=150)
    ap.add_argument("--random-state", type=int, default=42)
    ap.add_argument("--scale", type=int, default=0, help="also time clustering on N tiled vectors")
    args = ap.parse_args()

    df = pd.read_csv(args.csv)
    texts = df["text"].astype(str).tolist()
    truth = df["category"].astype(str).to_numpy()

    CACHE.mkdir(parents=True, exist_ok=True)
    embedder = Embedder(show_progress=False)
    cache = EmbeddingCache(sqlite3.connect(CACHE / "embeddings.sqlite"))
    cached_before = len(cache.get(embedder.model_id, [text_hash(t) for t in texts]))
    t0 = time.perf_counter()
    emb = embed_cached(texts, embedder, cache)
    embed_seconds = time.perf_counter() - t0
    n_embedded = len(set(texts)) - cached_before

    finder = ThemeFinder(args.min_themes, args.max_themes, random_state=args.random_state)
    t0, c0 = time.perf_counter(), time.process_time()
    result = finder.fit(texts, emb)
    cluster_seconds = time.perf_counter() - t0
    cluster_cpu = time.process_time() - c0

    out = {
        "data": str(args.csv),
        "n_texts": len(texts),
        "n_categories": int(len(set(truth))),
        "nmi": round(float(normalized_mutual_info_score(truth, result.labels)), 4),
        "ari": round(float(adjusted_rand_score(truth, result.labels)), 4),
        "n_themes": result.n_themes,
        "outlier_share": round(len(result.unclustered) / max(len(texts), 1), 4),
        "embed_seconds": round(embed_seconds, 2),
        "embedded_now": n_embedded,
        "texts_per_second": round(n_embedded / embed_seconds, 1) if n_embedded else None,
        "precision": embedder.precision,
        "cluster_seconds": round(cluster_seconds, 2),
        # CPU seconds of this process (all threads): shows when a shared machine slowed the wall time
        "cluster_cpu_seconds": round(cluster_cpu, 2),
        "load_average": os.getloadavg()[0],
        "machine": machine(),
    }
    if args.scale:
        rng = np.random.default_rng(args.random_state)
        reps = -(-args.scale // len(texts))
        big = np.tile(emb, (reps, 1))[: args.scale]
        big = big + rng.normal(0, 0.02, big.shape).astype(np.float32)
        big_texts = (texts * reps)[: args.scale]
        scale_finder = ThemeFinder(args.min_themes, args.max_themes, random_state=args.random_state)
        t0, c0 = time.perf_counter(), time.process_time()
        big_result = scale_finder.fit(big_texts, big)
        out["scale_n"] = args.scale
        out["scale_cluster_seconds"] = round(time.perf_counter() - t0, 2)
        out["scale_cluster_cpu_seconds"] = round(time.process_time() - c0, 2)
        out["scale_n_themes"] = big_result.n_themes
        out["scale_outlier_share"] = round(len(big_result.unclustered) / args.scale, 4)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
