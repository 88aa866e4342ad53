"""Ingest with the deterministic fake embedder, on embedded Chroma (and once on the Chroma
server): idempotence with counts, edits, removals, failures midway, the lock. Assertions are on
what the store holds and what was embedded."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes import EmbedderFailure, FailingEmbedder, FakeEmbedder, GatedEmbedder

from assistant.errors import IngestLocked, StoreUnavailable
from ingest.chunk import Chunk, quotable_sentences
from ingest.embed import Embedder
from ingest.index import IngestReport, ingest, prepare
from ingest.store import ChromaStore
from ingest.tokens import count_tokens

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]

ORIGINAL = "taiwan-japan-deep-tech-2025.zh-TW.txt"
JAPANESE = "taiwan-japan-deep-tech-2025.ja.txt"
ENGLISH = "taiwan-japan-deep-tech-2025.en.txt"


@dataclass
class Workbench:
    """A corpus folder, a store folder and a lock; ``run`` ingests like a fresh process would."""

    corpus: Path
    data_dir: Path
    collection: str = "kakehashi"
    url: str | None = None

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "ingest.lock"

    def store(self, embedder: Embedder | None = None) -> ChromaStore:
        data_dir = None if self.url else self.data_dir
        return ChromaStore.open(embedder or FakeEmbedder(), self.collection, data_dir, self.url)

    def run(
        self, embedder: Embedder | None = None, store: Any = None, **kwargs: Any
    ) -> IngestReport:
        embedder = embedder or FakeEmbedder()
        store = store if store is not None else self.store(embedder)
        return ingest(self.corpus, store, embedder, count_tokens, self.lock_path, **kwargs)

    def expected(self) -> list[Chunk]:
        return prepare(self.corpus, count_tokens)[1]

    def snapshot(self) -> tuple[list[Chunk], dict[str, dict[str, Any]], dict[str, Any]]:
        store = self.store()
        return store.chunks(), store.records(), store.info()

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.corpus / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def bench(corpus_copy: Path, tmp_path: Path) -> Workbench:
    return Workbench(corpus_copy, tmp_path / "data")


@pytest.fixture
def ingested(bench: Workbench) -> Workbench:
    bench.run()
    return bench


def sentences_of(chunks: list[Chunk]) -> list[str]:
    """The quotable sentences of ``chunks``, each once: what ingest embeds besides the chunks."""
    return list(
        dict.fromkeys(text for chunk in chunks for _, text in quotable_sentences(chunk.text))
    )


def assert_store_matches_corpus(bench: Workbench) -> None:
    expected = bench.expected()
    store = bench.store()
    assert store.records() == {chunk.chunk_id: chunk.to_metadata() for chunk in expected}
    assert store.count() == len(expected)
    assert store.chunks() == sorted(expected, key=lambda c: (c.doc_id, c.ordinal))


# -- idempotence ------------------------------------------------------------------------------
def test_the_first_run_embeds_every_chunk_once(bench: Workbench) -> None:
    embedder = FakeEmbedder()
    report = bench.run(embedder)
    expected = bench.expected()
    assert (report.added, report.unchanged, report.updated, report.deleted) == (
        len(expected),
        0,
        0,
        0,
    )
    assert (report.documents, report.chunks, report.failures) == (3, len(expected), ())
    # every chunk, then every quotable sentence (for extractive answers), each once
    assert sorted(embedder.texts_embedded) == sorted(
        [chunk.embed_text for chunk in expected] + sentences_of(expected)
    )
    assert {call.kind for call in embedder.calls} == {"passage"}
    assert_store_matches_corpus(bench)
    info = bench.store().info()
    assert info["documents"] == 3 and info["ingested_at"]


def test_a_second_run_embeds_nothing(ingested: Workbench) -> None:
    before = ingested.snapshot()[:2]
    embedder = FakeEmbedder()
    report = ingested.run(embedder)
    n = len(ingested.expected())
    assert (report.added, report.unchanged, report.updated, report.deleted) == (0, n, 0, 0)
    assert embedder.texts_embedded == []
    assert report.summary().startswith(f"added 0, unchanged {n}, updated 0, deleted 0")
    assert ingested.snapshot()[:2] == before


def test_ingest_is_idempotent_on_a_chroma_server_too(
    corpus_copy: Path, tmp_path: Path, chroma_server: str
) -> None:
    bench = Workbench(
        corpus_copy, tmp_path / "data", collection="ingest-idempotence", url=chroma_server
    )
    n = len(bench.expected())
    first = bench.run()
    assert (first.added, first.unchanged) == (n, 0)
    embedder = FakeEmbedder()
    second = bench.run(embedder)
    assert (second.added, second.unchanged, second.updated, second.deleted) == (0, n, 0, 0)
    assert embedder.texts_embedded == []
    bench.edit(ORIGINAL, "創業圈的風向標已徹底轉向。", "創業圈的風向標已完全轉向。")
    third = bench.run()
    assert (third.added, third.unchanged, third.updated, third.deleted) == (1, n - 1, 0, 1)
    assert_store_matches_corpus(bench)


def test_editing_one_paragraph_replaces_exactly_its_chunk(ingested: Workbench) -> None:
    before = set(ingested.store().records())
    sentences_before = set(sentences_of(ingested.expected()))
    # same length: no other chunk moves
    ingested.edit(ORIGINAL, "創業圈的風向標已徹底轉向。", "創業圈的風向標已完全轉向。")
    embedder = FakeEmbedder()
    report = ingested.run(embedder)
    n = len(ingested.expected())
    assert (report.added, report.unchanged, report.updated, report.deleted) == (1, n - 1, 0, 1)
    after = set(ingested.store().records())
    (new_id,) = after - before
    assert len(before - after) == 1
    new_chunk = next(chunk for chunk in ingested.expected() if chunk.chunk_id == new_id)
    assert "創業圈的風向標已完全轉向。" in new_chunk.text
    # the chunk, and of its sentences only the edited one
    new_sentences = [t for t in sentences_of([new_chunk]) if t not in sentences_before]
    assert len(new_sentences) == 1 and "創業圈的風向標已完全轉向。" in new_sentences[0]
    assert embedder.texts_embedded == [new_chunk.embed_text, *new_sentences]
    assert_store_matches_corpus(ingested)


def test_an_edit_that_moves_later_chunks_relabels_them_without_embedding(
    ingested: Workbench,
) -> None:
    old = {chunk.chunk_id: chunk for chunk in ingested.expected()}
    ingested.edit(ORIGINAL, "取而代之的,是一場", "取而代之的,正是一場全新的")
    embedder = FakeEmbedder()
    report = ingested.run(embedder)
    new = ingested.expected()
    moved = [
        c for c in new if c.chunk_id in old and old[c.chunk_id].to_metadata() != c.to_metadata()
    ]
    assert moved and all(chunk.doc_id == "taiwan-japan-deep-tech-2025" for chunk in moved)
    assert (report.added, report.deleted, report.updated) == (1, 1, len(moved))
    assert len(embedder.texts_embedded) == 2  # the edited chunk and its edited sentence
    assert_store_matches_corpus(ingested)


def test_a_removed_document_is_purged(ingested: Workbench) -> None:
    japanese = [c for c in ingested.expected() if c.lang == "ja"]
    (ingested.corpus / JAPANESE).unlink()
    (ingested.corpus / f"{JAPANESE}.meta.json").unlink()
    report = ingested.run()
    assert (report.added, report.deleted, report.documents) == (0, len(japanese), 2)
    assert not any(metadata["lang"] == "ja" for metadata in ingested.store().records().values())
    assert_store_matches_corpus(ingested)


def test_a_new_document_is_added_alone(ingested: Workbench) -> None:
    n = len(ingested.expected())
    (ingested.corpus / "notes.md").write_text(
        "# 會議紀錄\n\n出島機制讓新創合作繞過本社流程。\n\n耐心資本需要時間。\n", encoding="utf-8"
    )
    embedder = FakeEmbedder()
    report = ingested.run(embedder)
    assert (report.added, report.unchanged, report.deleted, report.documents) == (2, n, 0, 4)
    assert embedder.texts_embedded == [
        "會議紀錄\n出島機制讓新創合作繞過本社流程。",
        "會議紀錄\n耐心資本需要時間。",
        "出島機制讓新創合作繞過本社流程。",
        "耐心資本需要時間。",
    ]
    assert_store_matches_corpus(ingested)


def test_a_file_that_turns_unreadable_keeps_its_previous_chunks(ingested: Workbench) -> None:
    before = ingested.snapshot()[:2]
    (ingested.corpus / ENGLISH).write_bytes(b"\x00\x01binary now" * 100)
    report = ingested.run()
    assert [Path(failure.source).name for failure in report.failures] == [ENGLISH]
    assert "binary file" in report.failures[0].reason
    assert report.kept_docs == ("taiwan-japan-deep-tech-2025.en",)
    assert (report.added, report.deleted) == (0, 0)
    assert ingested.snapshot()[:2] == before
    assert "kept the previous version of taiwan-japan-deep-tech-2025.en" in report.summary()


def test_a_translation_that_turns_misaligned_keeps_its_previous_chunks(ingested: Workbench) -> None:
    before = ingested.snapshot()[:2]
    ingested.edit(ENGLISH, "61.5%", "62.5%")
    report = ingested.run()
    assert "misaligned translation: paragraph 43" in report.failures[0].reason
    assert report.kept_docs == ("taiwan-japan-deep-tech-2025.en",)
    assert ingested.snapshot()[:2] == before


def test_bad_files_are_reported_and_the_rest_ingested(bench: Workbench) -> None:
    (bench.corpus / "empty.txt").write_bytes(b"")
    (bench.corpus / "fake.pdf").write_text("not a pdf", encoding="utf-8")
    (bench.corpus / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    report = bench.run()
    reasons = {Path(failure.source).name: failure.reason for failure in report.failures}
    assert reasons == {
        "empty.txt": "empty file",
        "fake.pdf": "not a PDF file (no %PDF header)",
        "photo.png": "unsupported file type .png",
    }
    assert report.documents == 3
    assert_store_matches_corpus(bench)
    for name, reason in reasons.items():
        assert f"skipped {bench.corpus / name}: {reason}" in report.summary()


def test_the_progress_bar_shows_long_runs(
    bench: Workbench, capsys: pytest.CaptureFixture[str]
) -> None:
    bench.run(progress=True)
    assert "embedding" in capsys.readouterr().err


# -- failures midway --------------------------------------------------------------------------
def _big_change(bench: Workbench) -> None:
    """Edits, an addition and a removal: a run with plenty to embed, write and delete."""
    bench.edit(ORIGINAL, "創業圈的風向標已徹底轉向。", "創業圈的風向標已完全轉向。")
    paragraphs = "\n".join(f"第 {i} 段:台日合作的第 {i} 個觀察。" for i in range(60))
    (bench.corpus / "observations.txt").write_text(paragraphs + "\n", encoding="utf-8")
    (bench.corpus / JAPANESE).unlink()
    (bench.corpus / f"{JAPANESE}.meta.json").unlink()


def test_an_embedder_failing_halfway_leaves_the_store_as_it_was(ingested: Workbench) -> None:
    before = ingested.snapshot()
    _big_change(ingested)
    failing = FailingEmbedder(fail_after=33)
    with pytest.raises(EmbedderFailure):
        ingested.run(failing)
    assert failing.embedded > 0  # it really failed halfway, not at the start
    assert ingested.snapshot() == before
    # and the next good run converges
    report = ingested.run()
    assert report.added == 61
    assert_store_matches_corpus(ingested)


class FlakyStore:
    """A real store whose ``fail_on`` operation raises on its ``after``-th call (and every
    later one, unless ``once``: a transient failure)."""

    def __init__(
        self, store: ChromaStore, fail_on: str, after: int = 1, once: bool = False
    ) -> None:
        self._store = store
        self.fail_on = fail_on
        self.after = after
        self.once = once
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._store, name)
        if name != self.fail_on:
            return method

        def flaky(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            failing = (
                self.calls[name] == self.after if self.once else self.calls[name] >= self.after
            )
            if failing:
                raise StoreUnavailable("Chroma server http://127.0.0.1:1 is unavailable: refused")
            return method(*args, **kwargs)

        return flaky


def test_a_store_failing_on_its_second_write_batch_is_rolled_back(ingested: Workbench) -> None:
    before = ingested.snapshot()
    paragraphs = "\n".join(f"第 {i} 條觀察:出島機制第 {i} 版。" for i in range(1100))
    (ingested.corpus / "many.txt").write_text(paragraphs + "\n", encoding="utf-8")
    flaky = FlakyStore(ingested.store(), "add", after=2)
    with pytest.raises(StoreUnavailable):
        ingested.run(store=flaky)
    assert flaky.calls["add"] == 2
    assert ingested.snapshot() == before


@pytest.mark.parametrize("operation", ["delete", "update_metadata"])
def test_a_store_failing_after_the_adds_leaves_the_store_as_it_was(
    ingested: Workbench, operation: str
) -> None:
    # A transient failure: the undo itself (a delete, a metadata update) goes through. When the
    # server is gone for good the undo cannot reach it either; the next run converges instead.
    before = ingested.snapshot()
    ingested.edit(ORIGINAL, "取而代之的,是一場", "取而代之的,正是一場全新的")
    with pytest.raises(StoreUnavailable):
        ingested.run(store=FlakyStore(ingested.store(), operation, once=True))
    assert ingested.snapshot() == before


# -- one writer at a time ---------------------------------------------------------------------
def test_a_second_concurrent_ingest_is_refused_by_the_lock(ingested: Workbench) -> None:
    ingested.edit(ORIGINAL, "創業圈的風向標已徹底轉向。", "創業圈的風向標已完全轉向。")
    gated = GatedEmbedder()
    outcome: dict[str, Any] = {}

    def first() -> None:
        try:
            outcome["report"] = ingested.run(gated)
        except BaseException as error:  # pragma: no cover - shown by the assertion below
            outcome["error"] = error

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert gated.entered.wait(timeout=60), "the first ingest never reached the embedder"
        second = FakeEmbedder()
        with pytest.raises(IngestLocked, match="another ingest is running"):
            ingested.run(second)
        assert second.calls == []
    finally:
        gated.release.set()
        thread.join(timeout=60)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["report"].added == 1
    # the lock is released: the next run goes ahead and has nothing to do
    assert ingested.run().added == 0
    assert_store_matches_corpus(ingested)


def test_the_assistant_sees_what_it_ingested(corpus_copy: Path, tmp_path: Path) -> None:
    from assistant import Assistant, Settings

    settings = Settings(corpus_dir=corpus_copy, data_dir=tmp_path / "data")
    assistant = Assistant(settings, embedder=FakeEmbedder())
    assert assistant.status()["chunks"] == 0
    report = assistant.ingest()
    assert assistant.status()["chunks"] == report.chunks
    question = "稟議制是日本特有的「由下而上(Bottom-up)」決策機制,與台灣常見的「高層授權」截然不同"
    passages = assistant.retrieve(question, k=3)
    assert any(p.text.startswith("稟議制是日本特有的「由下而上(Bottom-up)」") for p in passages)
