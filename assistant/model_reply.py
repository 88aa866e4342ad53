"""What both ways of answering with a model share (``quotes`` and ``written``): the reply read as
it streams, within a deadline, and the answers given instead of the model's: the extractive one
with a notice saying why, or a refusal where the model says the passages do not answer."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from assistant.answer import refusal
from assistant.errors import GenerationFailed
from assistant.llm import stream_with_deadline
from assistant.messages import message
from assistant.structured import StreamedReply
from assistant.text import Language
from assistant.types import Answer, SentenceCheck


def elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def reply_pieces(
    chain: Any,
    inputs: dict[str, Any],
    timings: dict[str, float],
    started: float,
    timeout: float,
    reader: StreamedReply | None = None,
) -> Iterator[str]:
    """The text pieces of ``chain``'s streamed reply, each read by ``reader`` (for its
    logprobs); the prompt's and the reply's token counts and the first token's time go to
    ``timings``. Raises ``GenerationFailed`` when the endpoint fails or ``timeout`` passes."""
    for chunk in stream_with_deadline(lambda: chain.stream(inputs), timeout):
        if reader is not None:
            reader.read_logprobs(getattr(chunk, "response_metadata", None) or {})
        usage = getattr(chunk, "usage_metadata", None)
        if usage:
            timings["prompt_tokens"] = float(usage.get("input_tokens", 0))
            timings["answer_tokens"] = float(usage.get("output_tokens", 0))
        piece = chunk.content if isinstance(chunk.content, str) else ""
        if piece and "first_token" not in timings:  # (servers open with an empty delta)
            timings["first_token"] = elapsed_ms(started)
        yield piece


def failure_notice(key: str, error: GenerationFailed, language: Language) -> str:
    """The notice ``key`` with the reason the endpoint failed: timed out, unavailable, or
    anything else it did ("garbage")."""
    kind = error.kind if error.kind in ("timeout", "unavailable") else "garbage"
    return message(key, language, reason=message(f"reason.{kind}", language))


def fallback(
    extractive: Answer,
    language: Language,
    kind: str,
    dropped: Sequence[SentenceCheck],
    timings: dict[str, float],
) -> Iterator[str | Answer]:
    """The extractive answer, with a notice saying why the model's is not shown."""
    notice = message(f"notice.{kind}", language)
    yield from extractive.answer.splitlines(keepends=True)
    yield replace(
        extractive,
        notice=f"{notice} {extractive.notice}" if extractive.notice else notice,
        sentences=extractive.sentences + tuple(dropped),
        timings_ms={**extractive.timings_ms, **timings},
    )


def model_refusal(
    extractive: Answer,
    language: Language,
    dropped: Sequence[SentenceCheck],
    timings: dict[str, float],
    strong_evidence: float,
    by_probability: bool = False,
) -> Iterator[str | Answer]:
    """The model says the passages do not answer: a refusal, unless the evidence of the
    extractive answer reaches ``strong_evidence``, which then stands, with a notice. Its
    probability, where the endpoint gives one, is calibrated (``assistant.thresholds.Quotes``)
    and stands whatever the evidence."""
    if extractive.evidence >= strong_evidence and not by_probability:
        yield from fallback(extractive, language, "model_unanswerable", dropped, timings)
        return
    refused = refusal(extractive.question, language, extractive.evidence)
    yield from refused.answer.splitlines(keepends=True)
    yield replace(
        refused,
        notice=message("notice.model_refusal", language),
        sentences=tuple(dropped),
        timings_ms={**extractive.timings_ms, **timings},
    )
