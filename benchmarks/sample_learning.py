"""How much consult's coding of the bundled sample improves once reviewers have coded some answers.

Usage: python benchmarks/sample_learning.py [--reviewed 0.1] [--seed 0]

Runs ``consult analyse`` on responses/advocacy-standards (no reviews: zero-shot),
then simulates reviewers who coded a random fraction F of each question's
answers with the sample's gold codes, re-runs ``analyse`` with fine-tuning off
and on, and scores each run on the answers nobody reviewed. Prints one JSON
line: micro/macro F1 and alpha per run, and each re-run's seconds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import machine  # benchmarks/ is on sys.path when a script here is run

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consult.evaluate import agreement, read_gold  # noqa: E402
from consult.workspace.codes import codings_by_respondent  # noqa: E402
from consult.pipeline import analyse  # noqa: E402
from consult.workspace import answers  # noqa: E402
from consult.workspace.db import connect, transaction  # noqa: E402

SAMPLE = ROOT / "responses" / "advocacy-standards"
CODEBOOKS = ROOT / "codebook" / "advocacy-standards"


def consultation_copy(base: Path, name: str, tune: bool) -> Path:
    """The sample's folder with its codebooks named outright and fine-tuning on or off."""
    folder = base / name
    shutil.copytree(SAMPLE, folder)
    with open(folder / "consultation.toml", "a", encoding="utf-8") as f:
        f.write(f'\n[codebook]\nfolder = "{CODEBOOKS}"\n\n[tune]\nenabled = {str(tune).lower()}\n')
    return folder


def score(db: Path, gold: dict[str, frozenset[str]], keys: list[str]) -> dict[str, float]:
    conn = connect(db)
    pred = codings_by_respondent(conn)
    conn.close()
    sub = {k: gold[k] for k in keys}
    codes = sorted({c for v in sub.values() for c in v} | {c for k in keys for c in pred.get(k, ())})
    rep = agreement(pred, sub, codes)
    return {"micro_f1": round(rep.micro_f1, 4), "macro_f1": round(rep.macro_f1, 4),
            "alpha": round(rep.alpha_masi, 4)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reviewed", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    gold = read_gold(SAMPLE / "gold-codes.csv")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        first = base / "out-first"
        start = time.perf_counter()
        analyse(consultation_copy(base, "zero", tune=False), first, progress=False)
        first_seconds = time.perf_counter() - start

        # a reviewer codes a random share of each question's gold-coded answers
        conn = connect(first / "consult.db")
        rows = conn.execute(
            "SELECT id, respondent_id || ':' || question_id AS key, question_id FROM responses"
            " WHERE trim(coalesce(text, '')) != '' ORDER BY id").fetchall()
        known = {(r[0], r[1]) for r in conn.execute("SELECT question_id, id FROM codes")}
        rng = np.random.default_rng(args.seed)
        reviewed: set[str] = set()
        with transaction(conn):
            for q in sorted({r["question_id"] for r in rows}):
                cand = [r for r in rows if r["question_id"] == q and r["key"] in gold]
                pick = rng.permutation(len(cand))[: int(round(args.reviewed * len(cand)))]
                for i in sorted(pick):
                    r = cand[i]
                    codes = [c for c in gold[r["key"]] if (q, c) in known]
                    if not codes:
                        continue
                    answers.set_codes(conn, r["id"], sorted(codes), "benchmark")
                    answers.mark_reviewed(conn, r["id"], "benchmark")
                    reviewed.add(r["key"])
        conn.close()
        rest = sorted(k for k in gold if k not in reviewed)
        out: dict = {"benchmark": "sample_learning", "reviewed_fraction": args.reviewed,
                     "reviewed": len(reviewed), "scored": len(rest), "seed": args.seed,
                     "zero_shot": score(first / "consult.db", gold, rest),
                     "first_run_seconds": round(first_seconds, 1)}
        for name, tune in (("reviews_no_tune", False), ("reviews_tune", True)):
            outdir = base / f"out-{name}"
            shutil.copytree(first, outdir)
            start = time.perf_counter()
            analyse(consultation_copy(base, name, tune=tune), outdir, progress=False)
            out[name] = score(outdir / "consult.db", gold, rest)
            out[name]["rerun_seconds"] = round(time.perf_counter() - start, 1)
    out["machine"] = machine()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
