"""The LLM judge (when an endpoint is configured), as RAGAS faithfulness judges: the claim split
into statements, each asked of any LangChain chat model against the passage sentences that bear
on it; ``CombinedVerifier`` lets the offline checks veto it.

The verdict on a statement is the probability the model gives "yes" over "no" as its first
token, read from the reply's logprobs (``response_metadata["logprobs"]``, as OpenAI-compatible
servers and llama.cpp's return them), against one threshold calibrated on eval/claims.jsonl
(``python -m eval.calibrate_judge --write``, into ``assistant/data/judge.json``). Where the
endpoint gives no logprobs, the reply's words decide (yes / no).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.grounding.statements import evidence, statements
from assistant.grounding.verifier import (
    GroundingVerdict,
    OfflineVerifier,
    Verifier,
    quoted,
    vetoed,
)
from assistant.llm import chat_model, choice_probability, load_prompt
from ingest.embed import Embedder

if TYPE_CHECKING:
    from assistant.settings import Settings

_YES = re.compile(r"^\W*(yes|supported|true|是|はい)\b", re.IGNORECASE)
# first tokens that say yes / no, compared stripped and casefolded
YES_TOKENS = frozenset({"yes", "true", "是", "はい"})
NO_TOKENS = frozenset({"no", "false", "否", "不", "いいえ"})
TOP_LOGPROBS = 5  # alternatives asked for the first token: "Yes", "yes", "No" … are among them
REPLY_TOKENS = 2  # "Yes" is one token; a second in case a reply opens with punctuation


@dataclass(frozen=True)
class JudgeSettings:
    """The judge's fitted numbers (``assistant/data/judge.json``)."""

    threshold: float  # P(yes) at or above which a statement is supported
    evidence_sentences: int  # passage sentences shown to the judge
    edition_sentences: int = 0  # sentences of the passages' other edition shown after them

    @classmethod
    def load(cls, path: Path | None = None) -> JudgeSettings:
        return _load(str(path or data_path()))


def data_path() -> Path:
    return Path(str(resources.files("assistant").joinpath("data", "judge.json")))


@lru_cache(maxsize=4)
def _load(path: str) -> JudgeSettings:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return JudgeSettings(
        threshold=float(data["threshold"]),
        evidence_sentences=int(data["evidence_sentences"]),
        edition_sentences=int(data.get("edition_sentences", 0)),
    )


def judge_prompt() -> Any:
    """The judge's prompt (``assistant/prompts/judge.md``, a LangChain ``ChatPromptTemplate``)."""
    return load_prompt("judge.md")


def yes_probability(metadata: Mapping[str, Any]) -> float | None:
    """P(yes) / (P(yes) + P(no)) over the first token's alternatives in a reply's logprobs;
    None when the reply carries none, or none of them says yes or no."""
    logprobs = metadata.get("logprobs")
    content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
    if not content:
        return None
    first = content[0]
    return choice_probability(
        first.get("top_logprobs") or [first], YES_TOKENS.__contains__, NO_TOKENS.__contains__
    )


@dataclass(frozen=True)
class StatementVerdict:
    statement: str
    supported: bool
    probability: float | None  # None: the endpoint gave no logprobs, the reply's words decided
    reply: str


class LLMJudge:
    """Statement-by-statement verdicts from any LangChain chat model (``BaseChatModel``)."""

    def __init__(self, model: Any, threshold: float | None = None) -> None:
        self.chain = judge_prompt() | model
        self.threshold = JudgeSettings.load().threshold if threshold is None else threshold

    def ask(self, statement: str, passages: Sequence[str]) -> StatementVerdict:
        """One statement against the passages (shown first: their prompt prefix is the same
        for every statement of a claim, and the server's prompt cache reuses it)."""
        numbered = "\n".join(f"[{n}] {text}" for n, text in enumerate(passages, start=1))
        message = self.chain.invoke({"passages": numbered, "claim": statement})
        reply = str(getattr(message, "content", message))
        probability = yes_probability(getattr(message, "response_metadata", {}) or {})
        if probability is None:
            return StatementVerdict(statement, bool(_YES.match(reply.strip())), None, reply)
        return StatementVerdict(statement, probability >= self.threshold, probability, reply)

    def verify(
        self, claim: str, passages: Sequence[str], editions: Sequence[str] = ()
    ) -> GroundingVerdict:
        """``passages`` are what it is shown (the evidence sentences of both editions, chosen by
        ``CombinedVerifier``); ``editions``, if any, are shown after them."""
        passages = [*passages, *editions]
        # Step 1: break the claim into statements
        parts = statements(claim)
        # Step 2: verify each; the first one not supported decides
        asked: list[StatementVerdict] = []
        for part in parts:
            asked.append(self.ask(part, passages))
            if not asked[-1].supported:
                break
        supported = all(verdict.supported for verdict in asked)
        known = [v.probability for v in asked if v.probability is not None]
        score = min(known) if known else (1.0 if supported else 0.0)
        last = asked[-1]
        where = f" (statement {len(asked)} of {len(parts)})" if len(parts) > 1 else ""
        shown = f"P(yes)={last.probability:.2f}" if last.probability is not None else last.reply
        return GroundingVerdict(supported, score, f"LLM judge: {shown[:40]}{where}")


class CombinedVerifier:
    """The offline checks first: a wrong number, a missing entity or an opposite term is
    final. Otherwise the LLM judge decides, shown the passage sentences closest to the claim
    and, where the caller gives the passages' other edition (a translation, or the original)
    and ``edition_sentences`` is not 0, the closest sentences of that edition after them (0 in
    assistant/data/judge.json: 2 of them did not help on held-out claims); if it fails
    (endpoint down), the offline verdict stands."""

    def __init__(
        self,
        offline: OfflineVerifier,
        judge: Verifier,
        evidence_sentences: int | None = None,
        edition_sentences: int | None = None,
    ) -> None:
        self.offline = offline
        self.judge = judge
        fitted = JudgeSettings.load()
        self.evidence_sentences = (
            fitted.evidence_sentences if evidence_sentences is None else evidence_sentences
        )
        self.edition_sentences = (
            fitted.edition_sentences if edition_sentences is None else edition_sentences
        )

    def verify(
        self, claim: str, passages: Sequence[str], editions: Sequence[str] = ()
    ) -> GroundingVerdict:
        if quoted(claim, passages):  # an extractive answer's sentence: nothing to judge
            return GroundingVerdict(True, 1.0, "quoted verbatim from a passage")
        signals = self.offline.signals(claim, passages)
        verdict = self.offline.decide(signals)
        if vetoed(signals):
            return verdict
        parts = statements(claim)
        queries = [claim, *parts] if len(parts) > 1 else [claim]
        shown = evidence(queries, passages, self.offline.embed, self.evidence_sentences)
        editions = [text for text in editions if text.strip()]
        if editions and self.edition_sentences:
            shown += evidence(queries, editions, self.offline.embed, self.edition_sentences)
        try:
            return self.judge.verify(claim, shown)
        except Exception as error:  # an endpoint error must not stop an evaluation
            return replace(verdict, reason=f"{verdict.reason} (LLM judge failed: {error})")


def judge_model(settings: Settings) -> Any:
    """The chat model of the judge's settings, asked for the first token's logprobs."""
    model = chat_model(settings, max_tokens=REPLY_TOKENS)
    return model.bind(logprobs=True, top_logprobs=TOP_LOGPROBS)


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
    return CombinedVerifier(offline, LLMJudge(judge_model(judge_settings)))
