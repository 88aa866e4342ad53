"""Fit the LLM judge's one threshold on P(yes), on claims the verifier was fitted to.

    python -m eval.calibrate_judge [--claims eval/claims.jsonl] [--sample N] [--write]
    python -m eval.calibrate_judge --records OUT.jsonl [--write]   # from a judge_latency run

``--records``: steps 2 and 3 only, on the records of ``python -m eval.judge_latency
eval/claims.jsonl --every-statement --out OUT.jsonl`` (the same scores, kept).

Needs the judge's endpoint (``KAKEHASHI_JUDGE_BASE_URL`` or ``KAKEHASHI_LLM_BASE_URL``) and one
that gives logprobs. Never run it on eval/holdout/: those claims measure the threshold.

Step 1: judge every claim with the combined verifier, the threshold at 0 so that every statement
        is asked and a claim's score is its least P(yes) (offline vetoes stay final).
Step 2: choose the threshold on that score with the best balanced accuracy of the combined
        verdicts (ties: the one nearest 0.5).
Step 3: print it beside the verdicts at 0.5; ``--write`` puts it in ``assistant/data/judge.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from assistant.grounding.judge import CombinedVerifier, LLMJudge, data_path, judge_model
from assistant.grounding.verifier import OfflineVerifier
from assistant.settings import Settings
from eval.claims import Claim, load_claims, verify
from eval.editions import Editions
from eval.judge_latency import at, sample, summary
from eval.metrics import confusion
from ingest.embed import make_embedder

IN_SAMPLE = Path("eval/claims.jsonl")


def by_judge(reason: str) -> bool:
    return reason.startswith("LLM judge")


def balanced_accuracy(
    claims: Sequence[Claim], supported: Sequence[bool], scores: Sequence[float | None], t: float
) -> float:
    """Balanced accuracy of the combined verdicts with the judge's threshold at ``t``: a claim
    the judge scored (``scores``) is supported at ``t`` or above; the others keep theirs."""
    verdicts = [
        ok if score is None else score >= t for ok, score in zip(supported, scores, strict=True)
    ]
    labels = [claim.label == "supported" for claim in claims]
    return confusion(labels, verdicts).balanced_accuracy


def best_threshold(
    claims: Sequence[Claim], supported: Sequence[bool], scores: Sequence[float | None]
) -> tuple[float, float]:
    """The threshold (among the scores seen, and 0.5) with the best balanced accuracy."""
    candidates = sorted({0.5, *(s for s in scores if s is not None)})
    ranked = [
        (balanced_accuracy(claims, supported, scores, t), -abs(t - 0.5), t) for t in candidates
    ]
    accuracy, _, threshold = max(ranked)
    return threshold, accuracy


def from_records(path: Path, write: bool) -> int:
    """Steps 2 and 3 on the verdict records of a run that asked every statement."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    claims = [Claim(row["id"], row["lang"], "", "", row["label"], row["kind"]) for row in rows]
    supported = [row["verdict"] == "supported" for row in rows]
    scores = [row["score"] if by_judge(row["reason"]) else None for row in rows]
    threshold, accuracy = best_threshold(claims, supported, scores)
    judged = sum(score is not None for score in scores)
    result = {
        "threshold": round(threshold, 4),
        "balanced_accuracy": round(accuracy, 4),
        "balanced_accuracy_at_0.5": round(balanced_accuracy(claims, supported, scores, 0.5), 4),
        "n": len(claims),
        "judged": judged,
    }
    print(json.dumps(result))
    if write:
        _write(result["threshold"], f"{path.name}: {len(claims)} claims, {judged} judged")
    return 0


def _write(threshold: float, source: str) -> None:
    current = json.loads(data_path().read_text(encoding="utf-8"))
    current |= {"threshold": threshold, "fitted_on": source}
    data_path().write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--claims", type=Path, default=IN_SAMPLE)
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--records", type=Path, default=None)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    if "holdout" in args.claims.parts or "holdout" in str(args.records or ""):
        parser.error("the held-out claims measure the threshold: never fit it on them")
    if args.records is not None:
        return from_records(args.records, args.write)
    settings = Settings()
    judge_settings = settings.judge_settings()
    if judge_settings is None:
        parser.error("no judge endpoint: set KAKEHASHI_JUDGE_BASE_URL or KAKEHASHI_LLM_BASE_URL")
    offline = OfflineVerifier(
        make_embedder(settings.embedder), glossary=Path(settings.corpus_dir) / "glossary.json"
    )
    # Step 1: every statement asked (threshold 0), each claim's least P(yes)
    verifier = CombinedVerifier(offline, LLMJudge(judge_model(judge_settings), threshold=0.0))
    claims = sample(load_claims(args.claims), args.sample, args.seed)
    editions = Editions.from_corpus(Path(settings.corpus_dir))
    verdicts, seconds = [], []
    for claim in claims:
        start = time.perf_counter()
        verdicts.append(verify(verifier, claim, editions))
        seconds.append(time.perf_counter() - start)
    supported = [verdict.supported for verdict in verdicts]
    scores = [v.score if by_judge(v.reason) else None for v in verdicts]
    # Step 2: the best threshold on those scores
    threshold, accuracy = best_threshold(claims, supported, scores)
    at_half = balanced_accuracy(claims, supported, scores, 0.5)
    # Step 3: report, and write
    judged = sum(score is not None for score in scores)
    fitted = summary(at(list(zip(claims, verdicts, strict=True)), threshold), seconds)
    result = {
        "threshold": round(threshold, 4),
        "balanced_accuracy": round(accuracy, 4),
        "balanced_accuracy_at_0.5": round(at_half, 4),
        "n": len(claims),
        "judged": judged,
        "wrong_numbers_accepted": fitted["wrong_numbers_accepted"],
        "median_s": fitted["median_s"],
        "median_judged_s": fitted["median_judged_s"],
    }
    print(json.dumps(result))
    if args.write:
        source = f"{args.claims} ({len(claims)} claims, seed {args.seed}; {judged} judged)"
        _write(result["threshold"], source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
