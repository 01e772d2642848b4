"""Benchmark: redaction recall and precision on a labelled corpus.

    .venv/bin/python benchmarks/redact.py [path/to/corpus.jsonl] [--misses]

The corpus defaults to ``tests/fixtures/redaction_corpus_v2.jsonl`` (425
answers, issue 11); the older ``redaction_corpus.jsonl`` can be given instead.
Each line is ``{"text", "spans": [{"start", "end", "kind"}]}``.

How a span counts (``consult.redact.evaluate``):

* recall: a labelled span is found only when every letter and digit in it is
  inside some redacted span, of any kind, leaving aside a leading title
  ("Mrs" in "Mrs Patel"). "Mr. [name] A Revitsky" is a miss for "David A
  Revitsky"; a phone number hidden as an NHS number is found.
  ``recall_overlap`` is the looser figure where any overlapping redaction
  counts, given for comparison with the older benchmark.
* precision: a redacted span is right when it overlaps any labelled span.
* ``typed``: share of labelled spans overlapped by a redaction of their own
  kind (a "+44 (0) ..." number marked ``[NHS number]`` is found but not typed).
* ``public_office`` spans (an office holder named in their public role,
  "Secretary Cardona") may be redacted or left: they count neither for recall
  nor against precision; ``public_office_left`` says how many were left.

Groups: ``structured`` (email, phone, postcode, NHS and NI numbers,
addresses), ``names``, ``places`` and ``all``. Targets (issue 11): recall
>= 0.98 structured, >= 0.95 names, >= 0.90 places; precision >= 0.90 all.

Prints one JSON line with the figures, the targets met, throughput on a
100,000-character text and the machine. ``--misses`` also prints every missed
labelled span and every wrong redaction to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consult.redact import OPTIONAL_KINDS, Redactor, _covered, evaluate  # noqa: E402
from _machine import machine  # benchmarks/ is on sys.path when a script here is run

DEFAULT_CORPUS = ROOT / "tests" / "fixtures" / "redaction_corpus_v2.jsonl"

TARGETS = {
    ("structured", "recall"): 0.98,
    ("names", "recall"): 0.95,
    ("places", "recall"): 0.90,
    ("all", "precision"): 0.90,
}


def misses(records: list[dict], redactor: Redactor) -> list[str]:
    """One line per missed labelled span and per redaction that overlaps no label."""
    lines = []
    for n, rec in enumerate(records, 1):
        text, gold = rec["text"], rec["spans"]
        out = redactor.redact(text)
        for s in gold:
            if s["kind"] not in OPTIONAL_KINDS and not _covered(s["start"], s["end"], text, out.spans):
                lines.append(f"line {n}: missed {s['kind']} {text[s['start']:s['end']]!r} -> {out.text!r}")
        for p in out.spans:
            if not any(p.start < s["end"] and s["start"] < p.end for s in gold):
                lines.append(f"line {n}: wrong {p.kind} {p.original!r} -> {out.text!r}")
    return lines


def main(path: Path = DEFAULT_CORPUS, show_misses: bool = False) -> dict:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    redactor = Redactor()
    scores = evaluate(records, redactor)
    loose = evaluate(records, redactor, match="overlap")

    # throughput on the whole corpus joined into one ~100k-character text
    text = " ".join(r["text"] for r in records)
    text = (text * (100_000 // len(text) + 1))[:100_000]
    t0 = time.perf_counter()
    redactor.redact(text)
    seconds = time.perf_counter() - t0

    measured = {k: v for k, v in scores.items() if k not in OPTIONAL_KINDS}
    optional = {k: scores[k] for k in OPTIONAL_KINDS if k in scores}
    result = {
        "benchmark": "redact",
        "corpus": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
        "lines": len(records),
        "lines_without_personal_data": sum(
            1 for r in records if all(s["kind"] in OPTIONAL_KINDS for s in r["spans"])
        ),
        "recall": {k: v["recall"] for k, v in measured.items()},
        "recall_overlap": {k: loose[k]["recall"] for k in measured if k in loose},
        "precision": {k: v["precision"] for k, v in measured.items()},
        "typed": {k: v["typed"] for k, v in measured.items()},
        "labelled": {k: v["labelled"] for k, v in measured.items()},
        "redacted": {k: v["redacted"] for k, v in measured.items()},
        "public_office_left": {k: v["labelled"] - v["found"] for k, v in optional.items()},
        "targets_met": {  # null where the corpus has no span of the group
            f"{group} {figure} >= {target}": (
                None if scores.get(group, {}).get(figure) is None else scores[group][figure] >= target
            )
            for (group, figure), target in TARGETS.items()
        },
        "seconds_per_100k_chars": round(seconds, 3),
        "machine": machine(),
    }
    if show_misses:
        print("\n".join(misses(records, redactor)), file=sys.stderr)
    print(json.dumps(result, sort_keys=False, ensure_ascii=False))
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--misses", action="store_true", help="print missed and wrong spans to stderr")
    args = parser.parse_args()
    main(args.corpus.resolve(), args.misses)
