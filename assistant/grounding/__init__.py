"""The grounding verifier: is a claim supported by the passages it cites?

Shared by the assistant (checking generated sentences at run time) and the evaluation (judging
answers, and being judged on eval/claims.jsonl). Offline signals only, checked in this order:

Step 1: numbers agree. Every quantity of the claim (79 萬 = 790,000 = 79万, 七十九萬, 三個月,
        "forty-five", 54% = 54 percent = 54パーセント, 四分之一 = 1/4, 一年半, doubled) appears in
        the passages with a compatible unit: a percentage is never a count, months are never
        years. A bound agrees in direction and side ("more than 30" is not 28 nor "30 or
        fewer"); a hedge rounds a figure but does not move it ("about 36%" is not 35%).
Step 2: named entities agree. A country, organisation or glossary term the claim names (in any
        of zh-TW, ja, en) must be named by the passages too.
Step 3: no opposite terms. A claim that says "top-down" where its passage says "bottom-up"
        (and neither is negated) is not supported.
Step 4: meaning agrees. The claim is close in cross-lingual embedding space (multilingual-e5)
        to a sentence of the passages; lexical overlap adds to the score.

Who does what (swapped countries), polarity (negation) and clause-by-clause scoring were
removed: none of them improved held-out balanced accuracy (docs/issue-16/ablation.md). Such
meaning belongs to a model, not to rules.

An optional ``LLMJudge`` checks statement by statement with any LangChain chat model, as RAGAS
faithfulness does, shown the passage sentences closest to the claim (and those of the passage's
other edition, when the caller gives one), its verdict P(yes) from the reply's logprobs where the
endpoint gives them; ``CombinedVerifier`` lets the offline checks veto it.
"""

from assistant.grounding.entities import EntityTable
from assistant.grounding.judge import CombinedVerifier, LLMJudge, judge_prompt, make_verifier
from assistant.grounding.numbers import quantities, unmatched_quantities
from assistant.grounding.quantity import Quantity
from assistant.grounding.verifier import (
    GroundingVerdict,
    OfflineVerifier,
    Signals,
    Thresholds,
    Verifier,
    combined_score,
    vetoed,
)

__all__ = [
    "CombinedVerifier",
    "EntityTable",
    "GroundingVerdict",
    "LLMJudge",
    "OfflineVerifier",
    "Quantity",
    "Signals",
    "Thresholds",
    "Verifier",
    "combined_score",
    "judge_prompt",
    "make_verifier",
    "quantities",
    "unmatched_quantities",
    "vetoed",
]
