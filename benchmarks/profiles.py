"""Profiles, written only with ``--profile`` (small text files beside the JSON, not committed):
pyinstrument's call tree of a cold ``kakehashi ask`` and of in-process work (re-ingest, hybrid
retrieval at scale), and the import times of a cold ask (``python -X importtime``) summed per
top-level package."""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Callable

from benchmarks.context import Bench
from benchmarks.procs import run_measured
from benchmarks.report import Report

_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def in_process(
    bench: Bench, report: Report, label: str, name: str, work: Callable[[], object], interval: float
) -> None:
    """``work()`` once more under pyinstrument, saved as ``profile-<name>.txt``."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=interval)
    profiler.start()
    work()
    profiler.stop()
    path = bench.results / f"profile-{name}.txt"
    path.write_text(profiler.output_text(unicode=True, color=False), encoding="utf-8")
    report.profiles[label] = str(path)


def cold_ask(bench: Bench, report: Report, question: str) -> None:
    path = bench.results / "profile-cold-ask.txt"
    done = run_measured(
        [
            sys.executable,
            "-m",
            "pyinstrument",
            "-r",
            "text",
            "-o",
            str(path),
            "-p",
            "processor_options.filter_threshold=0.02",
            "-m",
            "ui.cli",
            "ask",
            question,
        ],
        bench.env(),
    )
    if done.returncode == 0:
        report.profiles["cold `kakehashi ask` (pyinstrument)"] = str(path)
    imports = run_measured(
        [sys.executable, "-X", "importtime", "-m", "ui.cli", "ask", question], bench.env()
    )
    if imports.returncode == 0:
        path = bench.results / "profile-cold-imports.txt"
        path.write_text(import_summary(imports.stderr), encoding="utf-8")
        report.profiles["imports of a cold ask (-X importtime)"] = str(path)


def import_summary(stderr: str, top: int = 25) -> str:
    """Self import time summed per top-level package, and the slowest cumulative imports."""
    per_package: dict[str, int] = defaultdict(int)
    cumulative: list[tuple[int, str]] = []
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if not match:
            continue
        own, total, name = int(match.group(1)), int(match.group(2)), match.group(4)
        per_package[name.split(".")[0]] += own
        cumulative.append((total, name))
    total_ms = sum(per_package.values()) / 1000
    lines = [f"total import time (self, summed): {total_ms:.0f} ms", "", "per top-level package:"]
    for name, own in sorted(per_package.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"  {own / 1000:8.1f} ms  {name}")
    lines += ["", "slowest imports (cumulative, includes what they import):"]
    for total, name in sorted(cumulative, reverse=True)[:top]:
        lines.append(f"  {total / 1000:8.1f} ms  {name}")
    return "\n".join(lines) + "\n"
