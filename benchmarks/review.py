"""Response times of the review app on a synthetic 100k-answer workspace (10 questions x 10k).

Prints one JSON line: median and 95th percentile (ms) of the answer list, a filtered
list, a code change and the question page, via Starlette's TestClient.
Usage: python benchmarks/review.py [--questions 10] [--answers 10000] [--repeats 60]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import time
from pathlib import Path

from starlette.testclient import TestClient

from consult.workspace import answers
from consult.review.app import create_app
from consult.review.demo import build_demo_workspace
from consult.workspace.db import connect
from _machine import machine  # benchmarks/ is on sys.path when a script here is run

CACHE = Path("/tmp/consult-cache/review-bench")



def workspace(questions: int, answers: int) -> Path:
    src = CACHE / f"{questions}x{answers}"
    if not (src / "consult.db").exists():
        build_demo_workspace(src, questions=questions, answers_per_question=answers, random_state=0)
    work = CACHE / "run"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(src / "consult.db", work / "consult.db")
    return work


def timed(fn, repeats: int) -> dict[str, float]:
    fn()  # warm up
    ms = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ms.append(1000 * (time.perf_counter() - t))
    ms.sort()
    return {"median_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=10)
    ap.add_argument("--answers", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=60)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ws = workspace(args.questions, args.answers)
    build_s = time.perf_counter() - t0
    client = TestClient(create_app(ws), headers={"Origin": "http://testserver"})
    client.__enter__()  # one event-loop thread for all requests, as under uvicorn
    client.cookies.set("consult_reviewer", "Bench")
    conn = connect(ws / "consult.db")
    rng = random.Random(0)
    total = conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    def get(url: str, **params):
        def run():
            r = client.get(url, params=params)
            assert r.status_code == 200, r.status_code
        return run

    def change():
        rid = rng.randint(1, total)
        s = answers.answer_state(conn, rid)
        codes = sorted(set(s.final_codes) ^ {rng.choice(["other", "funding", "choice"])})
        r = client.post(f"/a/{rid}", data={"version": str(s.version), "codes": codes, "back": f"question={s.question_id}"},
                        follow_redirects=False)
        assert r.status_code == 303, r.status_code

    last_q = f"q{args.questions}"
    figures = {
        "benchmark": "review",
        "answers": total,
        "build_s": round(build_s, 1),
        "answer_list": timed(get(f"/q/{last_q}/answers"), args.repeats),
        "answer_list_page_100": timed(get(f"/q/{last_q}/answers", after=str(total - 2000)), args.repeats),
        "filtered_list": timed(get(f"/q/{last_q}/answers", conf="0.5", unreviewed="1", code="funding",
                                   group="Parent or carer"), args.repeats),
        "text_search": timed(get(f"/q/{last_q}/answers", search="training"), args.repeats),
        "code_change": timed(change, args.repeats),
        "answer_page": timed(lambda: client.get(f"/a/{rng.randint(1, total)}?question=q1&conf=0.5"), args.repeats),
        "question_page": timed(get(f"/q/{last_q}"), max(10, args.repeats // 4)),
        "target_p95_ms": 200,
        "machine": machine(),
    }
    client.__exit__(None, None, None)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
