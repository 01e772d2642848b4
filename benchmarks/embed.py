"""Embedding speed on ~80-token answers, bf16 autocast against fp32.

    python benchmarks/embed.py [--n 256]

Builds answers of about 80 tokens by joining seeded random sentences (from the
banking77 CSV when ../shared is present, else a built-in list), and prints one
JSON line: texts_per_second per precision, cosine of bf16 to fp32, machine.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from consult.embed import Embedder, cpu_supports_bf16
from _machine import machine  # benchmarks/ is on sys.path when a script here is run

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "banking77" / "test.csv"
FALLBACK = [
    "Children should have an advocate offered to them automatically.",
    "Advocates must be independent of the local authority that looks after the child.",
    "Young people told us they want to be listened to and kept informed.",
    "Funding for advocacy services has not kept pace with demand.",
    "Disabled children need advocates who can use their way of communicating.",
    "Training and supervision of advocates should be part of the standards.",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()
    if SHARED.exists():
        import pandas as pd

        pool = pd.read_csv(SHARED)["text"].astype(str).tolist()
    else:
        pool = FALLBACK
    rng = np.random.default_rng(0)
    texts = [" ".join(rng.choice(pool, 6)) for _ in range(args.n)]

    out: dict[str, object] = {"n": args.n, "batch_size": args.batch_size}
    vecs = {}
    for precision in ["fp32", "bf16"] if cpu_supports_bf16() else ["fp32"]:
        emb = Embedder(precision=precision, batch_size=args.batch_size, show_progress=False)
        emb.embed(texts[:32])  # warm-up
        t0 = time.perf_counter()
        vecs[precision] = emb.embed(texts)
        out[f"{precision}_texts_per_second"] = round(args.n / (time.perf_counter() - t0), 1)
    tokens = Embedder(show_progress=False).model.tokenizer(texts)["input_ids"]
    out["mean_tokens"] = round(float(np.mean([len(t) for t in tokens])), 1)
    if "bf16" in vecs:
        out["bf16_min_cosine_to_fp32"] = round(float(np.min(np.sum(vecs["fp32"] * vecs["bf16"], 1))), 5)
    out["machine"] = machine()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
