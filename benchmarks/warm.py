"""Warm latency on the real corpus, in one process: hybrid retrieval, dense search and the
extractive ``ask``, each question run by Kakehashi and then by the naive pipeline (so both
see the same machine noise). Questions: ``eval/questions/dev.jsonl``. Wall time is the figure;
the process CPU time of ``ask`` is kept beside it because this machine is shared."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks import naive
from benchmarks.context import Bench
from benchmarks.report import Report, Row
from benchmarks.stats import Summary


@dataclass(frozen=True)
class Paired:
    ours: Summary
    theirs: Summary
    ours_cpu: Summary
    theirs_cpu: Summary


def _clock(func: Callable[[str], object], question: str) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    func(question)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def paired(
    ours: Callable[[str], object],
    theirs: Callable[[str], object],
    questions: list[str],
    rounds: int,
) -> Paired:
    """Milliseconds per question, ours then theirs on each question, after a warm-up."""
    for question in questions[:2]:
        ours(question)
        theirs(question)
    a: list[tuple[float, float]] = []
    b: list[tuple[float, float]] = []
    for _ in range(rounds):
        for question in questions:
            a.append(_clock(ours, question))
            b.append(_clock(theirs, question))
    return Paired(
        Summary.of([wall for wall, _ in a]),
        Summary.of([wall for wall, _ in b]),
        Summary.of([cpu for _, cpu in a]),
        Summary.of([cpu for _, cpu in b]),
    )


def run(bench: Bench, report: Report) -> None:
    assistant = bench.assistant()
    store = bench.naive_store()
    ensemble = naive.ensemble(store)
    questions = bench.questions()
    rounds = bench.plan.warm_rounds
    embedder = assistant.embedder

    def dense(question: str) -> object:
        return assistant.store.search(embedder.embed([question], kind="query")[0], 5)

    def naive_answer(question: str) -> object:
        return naive.answer(ensemble, question)

    retrieve = paired(lambda q: assistant.retrieve(q, k=5), ensemble.invoke, questions, rounds)
    half = questions[: max(12, len(questions) // 2)]
    similar = paired(dense, lambda q: store.similarity_search(q, k=5), half, rounds)
    asked = questions[: bench.plan.ask_questions]
    ask = paired(assistant.ask, naive_answer, asked, 1)
    chunks = len(assistant.index.chunks)
    report.rows += [
        Row(
            "warm",
            f"hybrid retrieval, real corpus ({chunks} chunks)",
            "ms",
            retrieve.ours,
            retrieve.theirs,
            note="Assistant.retrieve (query embedding + Chroma + BM25 + fusion) vs "
            "EnsembleRetriever(Chroma k=40, BM25Retriever k=40).invoke",
        ),
        Row(
            "warm",
            "dense search only",
            "ms",
            similar.ours,
            similar.theirs,
            note="query embedding + ChromaStore.search vs Chroma.similarity_search",
        ),
        Row(
            "warm",
            f"extractive ask ({len(asked)} questions)",
            "ms",
            ask.ours,
            ask.theirs,
            note="Assistant.ask (retrieve + embedding every candidate sentence + scoring) vs "
            "ensemble + join top 5 (the naive pipeline has no extractive step)",
        ),
        Row("warm", "extractive ask, process CPU time", "ms", ask.ours_cpu, ask.theirs_cpu),
    ]
