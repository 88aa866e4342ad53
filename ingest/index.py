"""Stage 3 of ingest: bring the store in line with the corpus folder.

Steps: load every file (failures reported, the rest go on) → check translations line up with
their originals → chunk → plan against what the store holds (content-hash ids) → embed only the
new chunks, and the quotable sentences that have no vector yet → write → record the store's new
content version → write the sentence vectors and the snapshot of that version beside the store
(``ingest.sentences``, ``ingest.snapshot``). Nothing is written until every new vector exists,
and a write that fails is rolled back, so a failed run leaves the store as it was. One writer at
a time (file lock).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from assistant.errors import IngestLocked
from ingest.align import MisalignedTranslation, check_translation
from ingest.chunk import DEFAULT_MAX_TOKENS, Chunk, chunk_document, quotable_sentences
from ingest.embed import Embedder
from ingest.load import Document, LoadFailure, load_corpus
from ingest.sentences import SentenceVectors
from ingest.store import VERSION_KEY, Store

EMBED_BATCH = 32


@dataclass(frozen=True)
class IngestPlan:
    to_add: tuple[Chunk, ...]
    to_update: tuple[Chunk, ...]
    to_delete: tuple[str, ...]
    unchanged: int
    kept_docs: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestReport:
    added: int
    unchanged: int
    updated: int
    deleted: int
    documents: int
    chunks: int
    failures: tuple[LoadFailure, ...] = field(default_factory=tuple)
    kept_docs: tuple[str, ...] = ()
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        lines = [
            f"added {self.added}, unchanged {self.unchanged}, updated {self.updated}, "
            f"deleted {self.deleted} ({self.documents} documents, {self.chunks} chunks, "
            f"{self.seconds:.1f} s)"
        ]
        lines += [f"skipped {failure.source}: {failure.reason}" for failure in self.failures]
        lines += [f"kept the previous version of {doc_id}" for doc_id in self.kept_docs]
        return "\n".join(lines)


def prepare(
    corpus: Path, count_tokens: Callable[[str], int], max_tokens: int = DEFAULT_MAX_TOKENS
) -> tuple[list[Document], list[Chunk], list[LoadFailure]]:
    """Load, check and chunk the corpus (no store, no embedder)."""
    documents, failures = load_corpus(corpus)
    by_id = {document.doc_id: document for document in documents}
    accepted: list[Document] = []
    for document in documents:
        if document.translation_of:
            original = by_id.get(document.translation_of)
            if original is None:
                failures.append(
                    LoadFailure(
                        document.source,
                        f"translation of {document.translation_of!r}, which is not in the corpus",
                    )
                )
                continue
            try:
                check_translation(document, original)
            except MisalignedTranslation as error:
                failures.append(LoadFailure(document.source, f"misaligned translation: {error}"))
                continue
        accepted.append(document)
    chunks = [
        chunk
        for document in accepted
        for chunk in chunk_document(document, count_tokens, max_tokens)
    ]
    return accepted, chunks, failures


def plan(
    chunks: Sequence[Chunk],
    stored: dict[str, dict[str, Any]],
    failed_sources: set[str],
) -> IngestPlan:
    """What to embed, re-label and delete (pure). Documents whose file failed to load this time
    keep their previous chunks: a file that turned unreadable loses nothing."""
    wanted = {chunk.chunk_id: chunk for chunk in chunks}
    to_add = tuple(chunk for chunk in chunks if chunk.chunk_id not in stored)
    to_update = tuple(
        chunk
        for chunk in chunks
        if chunk.chunk_id in stored and stored[chunk.chunk_id] != chunk.to_metadata()
    )
    kept_docs: set[str] = set()
    to_delete: list[str] = []
    present_docs = {chunk.doc_id for chunk in chunks}
    for chunk_id, metadata in stored.items():
        if chunk_id in wanted:
            continue
        if metadata.get("doc_id") not in present_docs and metadata.get("source") in failed_sources:
            kept_docs.add(str(metadata.get("doc_id")))
            continue
        to_delete.append(chunk_id)
    return IngestPlan(
        to_add=to_add,
        to_update=to_update,
        to_delete=tuple(sorted(to_delete)),
        unchanged=len(chunks) - len(to_add),
        kept_docs=tuple(sorted(kept_docs)),
    )


def embed_chunks(embedder: Embedder, chunks: Sequence[Chunk], progress: bool = False) -> np.ndarray:
    return _embed(embedder, [chunk.embed_text for chunk in chunks], "embedding", progress)


def _embed(embedder: Embedder, texts: Sequence[str], what: str, progress: bool) -> np.ndarray:
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    from tqdm import tqdm

    parts = []
    with tqdm(total=len(texts), desc=what, unit="text", disable=not progress) as bar:
        for start in range(0, len(texts), EMBED_BATCH):
            batch = texts[start : start + EMBED_BATCH]
            parts.append(embedder.embed(batch, kind="passage"))
            bar.update(len(batch))
    return np.vstack(parts)


def final_chunks(store: Store, chunks: Sequence[Chunk], plan_: IngestPlan) -> list[Chunk]:
    """What the store will hold once ``plan_`` is written: the corpus's chunks, and those of
    documents kept because their file failed to load."""
    if not plan_.kept_docs:
        return list(chunks)
    kept = set(plan_.kept_docs)
    wanted = {chunk.chunk_id for chunk in chunks}
    return [*chunks, *(c for c in store.chunks() if c.doc_id in kept and c.chunk_id not in wanted)]


def content_version(chunks: Sequence[Chunk]) -> str:
    """A digest of what the store holds (ids, metadata, text; keys sorted): the same content
    always has the same version, whatever order it was written in."""
    digest = hashlib.sha256()
    for chunk in sorted(chunks, key=lambda c: c.chunk_id):
        record = [chunk.chunk_id, chunk.to_metadata(), chunk.text]
        digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:32]


def settle(store: Store, chunks: Sequence[Chunk], version: str | None = None) -> str:
    """Record that the store holds exactly ``chunks`` (its content version) and write the
    snapshot of that version beside it. Ingest ends with this; so may a tool that wrote the
    store through ``Store.add``."""
    version = version or content_version(chunks)
    store.set_info(**{VERSION_KEY: version})
    store.snapshot(chunks)
    return version


@dataclass(frozen=True)
class SentenceWork:
    """The sentences of a store version, and the vectors of those that had none."""

    texts: tuple[str, ...]
    new_texts: tuple[str, ...]
    new_vectors: np.ndarray


def embed_sentences(
    embedder: Embedder,
    sentences: SentenceVectors | None,
    chunks: Sequence[Chunk],
    version: str,
    progress: bool = False,
) -> SentenceWork | None:
    """Embed the quotable sentences of ``chunks`` that have no stored vector (none when this
    version's sentences are known to be complete, or there is nowhere to keep them)."""
    if sentences is None or sentences.complete_for() == version:
        return None
    texts = tuple(dict.fromkeys(text for c in chunks for _, text in quotable_sentences(c.text)))
    missing = tuple(sentences.missing(texts))
    return SentenceWork(texts, missing, _embed(embedder, missing, "embedding sentences", progress))


def apply(
    store: Store,
    plan_: IngestPlan,
    vectors: np.ndarray,
    stored: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Write a plan. If any step fails, undo what this run wrote — remove the chunks it added,
    put back the metadata it changed — and re-raise, so the store is as it was."""
    previous = store.version()
    added: list[str] = []
    relabelled = False
    try:
        for start in range(0, len(plan_.to_add), 1000):
            batch = plan_.to_add[start : start + 1000]
            store.add(batch, vectors[start : start + len(batch)])
            added.extend(chunk.chunk_id for chunk in batch)
        relabelled = bool(plan_.to_update)
        store.update_metadata(plan_.to_update)
        store.delete(plan_.to_delete)
    except BaseException:
        # Best effort, each step on its own: a store that is gone for good cannot be undone,
        # and the next run converges anyway (content-hash ids). Once undone, the store has its
        # content back, and so its version; else it keeps a version that no snapshot has.
        undone = not relabelled or stored is not None
        if relabelled and stored is not None:
            try:
                store.update_metadata(
                    [_relabel(chunk, stored[chunk.chunk_id]) for chunk in plan_.to_update]
                )
            except Exception:
                undone = False
        if added:
            try:
                store.delete(added)
            except Exception:
                undone = False
        if undone:
            with suppress(Exception):
                store.set_info(**{VERSION_KEY: previous})
        raise


def _relabel(chunk: Chunk, metadata: dict[str, Any]) -> Chunk:
    return Chunk.from_record(chunk.chunk_id, chunk.text, metadata)


def ingest(
    corpus: Path,
    store: Store,
    embedder: Embedder,
    count_tokens: Callable[[str], int],
    lock_path: Path,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    progress: bool = False,
) -> IngestReport:
    started = time.perf_counter()
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_path), timeout=0):
            documents, chunks, failures = prepare(corpus, count_tokens, max_tokens)
            stored = store.records()
            plan_ = plan(chunks, stored, {failure.source for failure in failures})
            final = final_chunks(store, chunks, plan_)
            version = content_version(final)
            # Step 1: every new vector, before anything is written
            vectors = embed_chunks(embedder, plan_.to_add, progress=progress)
            sentences = store.sentence_vectors()
            work = embed_sentences(embedder, sentences, final, version, progress=progress)
            # Step 2: the store
            apply(store, plan_, vectors, stored)
            store.set_info(
                ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
                documents=len(documents),
            )
            # Step 3: beside the store: the sentence vectors, then its version and snapshot
            if sentences is not None and work is not None:
                sentences.add(work.new_texts, work.new_vectors)
                sentences.keep_only(work.texts, complete_for=version)
            settle(store, final, version)
    except Timeout as error:
        raise IngestLocked(
            f"another ingest is running (lock {lock_path}); wait for it to finish"
        ) from error
    return IngestReport(
        added=len(plan_.to_add),
        unchanged=plan_.unchanged,
        updated=len(plan_.to_update),
        deleted=len(plan_.to_delete),
        documents=len(documents),
        chunks=len(chunks),
        failures=tuple(failures),
        kept_docs=plan_.kept_docs,
        seconds=time.perf_counter() - started,
    )
