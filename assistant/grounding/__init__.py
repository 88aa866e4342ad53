"""The grounding verifier: is a claim supported by the passages it cites?

Shared by the assistant (checking generated sentences at run time) and the evaluation (judging
answers, and being judged on eval/claims.jsonl). Offline signals only, checked in this order:

Step 1: numbers agree. Every quantity of the claim (79 萬 = 790,000 = 79万, 七十九萬, 三個月,
        "forty-five", 54% = 54 percent = 54パーセント, 四分之一 = 1/4) appears in the passages with
        a compatible unit: a percentage is never a count, months are never years.
Step 2: named entities agree. A country, organisation or glossary term the claim names (in any
        of zh-TW, ja, en) must be named by the passages too.
Step 3: roles agree. When the claim names two countries, swapping them must not fit the
        passages' characters better ("台灣規劃、日本執行" against "日本規劃、台灣執行"), and what
        a CJK claim says of one country (the subject of its clause) must not be what the
        passages say of the other ("台湾は資金とブランドを持つ" against "日本擁有資金與品牌").
Step 4: polarity agrees. A claim that negates what the best-matching sentence asserts (or the
        reverse) is not supported.
Step 5: meaning agrees. The claim, and each of its clauses, is close in cross-lingual embedding
        space (multilingual-e5) to a sentence of the passages; lexical overlap adds to the score.

An optional ``LLMJudge`` checks claim by claim with any LangChain chat model, as RAGAS
faithfulness does; ``CombinedVerifier`` lets the offline checks veto it.
"""

from assistant.grounding.entities import EntityTable
from assistant.grounding.judge import CombinedVerifier, LLMJudge, judge_prompt, make_verifier
from assistant.grounding.negation import negation_conflict
from assistant.grounding.numbers import Quantity, quantities, unmatched_quantities
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
    "negation_conflict",
    "quantities",
    "unmatched_quantities",
    "vetoed",
]
