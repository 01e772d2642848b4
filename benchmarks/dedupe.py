"""Benchmark consult.dedupe on a seeded synthetic corpus with known duplicates.

The corpus mixes original answers (built from a vocabulary of sentence parts,
so distinct answers share words but are not near-duplicates), exact copies
(case, whitespace, punctuation and quote changes), light edits (typos,
reordered sentences, one sentence inserted or removed), campaigns (a template
sent as is, lightly edited, or with a personal paragraph of 1-3 sentences
before or after) and a few non-substantive answers.

Prints one JSON line: pairwise precision, recall and F1 per kind, the share of
members grouped with their source, false merges between distinct originals,
seconds, peak memory and the machine.

    python benchmarks/dedupe.py            # 10,000 responses
    python benchmarks/dedupe.py --n 1000000
    python benchmarks/dedupe.py --letters  # the form letters in tests/fixtures/letters

With ``--letters`` it reads real-style form letters instead (five campaigns
whose members differ in salutation, signature, address and contact lines, and
a known few of whom add words of their own) and prints, per campaign, how many
members were found, how many were said to add something and how many really
did.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

# Measure the checkout this script is in, not whichever copy is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from consult.dedupe import Deduplicator  # noqa: E402
from _machine import machine  # benchmarks/ is on sys.path when a script here is run

OPENERS = ["", "", "", "I think", "In my experience", "We believe", "It is important that", "Honestly,",
           "As a parent I feel", "From what I have seen,", "Our view is that", "Too often", "I strongly feel that"]
SUBJECTS = ["children", "young people", "care leavers", "disabled children", "children in care", "young carers",
            "unaccompanied children", "children in secure settings", "looked after children", "teenagers",
            "children with SEND", "young people leaving custody", "parents", "foster carers", "social workers",
            "advocates", "independent reviewing officers", "local authorities", "providers", "schools"]
MODALS = ["should", "must", "need to", "ought to", "are often unable to", "deserve to", "want to",
          "have a right to", "cannot always", "would benefit if they could"]
VERBS = ["access", "receive", "be offered", "understand", "choose", "be told about", "complain about",
         "get support with", "be involved in", "have a say in", "trust", "rely on", "challenge"]
OBJECTS = ["an independent advocate", "advocacy services", "decisions about their care", "their care plan",
           "the complaints process", "information in plain language", "a consistent advocate",
           "support in their first language", "face to face meetings", "digital advocacy", "their records",
           "the review meeting", "their placement move", "a trusted adult", "the standards"]
TAILS = ["", "", "without delay", "at every stage", "whenever they ask", "in a way they understand",
         "before any big decision", "even when the council disagrees", "regardless of where they live",
         "within five working days", "without needing a referral", "at no cost to the family",
         "as a matter of course", "in line with their wishes"]
BECAUSE = ["", "", "", "because nobody else will speak up for them", "so that their voice is heard",
           "because staff turnover is high", "as the current system is confusing", "because trust takes time",
           "since budgets are tight", "because the law requires it", "so that complaints are taken seriously",
           "because children are often not told", "as too many decisions are made without them",
           "because rural areas miss out", "since the pandemic made things worse", "because it works",
           "so that nobody falls through the gaps", "as waiting lists are long", "because language is a barrier"]
RELATIVES = ["son", "daughter", "niece", "foster child", "grandson", "nephew", "brother", "sister", "stepson",
             "granddaughter", "ward", "cousin"]
EVENTS = ["waited months for an advocate", "was never told about advocacy", "had three different social workers",
          "moved placement four times", "felt nobody listened to him", "was helped hugely by an advocate",
          "could not get an advocate who spoke Welsh", "was placed far from home", "was excluded from school",
          "struggled to make a complaint", "had his review cancelled twice", "was not invited to her own meeting"]
WHEN = ["", "last year", "in 2021", "when he was twelve", "after the review", "during the pandemic",
        "before leaving care", "when she turned sixteen", "in the summer"]
NON_SUBSTANTIVE = ["n/a", "N/A", "None", "No comment", "Nothing to add", "See my answer to question 3",
                   "As above", "-", "", "Same as before", "no comments."]


def sentence(rng: random.Random) -> str:
    parts = [rng.choice(OPENERS), rng.choice(SUBJECTS), rng.choice(MODALS), rng.choice(VERBS),
             rng.choice(OBJECTS), rng.choice(TAILS), rng.choice(BECAUSE)]
    s = " ".join(p for p in parts if p)
    return s[0].upper() + s[1:] + "."


def personal_sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return sentence(rng)
    s = " ".join(p for p in ["My", rng.choice(RELATIVES), rng.choice(EVENTS), rng.choice(WHEN)] if p)
    return s + "."


def exact_variant(text: str, rng: random.Random) -> str:
    op = rng.randrange(6)
    if op == 0:
        return text.lower()
    if op == 1:
        return text.upper()
    if op == 2:
        return text.replace(".", "").replace(",", "")
    if op == 3:
        return "  " + text.replace(" ", "   ", 3) + "\n"
    if op == 4:
        return text.replace("'", "\u2019").replace(". ", "! ")
    return text + " ..."


def typo(sentences: list[str], rng: random.Random) -> None:
    i = rng.randrange(len(sentences))
    words = sentences[i].split(" ")
    cands = [j for j, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not cands:
        return
    j = rng.choice(cands)
    w = words[j]
    k = rng.randrange(1, len(w) - 1)
    op = rng.randrange(3)
    if op == 0:
        w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
    elif op == 1:
        w = w[:k] + w[k + 1 :]
    else:
        w = w[:k] + w[k] + w[k:]
    words[j] = w
    sentences[i] = " ".join(words)


def light_edit(sentences: list[str], rng: random.Random) -> str:
    s = list(sentences)
    for _ in range(rng.choice([1, 1, 2])):
        op = rng.randrange(4)
        if op == 0:
            for _ in range(rng.choice([1, 2])):
                typo(s, rng)
        elif op == 1:
            rng.shuffle(s)
        elif op == 2:
            s.insert(rng.randrange(len(s) + 1), sentence(rng))
        elif len(s) >= 4:
            s.pop(rng.randrange(len(s)))
        else:
            typo(s, rng)
    return " ".join(s)


def build_corpus(n: int, seed: int):
    """Texts, truth cluster per text (-1: non-substantive) and kind per text."""
    rng = random.Random(seed)
    texts: list[str] = []
    truth: list[int] = []
    kind: list[str] = []
    n_ns = int(0.02 * n)
    n_campaign = int(0.25 * n)
    n_exact = int(0.15 * n)
    n_light = int(0.15 * n)
    n_orig = n - n_ns - n_campaign - n_exact - n_light

    originals = []
    for c in range(n_orig):
        sents = [sentence(rng) for _ in range(rng.randint(3, 6))]
        originals.append(sents)
        texts.append(" ".join(sents))
        truth.append(c)
        kind.append("original")
    for _ in range(n_exact):
        c = rng.randrange(n_orig)
        texts.append(exact_variant(" ".join(originals[c]), rng))
        truth.append(c)
        kind.append("exact")
    for _ in range(n_light):
        c = rng.randrange(n_orig)
        texts.append(light_edit(originals[c], rng))
        truth.append(c)
        kind.append("light-edit")
    cluster = n_orig
    left = n_campaign
    nrng = np.random.default_rng(seed)
    while left > 0:
        size = int(min(left, max(10, 10 + 30 * nrng.pareto(1.3)), max(10, n // 40)))
        if left - size < 10:
            size = left
        template = [sentence(rng) for _ in range(rng.randint(4, 8))]
        bare = " ".join(template)
        for i in range(size):
            u = rng.random()
            if i == 0:
                texts.append(bare)
                kind.append("template")
            elif u < 0.35:
                texts.append(bare if rng.random() < 0.7 else exact_variant(bare, rng))
                kind.append("campaign-copy")
            elif u < 0.5:
                texts.append(light_edit(template, rng))
                kind.append("campaign-copy")
            else:
                body = list(template)
                if rng.random() < 0.2:
                    typo(body, rng)
                own = [personal_sentence(rng) for _ in range(rng.randint(1, 3))]
                texts.append(" ".join(own + body if rng.random() < 0.5 else body + own))
                kind.append("template+personal")
            truth.append(cluster)
        cluster += 1
        left -= size
    for _ in range(n_ns):
        texts.append(rng.choice(NON_SUBSTANTIVE))
        truth.append(-1)
        kind.append("non-substantive")
    order = list(range(len(texts)))
    rng.shuffle(order)
    return [texts[i] for i in order], np.array([truth[i] for i in order]), np.array([kind[i] for i in order])


def pairwise(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """Pairwise precision/recall/F1 over pairs that involve a response in ``mask``."""
    _, p_inv, p_cnt = np.unique(pred, return_inverse=True, return_counts=True)
    _, t_inv, t_cnt = np.unique(truth, return_inverse=True, return_counts=True)
    joint = p_inv.astype(np.int64) * (t_cnt.size + 1) + t_inv
    _, j_inv, j_cnt = np.unique(joint, return_inverse=True, return_counts=True)
    both = j_cnt[j_inv][mask]
    tp = float((both - 1).sum())
    fp = float((p_cnt[p_inv][mask] - both).sum())
    fn = float((t_cnt[t_inv][mask] - both).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}



LETTERS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "letters" / "letters.jsonl"


def letters() -> dict[str, object]:
    """Campaigns and personal additions found among the fixture form letters."""
    rows = [json.loads(line) for line in LETTERS.read_text(encoding="utf-8").splitlines() if line.strip()]
    t0 = time.perf_counter()
    result = Deduplicator().fit([r["text"] for r in rows], ids=[r["id"] for r in rows]).result_
    seconds = time.perf_counter() - t0
    truth = {r["id"]: r for r in rows}
    out: dict[str, object] = {"benchmark": "dedupe-letters", "n": len(rows)}
    found = []
    for g in result.campaigns():
        members = [rec for rec in result.records if rec.campaign_id == g.group_id]
        names = Counter(truth[rec.id]["campaign"] for rec in members)
        name, _ = names.most_common(1)[0]
        planted = sum(1 for r in rows if r["campaign"] == name and r["added"])
        with_addition = [rec for rec in members if rec.personal_addition.strip()]
        found.append({
            "campaign": name,
            "size": len(members),
            "true_size": sum(1 for r in rows if r["campaign"] == name),
            "with_personal_addition": len(with_addition),
            "planted_additions": planted,
            "planted_found": sum(1 for rec in with_addition if truth[rec.id]["added"]),
            "template_words": len(g.canonical_text.split()),
        })
    out["campaigns"] = sorted(found, key=lambda c: str(c["campaign"]))
    out["campaigns_found"] = len(found)
    out["campaigns_true"] = len({r["campaign"] for r in rows if r["campaign"]})
    out["seconds"] = round(seconds, 3)
    out["machine"] = machine()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--num-perm", type=int, default=None)
    ap.add_argument("--letters", action="store_true", help="measure the fixture form letters instead")
    args = ap.parse_args()
    if args.letters:
        print(json.dumps(letters()))
        return

    t0 = time.perf_counter()
    texts, truth, kinds = build_corpus(args.n, args.seed)
    gen_seconds = time.perf_counter() - t0
    params = {} if args.num_perm is None else {"num_perm": args.num_perm}

    Deduplicator(**params).fit(build_corpus(300, args.seed + 1)[0])  # load the compiled kernels
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    result = Deduplicator(**params).fit(texts).result_
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    gids = [r.group_id for r in result.records]
    # Ungrouped responses each form their own predicted group.
    labels = {g: i for i, g in enumerate(sorted({g for g in gids if g is not None}))}
    pred = np.array([labels[g] if g is not None else -(i + 1) for i, g in enumerate(gids)], dtype=np.int64)
    scored = truth >= 0
    t = np.where(scored, truth, -(np.arange(truth.size) + 1) - 10**9)

    out: dict[str, object] = {"benchmark": "dedupe", "n": args.n, "seed": args.seed}
    for k in ("exact", "light-edit", "template+personal", "campaign-copy"):
        mask = kinds == k
        out[k] = pairwise(pred, t, mask)
    # The source of a member: its original, or its campaign's template.
    first = {}
    for i in np.flatnonzero(np.isin(kinds, ["original", "template"])):
        first.setdefault(int(truth[i]), int(i))
    for k in ("exact", "light-edit", "template+personal"):
        idx = np.flatnonzero(kinds == k)
        src = np.array([first[int(truth[i])] for i in idx])
        out[k]["source_recall"] = round(float(np.mean(pred[idx] == pred[src])), 4) if idx.size else 1.0

    sources = np.array(sorted(first.values()))
    sp = pred[sources]
    merged = 0
    if sources.size:
        _, inv, cnt = np.unique(sp, return_inverse=True, return_counts=True)
        merged = int((cnt * (cnt - 1) // 2).sum())  # distinct sources sharing a predicted group
    out["false_merges_between_originals"] = merged
    out["n_originals_and_templates"] = int(sources.size)
    # Personal additions: members who added sentences should have one, copies of
    # the template as it stands should not.
    added = [bool(r.personal_addition) for r in result.records]
    template_key = {int(truth[i]): " ".join(texts[i].lower().split()) for i in np.flatnonzero(kinds == "template")}
    bare = [i for i in np.flatnonzero(kinds == "campaign-copy")
            if " ".join(texts[i].lower().split()) == template_key[int(truth[i])]]
    personal = np.flatnonzero(kinds == "template+personal")
    out["additions"] = {
        "template+personal_with_addition": round(float(np.mean([added[i] for i in personal])), 4) if personal.size else 1.0,
        "bare_copies_without_addition": round(1.0 - float(np.mean([added[i] for i in bare])), 4) if bare else 1.0,
    }
    ns_pred = np.array([r.kind == "non-substantive" for r in result.records])
    out["non_substantive_accuracy"] = round(float(np.mean(ns_pred == (truth < 0))), 4)
    out["counts"] = result.counts()
    out["campaigns_found"] = len(result.campaigns())
    out["campaigns_true"] = int((kinds == "template").sum())
    out["seconds"] = round(seconds, 2)
    out["cpu_seconds"] = round(cpu_seconds, 2)  # both cores count: the machine may be shared
    out["responses_per_second"] = round(args.n / seconds)
    out["load_average_before"] = round(load_before, 2)
    out["generate_seconds"] = round(gen_seconds, 2)
    out["rss_before_fit_mb"] = round(rss_before)
    out["peak_rss_mb"] = round(peak)
    out["params"] = {k: v for k, v in vars(Deduplicator(**params)).items()}
    out["machine"] = machine()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
