"""The grounding judge as a maintainer waits for it (``--llm``): seconds per claim of
``kakehashi eval --claims`` with the model judging (``make_verifier``: the offline vetoes, then
the model on the passage sentences closest to each statement), on the sentences the shipped
model wrote (``eval/holdout/generated/claims.jsonl``).

Beside it, the judge as RAGAS-style tutorials run it: the same model and prompt asked about
every claim against its whole passage, no veto, no sentence chosen. The two are interleaved
claim by claim (the same noise). A claim the vetoes settle never reaches the model: the second
row keeps only the claims that did.
"""

from __future__ import annotations

import json
from typing import Any

from benchmarks.context import Bench
from benchmarks.llm import endpoint
from benchmarks.procs import ROOT
from benchmarks.report import Report, Row
from benchmarks.stats import Summary, timed

CLAIMS = ROOT / "eval" / "holdout" / "generated" / "claims.jsonl"


def claims(count: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in CLAIMS.read_text(encoding="utf-8").splitlines() if line]
    return rows[:count]


def run(bench: Bench, report: Report) -> None:
    from assistant.grounding import LLMJudge, make_verifier
    from assistant.grounding.judge import judge_model

    assistant = bench.assistant()  # the store is ingested before anything is timed
    chosen = claims(bench.plan.judge_claims)
    with endpoint(bench) as update:
        settings = assistant.settings.model_copy(update=update)
        verifier = make_verifier(settings, assistant.embedder)
        naive = LLMJudge(judge_model(settings))
        first = chosen[0]
        verifier.verify(first["claim"], [first["passage"]])  # warm-up, untimed
        ours: list[float] = []
        theirs: list[float] = []
        reached: list[int] = []
        for n, claim in enumerate(chosen):
            seconds, verdict = timed(lambda c=claim: verifier.verify(c["claim"], [c["passage"]]))
            ours.append(seconds)
            if verdict.reason.startswith("LLM judge"):
                reached.append(n)
            theirs.append(timed(lambda c=claim: naive.ask(c["claim"], [c["passage"]]))[0])
    note = f"{update['llm_model']}; {len(reached)} of {len(chosen)} claims reached the model"
    report.rows += [
        Row(
            "llm",
            "grounding judge: one claim (naive: the whole passage, every claim)",
            "s",
            Summary.of(ours),
            Summary.of(theirs),
            note=note,
        ),
        Row(
            "llm",
            "grounding judge: one claim that reaches the model",
            "s",
            Summary.of([ours[n] for n in reached]),
            Summary.of([theirs[n] for n in reached]),
        ),
    ]
    report.extra["judge"] = {"claims": len(chosen), "reached_model": len(reached)}
