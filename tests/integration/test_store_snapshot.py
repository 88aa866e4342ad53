"""The snapshot and sentence vectors beside a real Chroma store (embedded, and once a server):
ingest writes them for the store's content version; a store changed since is never answered
from the stale snapshot; an answer looks sentence vectors up instead of embedding them, and
answers exactly as it did when it embedded them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import FakeEmbedder

from assistant import Assistant, Settings
from assistant.lexical import LexicalIndex
from ingest.chunk import Chunk
from ingest.embed import Embedder
from ingest.index import content_version, ingest
from ingest.sentences import SentenceVectors
from ingest.store import ChromaStore, chroma_client
from ingest.tokens import count_tokens

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]

QUESTION = "稟議制是什麼?"


def open_store(data: Path, embedder: Embedder | None = None, url: str | None = None) -> ChromaStore:
    return ChromaStore.open(embedder or FakeEmbedder(), "kakehashi", data, url)


def run_ingest(corpus: Path, data: Path, embedder: Embedder | None = None) -> None:
    embedder = embedder or FakeEmbedder()
    ingest(corpus, open_store(data, embedder), embedder, count_tokens, data / "ingest.lock")


class ChunklessStore(ChromaStore):
    """A real store that refuses to read its chunks back: what opens without them."""

    def chunks(self) -> list[Chunk]:
        raise AssertionError("the chunks were read back from Chroma")


class SentencelessStore(ChromaStore):
    """A real store with nowhere to keep sentence vectors: answers embed them per question."""

    def sentence_vectors(self) -> None:
        return None


@pytest.fixture
def ingested(corpus_copy: Path, tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "data"
    run_ingest(corpus_copy, data)
    return corpus_copy, data


def test_ingest_leaves_the_snapshot_of_the_version_it_wrote(ingested: tuple[Path, Path]) -> None:
    _, data = ingested
    store = open_store(data)
    held = store.chunks()
    assert store.version() == content_version(held)
    client = chroma_client(data, None)
    chunkless = ChunklessStore(client, "kakehashi", FakeEmbedder(), "test", store.local)
    snapshot = chunkless.snapshot()  # from the folder ingest wrote, not from Chroma
    assert snapshot.version == store.version()
    assert list(snapshot.chunks) == held
    fresh = LexicalIndex.build([chunk.embed_text for chunk in held])
    for query in ("稟議制", "Dejima", "根回し"):
        assert LexicalIndex(snapshot.lexical).top(query, 20) == fresh.top(query, 20)


def test_reingesting_an_unchanged_corpus_keeps_version_and_snapshot(
    ingested: tuple[Path, Path],
) -> None:
    corpus, data = ingested
    before = open_store(data).version()
    folders = sorted((data / "index" / "kakehashi" / "snapshots").iterdir())
    written = [path.stat().st_mtime_ns for path in folders]
    run_ingest(corpus, data)
    assert open_store(data).version() == before
    assert sorted((data / "index" / "kakehashi" / "snapshots").iterdir()) == folders
    assert [path.stat().st_mtime_ns for path in folders] == written


@pytest.mark.parametrize("change", ["delete", "add", "relabel"])
def test_a_store_changed_since_is_not_answered_from_the_stale_snapshot(
    ingested: tuple[Path, Path], change: str
) -> None:
    _, data = ingested
    store = open_store(data)
    stale = store.snapshot()
    victim = store.chunks()[5]
    writer = open_store(data)
    if change == "delete":
        writer.delete([victim.chunk_id])
    elif change == "add":
        extra = Chunk.from_record("extra-chunk", "出島計畫的新段落。", victim.to_metadata())
        writer.add([extra], FakeEmbedder().embed([extra.embed_text], kind="passage"))
    else:
        writer.update_metadata(
            [
                Chunk.from_record(
                    victim.chunk_id,
                    victim.text,
                    {**victim.to_metadata(), "section": "a new heading"},
                )
            ]
        )
    reopened = open_store(data)
    assert reopened.version() != stale.version
    fresh = reopened.snapshot()
    assert fresh.version == reopened.version()
    assert list(fresh.chunks) == reopened.chunks() != list(stale.chunks)
    # and it was persisted: the next open reads it without going back to Chroma
    client = chroma_client(data, None)
    chunkless = ChunklessStore(client, "kakehashi", FakeEmbedder(), "test", reopened.local)
    assert list(chunkless.snapshot().chunks) == list(fresh.chunks)


def test_a_write_that_bypasses_kakehashi_is_caught_by_the_count(
    ingested: tuple[Path, Path],
) -> None:
    _, data = ingested
    store = open_store(data)
    stale = store.snapshot()
    victim = store.chunks()[0]
    chroma_client(data, None).get_collection("kakehashi").delete(ids=[victim.chunk_id])
    reopened = open_store(data)
    assert reopened.version() == stale.version  # nothing told the version
    assert victim not in list(reopened.snapshot().chunks)


def test_the_next_ingest_after_an_outside_write_settles_the_version_again(
    ingested: tuple[Path, Path],
) -> None:
    corpus, data = ingested
    settled = open_store(data).version()
    writer = open_store(data)
    writer.delete([writer.chunks()[0].chunk_id])
    assert open_store(data).version().startswith("unsettled-")
    run_ingest(corpus, data)  # puts the chunk back: the same content, the same version
    assert open_store(data).version() == settled


def test_an_answer_looks_its_sentences_up_and_answers_as_before(
    corpus_copy: Path, tmp_path: Path
) -> None:
    # min_evidence: the fake embedder is not calibrated; the answer must quote something
    settings = Settings(corpus_dir=corpus_copy, data_dir=tmp_path / "data", min_evidence=-5)
    Assistant(settings, embedder=FakeEmbedder()).ingest()
    embedder = FakeEmbedder()
    bot = Assistant(settings, embedder=embedder)
    answer = bot.ask(QUESTION)
    assert not answer.refused
    assert [call.kind for call in embedder.calls] == ["query"]  # the question, nothing else
    # the same answer as an assistant that embeds every sentence per question
    embedding = FakeEmbedder()
    store = SentencelessStore.open(embedding, "kakehashi", settings.data_dir, None)
    without = Assistant(settings, embedder=embedding, store=store)
    assert without.ask(QUESTION).to_dict() | {"timings_ms": None} == answer.to_dict() | {
        "timings_ms": None
    }
    assert len(embedding.calls) == 2 and embedding.calls[1].kind == "passage"


def test_sentence_vectors_are_kept_beside_the_store(ingested: tuple[Path, Path]) -> None:
    _, data = ingested
    store = open_store(data)
    sentences = store.sentence_vectors()
    assert isinstance(sentences, SentenceVectors)
    assert sentences.complete_for() == store.version()
    assert sentences.path.parent == data / "index" / "kakehashi"


def test_a_server_store_keeps_its_snapshot_in_the_data_folder(
    corpus_copy: Path, tmp_path: Path, chroma_server: str
) -> None:
    data = tmp_path / "data"
    embedder = FakeEmbedder()
    store = ChromaStore.open(embedder, "snapshot-on-server", data, chroma_server)
    ingest(corpus_copy, store, embedder, count_tokens, data / "ingest.lock")
    assert store.local is not None and store.local.parent == data / "index"
    assert store.local.name.endswith("-snapshot-on-server")
    reopened = ChromaStore.open(FakeEmbedder(), "snapshot-on-server", data, chroma_server)
    chunkless = ChunklessStore(
        chroma_client(None, chroma_server),
        "snapshot-on-server",
        FakeEmbedder(),
        "test",
        reopened.local,
    )
    assert list(chunkless.snapshot().chunks) == reopened.chunks()


def test_a_chunk_written_after_the_assistant_opened_is_still_found(
    corpus_copy: Path, tmp_path: Path
) -> None:
    """Dense hits are read from the snapshot; one it does not hold comes from the store."""
    settings = Settings(corpus_dir=corpus_copy, data_dir=tmp_path / "data")
    Assistant(settings, embedder=FakeEmbedder()).ingest()
    bot = Assistant(settings, embedder=FakeEmbedder())
    writer = open_store(settings.data_dir)
    template = writer.chunks()[0]
    late = Chunk.from_record(
        "late-chunk", "出島計畫在二〇二六年春天啟動。", {**template.to_metadata(), "paragraph": 999}
    )
    writer.add([late], FakeEmbedder().embed([late.embed_text], kind="passage"))
    passages = bot.retrieve(late.embed_text, k=10)
    assert "late-chunk" in [passage.chunk_id for passage in passages]
