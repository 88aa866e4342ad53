"""The ``Store`` contract, written once and run against embedded Chroma and a real Chroma server.

Each test gets its own collection; the server is started once per session (``chroma_server``).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest
from conftest import free_port
from fakes import FakeEmbedder

from assistant.errors import EmbedderMismatch, StoreUnavailable
from ingest import store as store_module
from ingest.chunk import Chunk, chunk_document
from ingest.load import Document
from ingest.store import ChromaStore
from ingest.tokens import count_tokens

pytestmark = [
    pytest.mark.integration,
    # Chroma cannot rebuild our embedding function from its config, by design (we supply it)
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]


@dataclass(frozen=True)
class Backend:
    kind: str
    collection: str
    data_dir: Path | None = None
    url: str | None = None

    def open(self, embedder: FakeEmbedder) -> ChromaStore:
        return ChromaStore.open(embedder, self.collection, self.data_dir, self.url)


@pytest.fixture(params=["embedded", "server"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    # a collection per test, named deterministically from the test id
    collection = "t" + hashlib.sha1(request.node.nodeid.encode()).hexdigest()[:20]
    if request.param == "embedded":
        return Backend("embedded", collection, data_dir=tmp_path / "data")
    return Backend("server", collection, url=request.getfixturevalue("chroma_server"))


@pytest.fixture(scope="module")
def sample(essay: Document) -> list[Chunk]:
    return chunk_document(essay, count_tokens)


def vectors_of(embedder: FakeEmbedder, chunks: list[Chunk]) -> np.ndarray:
    return embedder.embed([chunk.embed_text for chunk in chunks], kind="passage")


def filled(backend: Backend, chunks: list[Chunk]) -> tuple[ChromaStore, FakeEmbedder]:
    embedder = FakeEmbedder()
    store = backend.open(embedder)
    store.add(chunks, vectors_of(embedder, chunks))
    return store, embedder


def test_a_new_store_is_empty(backend: Backend) -> None:
    store = backend.open(FakeEmbedder())
    assert store.count() == 0
    assert store.records() == {}
    assert store.chunks() == []
    assert store.search(FakeEmbedder().vector("稟議制"), k=5) == []
    assert store.info()["embedder"] == FakeEmbedder().identity


def test_added_chunks_come_back_whole(backend: Backend, sample: list[Chunk]) -> None:
    store, _ = filled(backend, sample)
    assert store.count() == len(sample)
    assert store.records() == {chunk.chunk_id: chunk.to_metadata() for chunk in sample}
    assert store.chunks() == sorted(sample, key=lambda c: (c.doc_id, c.ordinal))


def test_search_finds_the_nearest_chunk_first(backend: Backend, sample: list[Chunk]) -> None:
    store, embedder = filled(backend, sample)
    for target in (sample[0], sample[17], sample[-1]):
        hits = store.search(embedder.vector(target.embed_text), k=5)
        assert len(hits) == 5
        assert hits[0].chunk == target
        assert hits[0].score == pytest.approx(1.0, abs=1e-4)
        scores = [hit.score for hit in hits]
        assert scores == sorted(scores, reverse=True)
    assert len(store.search(embedder.vector("稟議制"), k=1000)) == len(sample)


def test_update_metadata_relabels_without_touching_text_or_vector(
    backend: Backend, sample: list[Chunk]
) -> None:
    store, embedder = filled(backend, sample)
    moved = [
        replace(chunk, paragraph=chunk.paragraph + 1, ordinal=chunk.ordinal + 1)
        for chunk in sample[:3]
    ]
    store.update_metadata(moved)
    records = store.records()
    for chunk in moved:
        assert records[chunk.chunk_id] == chunk.to_metadata()
    hit = store.search(embedder.vector(moved[1].embed_text), k=1)[0]
    assert hit.chunk == moved[1]
    assert store.count() == len(sample)


def test_delete_removes_exactly_the_given_ids(backend: Backend, sample: list[Chunk]) -> None:
    store, embedder = filled(backend, sample)
    gone = [chunk.chunk_id for chunk in sample[::2]]
    store.delete(gone)
    store.delete([])
    assert set(store.records()) == {chunk.chunk_id for chunk in sample[1::2]}
    assert store.count() == len(sample) - len(gone)
    top = store.search(embedder.vector(sample[0].embed_text), k=3)
    assert all(hit.chunk.chunk_id not in gone for hit in top)


def test_a_new_client_sees_the_data_and_the_info(backend: Backend, sample: list[Chunk]) -> None:
    store, embedder = filled(backend, sample)
    store.set_info(ingested_at="2026-01-01T00:00:00+00:00", documents=1)
    del store
    reopened = backend.open(FakeEmbedder())
    assert reopened.count() == len(sample)
    assert reopened.chunks() == sorted(sample, key=lambda c: (c.doc_id, c.ordinal))
    info = reopened.info()
    assert info["embedder"] == embedder.identity
    assert info["dimension"] == embedder.dimension
    assert info["ingested_at"] == "2026-01-01T00:00:00+00:00"
    assert info["documents"] == 1
    assert reopened.search(embedder.vector(sample[5].embed_text), k=1)[0].chunk == sample[5]


def test_another_embedder_is_refused(backend: Backend, sample: list[Chunk]) -> None:
    filled(backend, sample)
    other = FakeEmbedder(name="another-model")
    with pytest.raises(EmbedderMismatch) as error:
        backend.open(other)
    message = str(error.value)
    assert FakeEmbedder().identity in message and other.identity in message
    assert "--rebuild" in message


def test_nothing_is_lost_with_many_chunks(
    backend: Backend, sample: list[Chunk], monkeypatch: pytest.MonkeyPatch
) -> None:
    """More chunks than a page of ``records()`` (made small here) and than Chroma's default
    batch: every chunk comes back, once."""
    monkeypatch.setattr(store_module, "_PAGE", 97)
    many = [
        replace(chunk, chunk_id=f"{chunk.chunk_id[:40]}-{copy:03d}", ordinal=copy * 100 + i)
        for copy in range(25)
        for i, chunk in enumerate(sample[:50])
    ]
    store, _ = filled(backend, many)
    assert store.count() == len(many) == 1250
    assert set(store.records()) == {chunk.chunk_id for chunk in many}
    assert len(store.chunks()) == len(many)


# -- a server that is not there -----------------------------------------------------------------
def test_a_closed_port_is_a_clear_store_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as error:
        ChromaStore.open(FakeEmbedder(), "kakehashi", None, url)
    assert time.monotonic() - started < 30
    assert f"cannot open the Chroma server at {url}" in str(error.value)
