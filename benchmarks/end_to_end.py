"""End to end: `consult analyse` on a generated consultation of N respondents, stage by stage.

    python benchmarks/end_to_end.py --respondents 10000 [--engine local|ray] [--seed S]
    python benchmarks/end_to_end.py --respondents 100000 --stages load,dedupe     # load + dedupe only
    python benchmarks/end_to_end.py --respondents 10000 --interrupt-after 120     # stop, then resume

The consultation is written by the sample's generator
(responses/advocacy-standards/generate.py: the same questions, the same shares of
campaigns, duplicates, long answers, Welsh and blank answers) into ``--data``
(kept, and reused by the next run with the same size and seed), with the sample's
config and codebooks. Each run analyses it into a fresh workspace and prints one
JSON line: respondents, answers, distinct texts and how many were embedded,
seconds per stage (load, ingest, dedupe, embed, themes, assign, report) and in
total, the share of the run that is not embedding, peak memory, texts per second
of the embed stage, ``output_sha256`` over every answer's final codes and theme
(equal for two runs or two engines that agree), the engine and the machine.

With ``--interrupt-after SECONDS`` it first runs ``consult analyse`` in a child
process, stops it with SIGINT (Ctrl-C) after that many seconds, then runs again
into the same workspace and reports how many vectors the stopped run had saved,
how many the second run embedded, and how many were embedded twice (``redone``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Measure the checkout this script is in, not whichever copy is installed.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from consult.engine import make_engine  # noqa: E402
from consult.pipeline import analyse, output_digest  # noqa: E402
from consult.workspace.caches import EmbeddingCache  # noqa: E402
from consult.workspace.db import connect  # noqa: E402
from consult.workspace.runs import latest_run  # noqa: E402
from _machine import machine  # noqa: E402  (benchmarks/ is on sys.path when a script here is run)

SAMPLE = ROOT / "responses" / "advocacy-standards"
CODEBOOKS = ROOT / "codebook" / "advocacy-standards"
STAGES = ("load", "ingest", "dedupe", "embed", "themes", "assign", "report")
ANALYSE_STAGES = ("dedupe", "embed", "themes", "assign", "report")  # those analyse() may skip


def consultation(respondents: int, seed: int, data: Path) -> Path:
    """The folder of a generated consultation (config, responses.csv, codebooks), generated once."""
    folder = data / f"advocacy-{respondents}-seed{seed}"
    if not (folder / "responses.csv").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(SAMPLE / "generate.py"), "--respondents", str(respondents),
                        "--seed", str(seed), "--out", str(folder)], check=True)
    shutil.copy(SAMPLE / "consultation.toml", folder / "consultation.toml")
    shutil.copytree(CODEBOOKS, folder / "codebook" / "advocacy-standards", dirs_exist_ok=True)
    return folder


def interrupt(folder: Path, out: Path, args: argparse.Namespace, seconds: float) -> dict[str, object]:
    """Run `consult analyse` in a child process and stop it with SIGINT after ``seconds``."""
    cmd = [sys.executable, "-m", "consult.cli", "analyse", str(folder), "-o", str(out), "--no-progress",
           "--engine", args.engine] + (["--ray-workers", str(args.ray_workers)] if args.ray_workers else []) + (
           ["--ray-address", args.ray_address] if args.ray_address else [])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    # SIGINT as Ctrl-C gives it, even when this script runs in the background (where a shell ignores SIGINT
    # for its children, and Python then installs no KeyboardInterrupt handler)
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        child.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=600)
    conn = connect(out / "consult.db")
    try:
        saved = EmbeddingCache(conn).count()
        run = latest_run(conn)
    finally:
        conn.close()
    finished = [line.split(":")[0] for line in json.loads(run["log_json"] or "[]")] if run else []
    return {"interrupted_after_seconds": seconds, "interrupted_exit_code": child.returncode,
            "interrupted_message": err.strip().splitlines()[-1] if err.strip() else "",
            "interrupted_run_status": run["status"] if run else None,
            "interrupted_in_stage": next((s for s in STAGES if s not in finished), None),
            "vectors_saved_before_resume": saved}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--respondents", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engine", choices=("local", "ray"), default="local")
    ap.add_argument("--ray-address", default=None)
    ap.add_argument("--ray-workers", type=int, default=None)
    ap.add_argument("--stages", default="all",
                    help="comma-separated stages to run after load (e.g. dedupe), or all [default: all]")
    ap.add_argument("--interrupt-after", type=float, default=None, metavar="SECONDS",
                    help="stop a first run after SECONDS with SIGINT, then resume it and report what was redone")
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "consult-bench",
                    help="where generated consultations are kept [default: %(default)s]")
    ap.add_argument("--out", type=Path, default=None, help="the workspace folder [default: a fresh one in --data]")
    ap.add_argument("--progress", action="store_true", help="show the progress bars on stderr")
    args = ap.parse_args()

    wanted = ANALYSE_STAGES if args.stages == "all" else tuple(s.strip() for s in args.stages.split(","))
    skip = tuple(s for s in ANALYSE_STAGES if s not in wanted)
    folder = consultation(args.respondents, args.seed, args.data)
    out = args.out or args.data / f"workspace-{args.respondents}-seed{args.seed}-{args.engine}"
    if out.exists():
        shutil.rmtree(out)
    figures: dict[str, object] = {"respondents": args.respondents, "seed": args.seed, "engine": args.engine}
    if args.interrupt_after is not None:
        figures.update(interrupt(folder, out, args, args.interrupt_after))

    start = time.perf_counter()
    with make_engine(args.engine, address=args.ray_address, workers=args.ray_workers,
                     quiet=not args.progress) as engine:
        result = analyse(folder, out, progress=args.progress, skip=skip, engine=engine)
    total = time.perf_counter() - start
    conn = connect(result.db_path)
    try:
        sha = output_digest(conn) if "assign" not in skip else None
    finally:
        conn.close()
    seconds = {k: round(result.seconds[k], 1) for k in STAGES if k in result.seconds}
    embed_s = result.seconds.get("embed", 0.0)
    embedded = result.counts.get("embedded")
    figures.update({
        "answers": result.responses,
        "distinct_texts": result.counts.get("distinct_texts"),
        "embedded": embedded,
        "seconds": seconds,
        "total_seconds": round(total, 1),
        "load_ingest_dedupe_seconds": round(sum(result.seconds.get(k, 0.0) for k in ("load", "ingest", "dedupe")), 1),
        "non_embed_share": round(1 - embed_s / total, 3) if "embed" in result.seconds else None,
        "embed_texts_per_second": round(embedded / embed_s, 1) if embedded and embed_s else None,
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "output_sha256": sha,
        "engine_detail": result.engine,
        "machine": machine(),
    })
    if figures.get("interrupted_in_stage") == "embed" and embedded is not None:
        # every vector saved before the stop is one of the stage's texts: none should be embedded again
        figures["redone"] = figures["vectors_saved_before_resume"] + embedded - (result.counts.get("distinct_texts") or 0)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
