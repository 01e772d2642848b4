"""Benchmark: redaction recall and precision on the labelled corpus.

Prints one JSON line: recall and precision (by span overlap) per kind and for
the groups "structured" (emails, phones, postcodes, NHS/NI numbers), "names"
and "all", plus throughput and the machine it ran on.

    .venv/bin/python benchmarks/redact.py [path/to/corpus.jsonl]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from consult.redact import Redactor, evaluate  # noqa: E402
from _machine import machine  # benchmarks/ is on sys.path when a script here is run

DEFAULT_CORPUS = ROOT / "tests" / "fixtures" / "redaction_corpus.jsonl"



def main(path: Path = DEFAULT_CORPUS) -> dict:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    redactor = Redactor()
    scores = evaluate(records, redactor)

    # throughput on the whole corpus joined into one ~100k-character text
    text = " ".join(r["text"] for r in records)
    text = (text * (100_000 // len(text) + 1))[:100_000]
    t0 = time.perf_counter()
    redactor.redact(text)
    seconds = time.perf_counter() - t0

    result = {
        "benchmark": "redact",
        "corpus": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
        "lines": len(records),
        "lines_without_personal_data": sum(1 for r in records if not r["spans"]),
        "recall": {k: v["recall"] for k, v in scores.items()},
        "precision": {k: v["precision"] for k, v in scores.items()},
        "labelled": {k: v["labelled"] for k, v in scores.items()},
        "redacted": {k: v["redacted"] for k, v in scores.items()},
        "seconds_per_100k_chars": round(seconds, 3),
        "machine": machine(),
    }
    print(json.dumps(result, sort_keys=False))
    return result


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DEFAULT_CORPUS)
