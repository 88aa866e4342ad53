"""The LLM judge (when an endpoint is configured): checks claim by claim with any LangChain
chat model, as RAGAS faithfulness does; ``CombinedVerifier`` lets the offline checks veto it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.grounding.verifier import (
    GroundingVerdict,
    OfflineVerifier,
    Verifier,
    quoted,
    vetoed,
)
from assistant.llm import chat_model, load_prompt
from ingest.embed import Embedder

if TYPE_CHECKING:
    from assistant.settings import Settings

_YES = re.compile(r"^\W*(yes|supported|true|是|はい)\b", re.IGNORECASE)


def judge_prompt() -> Any:
    """The judge's prompt (``assistant/prompts/judge.md``, a LangChain ``ChatPromptTemplate``)."""
    return load_prompt("judge.md")


class LLMJudge:
    """Claim-by-claim verdicts from any LangChain chat model (``BaseChatModel``)."""

    def __init__(self, model: Any) -> None:
        from langchain_core.output_parsers import StrOutputParser

        self.chain = judge_prompt() | model | StrOutputParser()

    def verify(self, claim: str, passages: Sequence[str]) -> GroundingVerdict:
        numbered = "\n".join(f"[{n}] {text}" for n, text in enumerate(passages, start=1))
        reply = str(self.chain.invoke({"passages": numbered, "claim": claim}))
        supported = bool(_YES.match(reply.strip()))
        return GroundingVerdict(supported, 1.0 if supported else 0.0, f"LLM judge: {reply[:40]}")


class CombinedVerifier:
    """The offline checks first: a wrong number, a missing entity or an opposite term is
    final. Otherwise the LLM judge decides; if it fails (endpoint
    down), the offline verdict stands."""

    def __init__(self, offline: OfflineVerifier, judge: Verifier) -> None:
        self.offline = offline
        self.judge = judge

    def verify(self, claim: str, passages: Sequence[str]) -> GroundingVerdict:
        if quoted(claim, passages):  # an extractive answer's sentence: nothing to judge
            return GroundingVerdict(True, 1.0, "quoted verbatim from a passage")
        signals = self.offline.signals(claim, passages)
        verdict = self.offline.decide(signals)
        if vetoed(signals):
            return verdict
        try:
            return self.judge.verify(claim, passages)
        except Exception as error:  # an endpoint error must not stop an evaluation
            return replace(verdict, reason=f"{verdict.reason} (LLM judge failed: {error})")


def make_verifier(
    settings: Settings, embedder: Embedder, *, answering_model_judges: bool = True
) -> Verifier:
    """The verifier for these settings: offline, plus the LLM judge when an endpoint is
    configured. ``answering_model_judges=False``: only a judge endpoint of its own counts (a
    one-slot local server cannot judge a sentence while it is still writing the answer)."""
    offline = OfflineVerifier(embedder, glossary=Path(settings.corpus_dir) / "glossary.json")
    judge_settings = settings.judge_settings()
    if judge_settings is None or (not answering_model_judges and not settings.judge_base_url):
        return offline
    return CombinedVerifier(offline, LLMJudge(chat_model(judge_settings, max_tokens=8)))
