"""Fit the threshold on the model's P(answerable is false) in quotes mode, on dev questions.

    python -m eval.calibrate_answerable reports/llm-dev.jsonl [--write]

Reads the records of ``kakehashi eval --questions eval/questions/dev.jsonl`` run with a model
that gives logprobs (``make eval-llm`` writes ``reports/llm-dev.jsonl``): each answer the model
was asked for carries its P(false) in ``timings_ms["unanswerable"]`` (the answered questions and
those just under the refusal threshold). Never run it on the blind sets: they measure it.

Step 1: for each threshold on a grid of 0.05, the answerable questions it would refuse and the
        unanswerable ones it would answer.
Step 2: the threshold with the fewest of both (ties: the lower); ``--write`` puts it in the
        "quotes" section of ``assistant/data/thresholds.json``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

from assistant import thresholds

GRID = [round(0.05 * step, 2) for step in range(1, 20)]


def asked(records: Sequence[dict[str, object]]) -> list[tuple[float, bool]]:
    """(P(false), answerable) of every record the model gave a probability for."""
    found = []
    for record in records:
        timings = record.get("timings_ms")
        if isinstance(timings, dict) and "unanswerable" in timings:
            found.append((float(timings["unanswerable"]), bool(record["answerable"])))
    return found


def errors(scores: Sequence[tuple[float, bool]], threshold: float) -> tuple[int, int]:
    """(answerable refused, unanswerable answered) at ``threshold``."""
    refused = sum(1 for p, answerable in scores if answerable and p >= threshold)
    answered = sum(1 for p, answerable in scores if not answerable and p < threshold)
    return refused, answered


def best(scores: Sequence[tuple[float, bool]]) -> float:
    return min(GRID, key=lambda threshold: (sum(errors(scores, threshold)), threshold))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m eval.calibrate_answerable", description=__doc__.splitlines()[0]
    )
    parser.add_argument("records", type=Path)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    records = [json.loads(line) for line in args.records.read_text(encoding="utf-8").splitlines()]
    scores = asked(records)
    if not scores:
        raise SystemExit(f"{args.records}: no record carries the model's P(false)")
    print(f"{len(scores)} answers with P(false) ({sum(not a for _, a in scores)} unanswerable)")
    for threshold in GRID:
        refused, answered = errors(scores, threshold)
        print(f"{threshold:.2f}: answerable refused {refused}, unanswerable answered {answered}")
    chosen = best(scores)
    print(f"chosen: {chosen:.2f} (now {thresholds.quotes().unanswerable})")
    if args.write:
        values = {"unanswerable": chosen, "confirm_below": thresholds.quotes().confirm_below}
        print(f"written to {thresholds.write('quotes', values)}: {values}")


if __name__ == "__main__":
    main()
