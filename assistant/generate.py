"""Generated answers through an OpenAI-compatible endpoint: never worse than the extractive one.

The extractive answer comes first (``api``): it is the floor. When it refuses, the corpus does
not answer and no model is asked. Otherwise the model answers in one of two ways
(``Settings.llm_answers``):

"quotes" (the default, for the small model Kakehashi ships; ``quotes.QuotedAnswers``): the best
        sentences of the extractive scoring and their neighbours go to the model numbered; it
        names the ones that answer the question, most direct first (JSON schema), and each is
        shown verbatim with its citation as soon as its number is complete. What is shown is
        the passages' own words: a model that cannot be checked for meaning cannot make it
        unfaithful. The extractive answer's quotes follow where it left them out.
"written" (``written.WrittenAnswers``): the model writes its own sentences, each checked
        against the passages it cites before it is shown.
Either way, an answer with nothing checked to show, or that the model says the passages do not
answer, becomes the extractive answer with a notice, or a refusal (``model_reply``). So does an
endpoint that fails (down, too slow, garbage).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant import thresholds
from assistant.answer import ScoredSentence, refusal_threshold
from assistant.errors import GenerationFailed
from assistant.grounding import Verifier
from assistant.llm import chat_model
from assistant.model_reply import failure_notice
from assistant.quotes import QuotedAnswers
from assistant.safety import without_instructions
from assistant.text import Language
from assistant.types import Answer, Passage
from assistant.written import WrittenAnswers

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import AnswerStyle, Settings

log = logging.getLogger(__name__)

# A model's "the passages do not answer" refuses unless the evidence clears the refusal
# threshold by this much (the extractive answer then stands, with a notice).
STRONG_EVIDENCE_MARGIN = 0.04


class AnswerGenerator:
    """Streams a generated answer: checked sentences as they pass, then the final ``Answer``."""

    def __init__(
        self,
        model: BaseChatModel,
        verifier: Verifier,
        timeout: float = 60.0,
        structured: bool = True,
        answers: AnswerStyle = "quotes",
        strong_evidence: float = 0.0,
    ) -> None:
        self.model = model
        self.verifier = verifier
        self.timeout = timeout
        self.answers = answers
        # Evidence from which the extractive answer stands even when the model says the
        # passages do not answer; below it, the model's word makes the answer a refusal.
        # Where the endpoint gives logprobs, P(answerable is false) decides instead.
        self.strong_evidence = strong_evidence
        self.unanswerable = thresholds.quotes().unanswerable
        self.quoted = QuotedAnswers(model, timeout, self.unanswerable, strong_evidence)
        self.written = WrittenAnswers(model, verifier, timeout, structured, strong_evidence)

    @property
    def structured(self) -> bool:
        """Whether written answers are asked for as JSON (until the endpoint refuses a schema)."""
        return self.written.structured

    @property
    def confirms(self) -> bool:
        """Whether a question just under the refusal threshold is put to the model (quotes
        only: its word on whether the sentences answer is read from its logprobs)."""
        return self.answers == "quotes"

    @classmethod
    def from_settings(cls, settings: Settings, verifier: Verifier) -> AnswerGenerator:
        return cls(
            chat_model(settings),
            verifier,
            settings.llm_timeout,
            settings.llm_structured,
            settings.llm_answers,
            refusal_threshold(settings.min_evidence) + STRONG_EVIDENCE_MARGIN,
        )

    def stream(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        ranked: Sequence[ScoredSentence],
        extractive: Answer,
        parts: Sequence[Sequence[ScoredSentence]] = (),
        unconfirmed: Answer | None = None,
    ) -> Iterator[str | Answer]:
        """Raises ``GenerationFailed`` (before any text is shown) when the endpoint fails.
        ``ranked`` scores the sentences of ``passages`` once their instruction-like sentences
        are removed (``without_instructions``); ``parts`` scores them against each sentence of
        a question of several (quotes only); ``extractive`` is the answer to fall back on.
        With ``unconfirmed`` (a refusal; quotes only), the evidence was just under the
        threshold: the answer is that refusal unless the model's logprobs say the sentences
        answer."""
        if self.answers == "quotes":
            yield from self.quoted.stream(
                question, language, passages, ranked, extractive, parts, unconfirmed
            )
        else:
            yield from self.written.stream(question, language, passages, ranked, extractive)


def answer_stream(
    generator: AnswerGenerator,
    question: str,
    language: Language,
    passages: Sequence[Passage],
    ranked: Sequence[ScoredSentence],
    extractive: Answer,
    parts: Sequence[Sequence[ScoredSentence]] = (),
    unconfirmed: Answer | None = None,
) -> Iterator[str | Answer]:
    """The generated answer, or ``extractive`` (the answer on the same passages without their
    instruction-like sentences) when the corpus does not answer or the endpoint fails. With
    ``unconfirmed`` (a refusal), ``extractive`` was found just under the refusal threshold: the
    model must say that its sentences answer, else (and when the endpoint fails) the answer is
    ``unconfirmed``."""
    if extractive.refused or not passages:
        yield from extractive.answer.splitlines(keepends=True)
        yield extractive
        return
    try:
        yield from generator.stream(
            question, language, passages, ranked, extractive, parts, unconfirmed
        )
    except GenerationFailed as error:
        if unconfirmed is not None:
            log.warning("language model failed (%s); nothing confirms the answer", error)
            yield from unconfirmed.answer.splitlines(keepends=True)
            yield unconfirmed
            return
        log.warning("language model failed (%s); using the extractive answer", error)
        notice = failure_notice("notice.fallback", error, language)
        yield from extractive.answer.splitlines(keepends=True)
        yield replace(
            extractive, notice=f"{notice} {extractive.notice}" if extractive.notice else notice
        )


__all__ = ["AnswerGenerator", "answer_stream", "without_instructions"]
