"""Generated answers as a user waits for them (``--llm``): from sending a question to the first
verified sentence on screen and to the final ``Answer``, through ``Assistant.stream`` (rewrite,
retrieve, prompt, stream, verify) on the real corpus, with the prompt's size in tokens.

Beside it, the naive LangChain RAG pipeline of the tutorials on the same endpoint, interleaved
question by question (the same noise): ``RecursiveCharacterTextSplitter(chunk_size=1000,
chunk_overlap=200)``, the same embedder, Chroma similarity (k=4), stuffed into one prompt,
streamed as the model writes, nothing checked. (The splitter's default 4,000-character chunks,
as in the retrieval baseline, do not fit the local model's 4,096-token context four at a time.)

``--llm local`` serves the model Kakehashi ships (``kakehashi llm serve``'s
``assistant.local_model``: assembled once into the data directory, checked against its pinned
sha256) with xllamacpp on 127.0.0.1. ``--llm URL --llm-model NAME`` measures any
OpenAI-compatible endpoint (its key, if it needs one, from ``KAKEHASHI_LLM_API_KEY``). Answers
that fell back to the extractive path are counted: their times are not the model's.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from benchmarks.context import Bench
from benchmarks.report import Report, Row
from benchmarks.stats import Summary

NAIVE_K = 4
NAIVE_CHUNK = 1000
NAIVE_OVERLAP = 200
NAIVE_PROMPT = (
    "Answer the question using only the context below.\n\nContext:\n{context}\n\n"
    "Question: {question}"
)


@dataclass(frozen=True)
class Wait:
    first_text_s: float  # ours: the first verified sentence; naive: the first token
    answer_s: float
    prompt_tokens: float
    outcome: str  # ours: the answer's mode (generative or the extractive fallback)


@contextlib.contextmanager
def endpoint(bench: Bench) -> Iterator[dict[str, Any]]:
    """The settings of the endpoint: the one given (its key from the environment), or the
    shipped model served for this run, with the key made for it."""
    if bench.llm != "local":
        if not (bench.llm and bench.llm_model):
            raise ValueError("the llm section needs --llm URL --llm-model NAME, or --llm local")
        yield {"llm_base_url": bench.llm, "llm_model": bench.llm_model}
        return
    from assistant.local_model import assemble, model_path, served
    from assistant.settings import Settings

    model = assemble(model_path(Settings().data_dir))
    with served(model) as server:
        yield {
            "llm_base_url": server.base_url,
            "llm_model": server.model,
            "llm_api_key": server.api_key,
        }


def ask(assistant: Any, question: str) -> Wait:
    from assistant.types import Answer

    started = time.perf_counter()
    first_text: float | None = None
    for piece in assistant.stream(question):
        now = time.perf_counter() - started
        if isinstance(piece, Answer):
            return Wait(
                now if first_text is None else first_text,
                now,
                piece.timings_ms.get("prompt_tokens", 0.0),
                piece.mode,
            )
        if first_text is None and piece.strip():
            first_text = now
    raise RuntimeError(f"no final answer for {question!r}")


def ask_naive(store: Any, model: Any, question: str) -> Wait:
    started = time.perf_counter()
    context = "\n\n".join(d.page_content for d in store.similarity_search(question, k=NAIVE_K))
    first_text: float | None = None
    prompt_tokens = 0.0
    for chunk in model.stream(NAIVE_PROMPT.format(context=context, question=question)):
        if first_text is None and chunk.content:
            first_text = time.perf_counter() - started
        if chunk.usage_metadata:
            prompt_tokens = float(chunk.usage_metadata.get("input_tokens", 0))
    now = time.perf_counter() - started
    return Wait(now if first_text is None else first_text, now, prompt_tokens, "naive")


def naive_store(bench: Bench) -> Any:
    """An in-memory Chroma of the real corpus split as the LangChain RAG tutorial does."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from benchmarks import naive
    from benchmarks.context import CORPUS
    from ingest.load import load_corpus

    documents, _ = load_corpus(CORPUS)
    splitter = RecursiveCharacterTextSplitter(chunk_size=NAIVE_CHUNK, chunk_overlap=NAIVE_OVERLAP)
    texts = [piece for document in documents for piece in splitter.split_text(document.text)]
    store = naive.chroma(bench.assistant().embedder, collection="naive-rag")
    store.add_texts(texts)
    return store


def run(bench: Bench, report: Report) -> None:
    from assistant.api import Assistant
    from assistant.llm import chat_model

    settings = bench.assistant().settings  # the store is ingested before anything is timed
    store = naive_store(bench)
    questions = bench.mixed_questions(bench.plan.llm_questions)
    with endpoint(bench) as update:
        model_name = update["llm_model"]
        assistant = Assistant(settings.model_copy(update=update))
        naive_model = chat_model(assistant.settings)
        assistant.ask(questions[0])  # warm-up, untimed: the fixed prefix enters the cache
        ours: list[Wait] = []
        naive: list[Wait] = []
        for question in questions:
            ours.append(ask(assistant, question))
            naive.append(ask_naive(store, naive_model, question))
    generated = [wait for wait in ours if wait.outcome == "generative"]
    outcomes = Counter(wait.outcome for wait in ours)
    where = "a local xllamacpp server" if bench.llm == "local" else "the given endpoint"
    counts = ", ".join(f"{kind} {count}" for kind, count in outcomes.items())
    note = f"{model_name} at {where}; answers: {counts}"
    report.rows += [
        Row(
            "llm",
            "generated answer: send → first verified sentence (naive: first token)",
            "s",
            Summary.of([wait.first_text_s for wait in generated]),
            Summary.of([wait.first_text_s for wait in naive]),
            note=note,
        ),
        Row(
            "llm",
            "generated answer: send → whole answer",
            "s",
            Summary.of([wait.answer_s for wait in generated]),
            Summary.of([wait.answer_s for wait in naive]),
        ),
        Row(
            "llm",
            "generated answer: prompt tokens",
            "tokens",
            Summary.of([wait.prompt_tokens for wait in generated]),
            Summary.of([wait.prompt_tokens for wait in naive]),
        ),
    ]
    report.extra["llm"] = {"model": model_name, "outcomes": dict(outcomes)}
    if len(generated) < len(ours):
        report.notes.append(
            f"llm: {len(ours) - len(generated)} of {len(ours)} answers were extractive (the "
            "model's answer failed its check or the model failed): their times are left out"
        )
