"""The verifier on a claims file, timed claim by claim: what ``kakehashi eval --claims`` reports,
plus the seconds each verdict took (the judge's latency) and the load average it was measured at.

    python -m eval.judge_latency FILE --out OUT.jsonl [--sample 200 --seed 16] [--every-statement]

The verifier is ``make_verifier(Settings())``, as in ``kakehashi eval --claims``: offline alone,
or offline vetoes then the LLM judge when ``KAKEHASHI_JUDGE_BASE_URL`` or
``KAKEHASHI_LLM_BASE_URL`` is set. ``--sample N`` judges a fixed random subset (``--seed``).
``--every-statement`` asks the judge every statement (threshold 0: a claim's score is its
least P(yes)), then applies the threshold of ``assistant/data/judge.json`` to the scores and
reports balanced accuracy at P(yes) 0.5 beside it: the judge's own verdicts (it stops at the
first statement it rejects) at an upper bound of its time.
Prints one JSON line: n, balanced accuracy, supported claims accepted and unsupported ones caught
(of how many), wrong numbers accepted (claims of kind
``wrong_number`` or ``unit_change``: reversed bounds are labelled so and are counted there),
the median and 90th-percentile seconds per claim, how many claims reached the judge and the
median seconds of those, the load average at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.grounding import CombinedVerifier, GroundingVerdict, LLMJudge, make_verifier
from assistant.grounding.judge import JudgeSettings, judge_model
from assistant.settings import Settings
from eval.claims import Claim, load_claims, report, verdict_records, verify
from eval.editions import Editions
from eval.run import write_jsonl
from ingest.embed import make_embedder


def sample(claims: Sequence[Claim], size: int | None, seed: int) -> list[Claim]:
    """``size`` claims drawn at random with ``seed`` (all of them when ``size`` is None), in
    file order."""
    if size is None or size >= len(claims):
        return list(claims)
    chosen = set(random.Random(seed).sample(range(len(claims)), size))
    return [claim for index, claim in enumerate(claims) if index in chosen]


def summary(judged: Sequence[tuple[Claim, Any]], seconds: Sequence[float]) -> dict[str, Any]:
    result = report(judged)
    ordered = sorted(seconds)
    by_model = [s for (_, v), s in zip(judged, seconds, strict=True) if _by_model(v.reason)]
    return {
        "n": result.overall.total,
        "balanced_accuracy": round(result.overall.balanced_accuracy, 4),
        "supported_accepted": result.overall.supported_accepted,
        "supported": result.overall.supported_accepted + result.overall.supported_rejected,
        "unsupported_caught": result.overall.unsupported_rejected,
        "unsupported": result.overall.unsupported_rejected + result.overall.unsupported_accepted,
        "wrong_numbers_accepted": len(result.wrong_numbers_accepted),
        "wrong_numbers": result.wrong_numbers,
        "median_s": round(statistics.median(ordered), 3) if ordered else 0.0,
        "p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 3) if ordered else 0.0,
        "reached_judge": len(by_model),
        "median_judged_s": round(statistics.median(by_model), 3) if by_model else 0.0,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _by_model(reason: str) -> bool:
    """Whether the verdict is the judge's (its reasons start "LLM judge")."""
    return reason.startswith("LLM judge")


def at(
    judged: Sequence[tuple[Claim, GroundingVerdict]], threshold: float
) -> list[tuple[Claim, GroundingVerdict]]:
    """The judge's verdicts (score: least P(yes)) with its threshold at ``threshold``."""
    return [
        (c, replace(v, supported=v.score >= threshold) if _by_model(v.reason) else v)
        for c, v in judged
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("claims", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--every-statement", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings()
    verifier = make_verifier(settings, make_embedder(settings.embedder))
    judge_settings = settings.judge_settings()
    if args.every_statement and isinstance(verifier, CombinedVerifier) and judge_settings:
        verifier.judge = LLMJudge(judge_model(judge_settings), threshold=0.0)
    claims = sample(load_claims(args.claims), args.sample, args.seed)
    editions = Editions.from_corpus(Path(settings.corpus_dir))
    verifier.verify(claims[0].claim, [claims[0].passage])  # loads the embedder: not timed
    judged, seconds = [], []
    partial = args.out.with_suffix(".partial.jsonl")  # claim by claim, for a run cut short
    partial.parent.mkdir(parents=True, exist_ok=True)
    with partial.open("w", encoding="utf-8") as progress:
        for claim in claims:
            start = time.perf_counter()
            verdict = verify(verifier, claim, editions)
            seconds.append(time.perf_counter() - start)
            judged.append((claim, verdict))
            (record,) = verdict_records([(claim, verdict)])
            progress.write(json.dumps(record | {"seconds": round(seconds[-1], 3)}) + "\n")
            progress.flush()
    extra: dict[str, Any] = {}
    if args.every_statement:
        threshold = JudgeSettings.load().threshold
        extra["balanced_accuracy_at_0.5"] = summary(at(judged, 0.5), seconds)["balanced_accuracy"]
        extra["threshold"] = threshold
        judged = at(judged, threshold)
    records = [
        record | {"seconds": round(s, 3)}
        for record, s in zip(verdict_records(judged), seconds, strict=True)
    ]
    write_jsonl(records, args.out)
    print(json.dumps({"file": str(args.claims)} | summary(judged, seconds) | extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
