"""``python -m benchmarks [--quick] [--only SECTION ...] [--no-ui] [--llm URL|local] [--profile]
[--details]``: measure, print the table of what users feel, write the JSON
(``benchmarks/results/latest.json`` unless ``--out``).

The sections ``cold``, ``warm``, ``ingest``, ``scale`` and ``ui`` (headless Chromium; ``--no-ui``
leaves it out) run by default; ``llm`` (a model endpoint) only when asked for, with ``--llm``;
``judge`` (the grounding judge on that endpoint) only with ``--only judge --llm ...``, which
runs ``llm`` as well."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import traceback
import warnings
from pathlib import Path

from benchmarks import cold, ingestion, judge, llm, profiles, scale, ui, warm
from benchmarks.context import RESULTS, Bench, Plan
from benchmarks.report import Report, table

SECTIONS = {
    "cold": cold.run,
    "warm": warm.run,
    "ingest": ingestion.run,
    "scale": scale.run,
    "ui": ui.run,
    "llm": llm.run,
    "judge": judge.run,
}
NEEDS_MODEL = ("llm", "judge")
DEFAULT = ("cold", "warm", "ingest", "scale", "ui")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Smaller run (a few minutes).")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json", help="JSON path.")
    parser.add_argument("--only", nargs="+", choices=sorted(SECTIONS), help="Sections to run.")
    parser.add_argument(
        "--no-ui", action="store_true", help="Leave out the chat in headless Chromium (ui)."
    )
    parser.add_argument(
        "--details",
        action="store_true",
        help="Also print the supporting rows (all are in the JSON).",
    )
    parser.add_argument(
        "--llm",
        metavar="URL|local",
        help="Also time generated answers (section llm) at this OpenAI-compatible base URL, or "
        "'local': the model Kakehashi ships, served on 127.0.0.1 for the run.",
    )
    parser.add_argument("--llm-model", help="Model name at the --llm URL.")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "kakehashi-bench",
        help="Scratch folder; the ingested real corpus is kept there between runs.",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="Also write pyinstrument and import-time profiles (profile-*.txt beside --out).",
    )
    args = parser.parse_args(argv)
    args.sections = list(args.only or DEFAULT)
    if args.no_ui and not args.only:
        args.sections.remove("ui")
    if args.llm:
        args.sections.append("llm")
    args.sections = list(dict.fromkeys(args.sections))
    needing = [name for name in args.sections if name in NEEDS_MODEL]
    if needing and not args.llm:
        parser.error(f"the {needing[0]} section needs --llm URL --llm-model NAME, or --llm local")
    if args.llm not in (None, "local") and not args.llm_model:
        parser.error("--llm URL needs --llm-model NAME")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    plan = Plan.quick() if args.quick else Plan.full()
    args.work.mkdir(parents=True, exist_ok=True)
    bench = Bench(
        plan,
        args.work,
        results=args.out.parent,
        profile=args.profile,
        llm=args.llm,
        llm_model=args.llm_model,
    )
    bench.results.mkdir(parents=True, exist_ok=True)
    report = Report(mode=plan.name)
    report.extra["load_average_at_start"] = os.getloadavg()
    failed = False
    started = time.perf_counter()
    for name in args.sections:
        section_started = time.perf_counter()
        print(f"[benchmarks] {name} ...", flush=True)
        try:
            SECTIONS[name](bench, report)
        except Exception:  # one broken section must not hide the others' figures
            failed = True
            report.notes.append(f"section {name} failed: {traceback.format_exc(limit=3)}")
            traceback.print_exc()
        report.extra[f"section_seconds_{name}"] = round(time.perf_counter() - section_started, 1)
    if args.profile and "cold" in args.sections:
        profiles.cold_ask(bench, report, bench.questions()[0])
    report.notes[:0] = bench.setup_notes
    report.extra["load_average_at_end"] = os.getloadavg()
    report.extra["total_seconds"] = round(time.perf_counter() - started, 1)
    report.write(args.out)
    print()
    print(table(report, details=args.details))
    print(f"\nwrote {args.out} ({report.extra['total_seconds']} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
