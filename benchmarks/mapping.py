"""Benchmark the mapping stage: multi-label coding of answers to a codebook.

Usage: python benchmarks/mapping.py DATA_DIR --reviewed F [--seeds 3] [--fine-tune]

DATA_DIR holds responses.csv (response_id, respondent_id, question, answer,
...), gold.csv (response_id, code) and codebook.csv (code, group,
description, examples), as /work/shared/data/nhs-patient-feedback/.
A simulated reviewer codes a random fraction F of the answers (their gold
codes are given to consult); consult is scored on the rest. Prints one JSON
line of figures, the mean over seeds with per-seed values. ``--fine-tune``
also fine-tunes the encoder on the reviewed answers (consult.tune), as
``consult analyse`` does once a question has enough reviewed answers.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
from _machine import machine  # benchmarks/ is on sys.path when a script here is run

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consult.assign import MODEL_VERSION, OTHER, CodeAssigner, embed_codebook  # noqa: E402
from consult.codebook import read_codebook_csv  # noqa: E402
from consult.evaluate import agreement  # noqa: E402

CACHE_DIR = Path(os.environ.get("CONSULT_CACHE", "/tmp/consult-cache"))
# The codebook's catch-all code is what consult calls "other".
CATCH_ALL = {"not assigned", "other"}


def read_data(data_dir: Path) -> tuple[list[str], list[str], list[set[str]], int]:
    """Non-blank answers, their questions and gold code sets; and the number of blanks."""
    gold: dict[str, set[str]] = {}
    with (data_dir / "gold.csv").open(newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            code = row["code"].strip()
            code = OTHER if code.lower() in CATCH_ALL else code
            gold.setdefault(row["response_id"], set()).add(code)
    texts, questions, labels, blank = [], [], [], 0
    with (data_dir / "responses.csv").open(newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            answer = (row.get("answer") or "").strip()
            if not answer:
                blank += 1
                continue
            texts.append(answer)
            questions.append(row.get("question") or "")
            labels.append(gold.get(row["response_id"], {OTHER}))
    return texts, questions, labels, blank


def get_encoder():
    """The bundled model through consult.embed, and its id for the cache file name."""
    from consult.embed import Embedder

    embedder = Embedder(show_progress=False)
    return (lambda texts: embedder.embed(list(texts))), re.sub(r"[^\w.-]+", "_", embedder.model_id)


def cached_embeddings(texts: list[str], encode, tag: str) -> np.ndarray:
    """Embeddings of texts, read from CACHE_DIR when computed before."""
    key = hashlib.sha256(("all-MiniLM-L6-v2\n" + "\n\x00".join(texts)).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"mapping-{tag}-{key}.npy"
    if path.exists():
        return np.load(path)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    emb = np.asarray(encode(texts), dtype=np.float32)
    np.save(path, emb)
    return emb


def load_codebook(path: Path) -> list:
    """Leaf codes of codebook.csv; the catch-all is left to consult's "other"."""
    book = read_codebook_csv(path, "benchmark")
    parents = {c.parent for c in book.codes if c.parent}
    return [
        c
        for c in book.codes
        if not c.builtin and c.id not in parents and c.label.lower() not in CATCH_ALL
    ]


def scores(pred: list[set[str]], gold: list[set[str]], classes: list[str]) -> dict[str, float]:
    """micro/macro/samples F1, mean per-code kappa and Krippendorff alpha (MASI)."""
    ids = [str(i) for i in range(len(gold))]
    rep = agreement(dict(zip(ids, pred)), dict(zip(ids, gold)), classes)
    return {
        "micro_f1": rep.micro_f1,
        "macro_f1": rep.macro_f1,
        "samples_f1": rep.samples_f1,
        "kappa_mean": rep.mean_kappa,
        "alpha": rep.alpha_masi,
    }


def retrain_seconds(
    assigner_args: dict, codes, code_emb, X: np.ndarray, labels, texts, n: int = 10_000
) -> float:
    """Seconds to fit on ``n`` reviewed answers (the data tiled, with a little noise)."""
    rng = np.random.default_rng(0)
    idx = np.resize(np.arange(len(X)), n)
    Xn = X[idx] + rng.normal(0, 0.01, size=(n, X.shape[1])).astype(np.float32)
    ln = [labels[i] for i in idx]
    tn = [texts[i] for i in idx]
    start = time.perf_counter()
    CodeAssigner(**assigner_args).fit(codes, tn, Xn, ln, code_embeddings=code_emb)
    return time.perf_counter() - start


def fine_tuned(model, codes, rev_texts, rev_labels, test_texts, P, seed: int) -> np.ndarray:
    """P blended with a fine-tuned encoder's probabilities, as consult.pipeline.stage_assign does."""
    from consult.tune import FineTuner, training_set

    tuner = FineTuner(random_state=seed, show_progress=True)
    tuner.fit(*training_set(codes, rev_texts, rev_labels), [str(c) for c in model.classes_])
    return tuner.blend(P, tuner.predict_proba(test_texts))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--reviewed", type=float, default=0.0, help="fraction of answers reviewed")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--no-retrain-timing", action="store_true")
    ap.add_argument("--fine-tune", action="store_true", help="also fine-tune the encoder (minutes per seed)")
    args = ap.parse_args(argv)
    if not 0.0 <= args.reviewed < 1.0:
        ap.error("--reviewed must be in [0, 1)")

    codes = load_codebook(args.data_dir / "codebook.csv")
    label_to_id = {c.label: c.id for c in codes} | {c.id: c.id for c in codes}
    texts, _questions, labels, blank = read_data(args.data_dir)
    labels = [{label_to_id.get(c, OTHER) for c in s} for s in labels]
    unmapped = sum(1 for s in labels if OTHER in s)

    encode, how = get_encoder()
    X = cached_embeddings(texts, encode, "answers-" + how)
    code_emb = embed_codebook(codes, encode)
    classes = [c.id for c in codes] + [OTHER]

    per_seed = []
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        n_rev = int(round(args.reviewed * len(texts)))
        order = rng.permutation(len(texts))
        rev, test = order[:n_rev], order[n_rev:]
        start = time.perf_counter()
        model = CodeAssigner(random_state=seed).fit(
            codes,
            [texts[i] for i in rev],
            X[rev],
            [labels[i] for i in rev],
            code_embeddings=code_emb,
            unlabeled_embeddings=X,
            unlabeled_texts=texts,
        )
        test_texts = [texts[i] for i in test]
        P = model.predict_proba(test_texts, X[test])
        version = MODEL_VERSION
        if args.fine_tune and n_rev:
            P = fine_tuned(model, codes, [texts[i] for i in rev], [labels[i] for i in rev], test_texts, P, seed)
            version += "+tune"
        pred = [{a.code for a in row} for row in model.assignments(P, version)]
        seconds = time.perf_counter() - start
        figures = scores(pred, [labels[i] for i in test], classes)
        figures["seconds"] = seconds
        figures["threshold"] = model.threshold_
        per_seed.append(figures)

    keys = ["micro_f1", "macro_f1", "samples_f1", "kappa_mean", "alpha", "seconds"]
    out: dict = {
        "benchmark": "mapping",
        "data": args.data_dir.name,
        "model_version": MODEL_VERSION + ("+" + __import__("consult.tune", fromlist=["x"]).TUNE_VERSION
                                          if args.fine_tune else ""),
        "reviewed_fraction": args.reviewed,
        "reviewed": int(round(args.reviewed * len(texts))),
        "answers": len(texts),
        "blank_skipped": blank,
        "gold_other": unmapped,
        "codes": len(codes),
        "seeds": args.seeds,
        "embedder": how,
    }
    for k in keys:
        out[k] = round(float(np.nanmean([s[k] for s in per_seed])), 4)
    out["per_seed"] = [{k: round(float(s[k]), 4) for k in keys + ["threshold"]} for s in per_seed]
    if not args.no_retrain_timing:
        out["retrain_seconds_10k"] = round(retrain_seconds({}, codes, code_emb, X, labels, texts), 3)
    out["machine"] = machine()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
