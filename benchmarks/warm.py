"""Warm latency on the real corpus, in one process: hybrid retrieval, dense search and the
extractive ``ask``, each question run by Kakehashi and then by the naive pipeline (so both
see the same machine noise). Questions: ``eval/questions/dev.jsonl``. Wall time is the figure;
the process CPU time of ``ask`` is kept beside it because this machine is shared."""

from __future__ import annotations

from benchmarks import naive
from benchmarks.context import Bench
from benchmarks.report import Report, Row
from benchmarks.stats import interleaved


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

    retrieve = interleaved(
        lambda q: assistant.retrieve(q, k=5), ensemble.invoke, questions, rounds=rounds
    )
    half = questions[: max(12, len(questions) // 2)]
    similar = interleaved(dense, lambda q: store.similarity_search(q, k=5), half, rounds=rounds)
    asked = questions[: bench.plan.ask_questions]
    ask = interleaved(assistant.ask, naive_answer, asked)
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
            f"warm ask (extractive, {len(asked)} dev questions, real corpus)",
            "ms",
            ask.ours,
            ask.theirs,
            note="Assistant.ask (question embedding, retrieval, sentence vectors looked up, "
            "scoring) vs ensemble + join top 5 (the naive pipeline has no extractive step)",
            headline=True,
        ),
        Row("warm", "extractive ask, process CPU time", "ms", ask.ours_cpu, ask.theirs_cpu),
    ]
