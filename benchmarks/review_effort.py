"""How many reviews consult's review queue needs to get the whole coding right, against random order.

Usage: python benchmarks/review_effort.py DATA_DIR [--seeds 3] [--target 0.90]

DATA_DIR holds responses.csv (response_id, respondent_id, question, answer,
...), gold.csv (response_id, code) and codebook.csv (code, group, description,
examples), as /work/shared/data/nhs-patient-feedback/.

A simulated reviewer codes answers with their gold codes, in the order of
consult's review queue (consult.active.ActiveLearner, as the review app uses
it) and, separately, in random order. Both start from consult's zero-shot model
(codebook descriptions and examples, self-trained on the answers) and refit it
(the closed-form learner, no fine-tuning) after every step of 2.5% of the
answers; the queue ranks each step's answers with the model of the previous
step. As in consult, duplicates are grouped within a question
(consult.dedupe.Deduplicator) and a group's copies inherit the decision on its
canonical answer (campaign members with words of their own do not): the queue
and random order both show one answer per group, the queue weighing it by the
group's size. After each step the micro-F1 of the whole coded set against the
gold codes is measured: answers people decided (or inherited a decision) count
with those codes, the rest with the refitted model's. The data set's questions
share one codebook, so (as benchmarks/mapping.py) one model learns from all of
them.

Prints one JSON line: ``curve_queue`` and ``curve_random`` (reviewed share ->
micro-F1, mean over seeds), ``share_to_target_queue`` and
``share_to_target_random`` (the reviewed share at which the mean curve first
reaches ``target``, interpolated linearly between steps), their ``ratio``,
``target``, the mean and largest seconds of a refit (the model learning from
all reviews so far; the pool's codes predicted again), ``seconds`` and
``machine``. Progress goes to stderr. Seeds change
the random order and the cross-validation folds of the model.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from _machine import machine  # benchmarks/ is on sys.path when a script here is run
from mapping import cached_embeddings, get_encoder, load_codebook, read_data

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from consult.active import ActiveLearner  # noqa: E402
from consult.assign import OTHER, embed_codebook  # noqa: E402
from consult.dedupe import Deduplicator  # noqa: E402

STEP = 0.025


def groups(texts: list[str], questions: list[str]) -> tuple[list[int], dict[int, list[int]]]:
    """The answers a reviewer is shown (one per duplicate group) and, per shown answer, its copies.

    Copies are exact, near and campaign duplicates of the group's canonical answer within the same
    question, as consult's ``answer_copies`` view defines them: campaign members who added words of
    their own are not copies.
    """
    copies: dict[int, list[int]] = {}
    is_copy = np.zeros(len(texts), dtype=bool)
    for q in sorted(set(questions)):
        idx = [i for i, x in enumerate(questions) if x == q]
        result = Deduplicator().fit([texts[i] for i in idx], ids=idx).result_
        canonical = {g.group_id: g.canonical_id for g in result.groups}
        for r in result.records:
            if r.kind not in ("exact", "near", "campaign") or r.group_id not in canonical:
                continue
            if r.kind == "campaign" and r.personal_addition.strip():
                continue
            c = canonical[r.group_id]
            if c is not None and c != r.id:
                copies.setdefault(int(c), []).append(int(r.id))
                is_copy[r.id] = True
    shown = [i for i in range(len(texts)) if not is_copy[i]]
    return shown, copies


def micro_f1(pred: list[set[str]], gold: list[set[str]]) -> float:
    """Micro-F1 over every (answer, code) pair."""
    tp = sum(len(p & g) for p, g in zip(pred, gold))
    n = sum(len(p) for p in pred) + sum(len(g) for g in gold)
    return 2 * tp / n if n else 0.0


def simulate(order: str, seed: int, data: dict) -> list[float]:
    """Micro-F1 of the whole coded set before any review and after each step of reviews."""
    X, texts, labels, codes, code_emb = (data[k] for k in ("X", "texts", "labels", "codes", "code_emb"))
    shown, copies = data["shown"], data["copies"]
    n = len(texts)
    step = max(1, int(round(STEP * n)))
    weight = np.array([1 + len(copies.get(i, ())) for i in range(n)], dtype=np.float64)
    learner = ActiveLearner(random_state=seed).fit(codes, X, texts, code_embeddings=code_emb)
    human: dict[int, set[str]] = {}
    reviewed: list[int] = []
    left = np.array(shown)
    random_order = list(np.random.default_rng(seed).permutation(shown))

    def score() -> float:
        model = learner.predict()
        return micro_f1([human.get(i, model[i]) for i in range(n)], labels)

    curve = [score()]
    while len(left):
        if order == "queue":
            picks = learner.rank(step, candidates=left, weights=weight[left]).tolist()
        else:
            picks, random_order = random_order[:step], random_order[step:]
        for i in picks:
            reviewed.append(i)
            for j in [i, *copies.get(i, ())]:
                human[j] = labels[i]  # copies inherit the decision on their group's answer
        left = np.setdiff1d(left, picks)
        t0 = time.perf_counter()
        learner.refit(reviewed, [labels[i] for i in reviewed])
        data["refit_seconds"].append(time.perf_counter() - t0)
        curve.append(score())
        print(f"{order} seed {seed}: {len(reviewed) / n:.3f} reviewed, micro-F1 {curve[-1]:.4f}",
              file=sys.stderr, flush=True)
    return curve


def share_to_target(shares: list[float], curve: list[float], target: float) -> float | None:
    """The first share at which the curve reaches the target, interpolated between measurements."""
    for j, f in enumerate(curve):
        if f >= target:
            if j == 0:
                return shares[0]
            s0, s1, f0 = shares[j - 1], shares[j], curve[j - 1]
            return round(s0 + (s1 - s0) * (target - f0) / (f - f0), 4)
    return None


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--target", type=float, default=0.90)
    args = ap.parse_args(argv)
    if args.seeds < 1:
        ap.error("--seeds must be at least 1")
    if not 0.0 < args.target <= 1.0:
        ap.error("--target must be in (0, 1]")
    start = time.perf_counter()

    codes = load_codebook(args.data_dir / "codebook.csv")
    label_to_id = {c.label: c.id for c in codes} | {c.id: c.id for c in codes}
    texts, questions, labels, _blank = read_data(args.data_dir)
    labels = [{label_to_id.get(c, OTHER) for c in s} for s in labels]
    encode, how = get_encoder()
    X = cached_embeddings(texts, encode, "answers-" + how)
    code_emb = embed_codebook(codes, lambda t: cached_embeddings(list(t), encode, "codebook-" + how))
    shown, copies = groups(texts, questions)
    data = {"X": X, "texts": texts, "labels": labels, "codes": codes, "code_emb": code_emb,
            "shown": shown, "copies": copies, "refit_seconds": []}
    print(f"{len(texts)} answers, {len(shown)} shown to reviewers ({len(texts) - len(shown)} copies inherit)",
          file=sys.stderr, flush=True)

    n = len(texts)
    step = max(1, int(round(STEP * n)))
    out: dict = {"benchmark": "review_effort", "data": args.data_dir.name, "answers": n,
                 "shown": len(shown), "step": step, "seeds": args.seeds, "target": args.target}
    for order in ("queue", "random"):
        runs = [simulate(order, seed, data) for seed in range(args.seeds)]
        curve = np.mean(np.array(runs), axis=0)
        reviewed = np.minimum(np.arange(len(curve)) * step, len(shown))
        shares = [round(float(r) / n, 4) for r in reviewed]
        out[f"curve_{order}"] = {f"{s:.4f}": round(float(f), 4) for s, f in zip(shares, curve)}
        out[f"share_to_target_{order}"] = share_to_target(shares, curve.tolist(), args.target)
    q, r = out["share_to_target_queue"], out["share_to_target_random"]
    out["ratio"] = round(q / r, 4) if q is not None and r else None
    refits = data["refit_seconds"]
    out["refit_seconds_mean"] = round(float(np.mean(refits)), 3)
    out["refit_seconds_max"] = round(float(np.max(refits)), 3)
    out["seconds"] = round(time.perf_counter() - start, 1)
    out["machine"] = machine()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
