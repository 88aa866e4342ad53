"""The snapshot beside the store (chunk table + BM25) and the sentence vectors (pure: files in
tmp, no Chroma): what is written is what is read back, by position, by paragraph, and by a
lexical query; a folder of another version, or an incomplete one, is never read."""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fakes import FakeEmbedder

from assistant.lexical import LexicalIndex
from ingest.chunk import Chunk, chunk_document, quotable_sentences
from ingest.lexical import Bm25
from ingest.load import Document
from ingest.sentence_matrix import OFFSETS, SentenceSource
from ingest.sentences import SentenceVectors, row_id, sentence_key
from ingest.snapshot import CHUNKS, MANIFEST, Shelf, Snapshot, by_position
from ingest.tokens import count_tokens

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def chunks(editions: dict[str, Document]) -> list[Chunk]:
    return [c for document in editions.values() for c in chunk_document(document, count_tokens)]


QUERIES = ["稟議制", "根回し", "Dejima", "台灣新創的佔比", "patient capital"]


def test_a_saved_snapshot_reads_back_what_was_written(chunks: list[Chunk], tmp_path: Path) -> None:
    shelf = Shelf(tmp_path / "snapshots")
    written = shelf.save("v1", list(reversed(chunks)))  # any order in, snapshot order out
    loaded = shelf.find("v1", len(chunks))
    assert loaded is not None
    ordered = by_position(chunks)
    assert list(loaded.chunks) == ordered == list(written.chunks)
    assert loaded.chunks[0] == ordered[0] and loaded.chunks[-1] == ordered[-1]
    assert loaded.chunks[3:6] == ordered[3:6]
    assert loaded.chunks.at([7, 2, 7]) == [ordered[7], ordered[2], ordered[7]]


def test_paragraphs_documents_and_editions_are_those_of_the_chunks(
    chunks: list[Chunk], tmp_path: Path
) -> None:
    snapshot = Shelf(tmp_path).save("v1", chunks)
    by_paragraph: dict[tuple[str, int], list[Chunk]] = defaultdict(list)
    for chunk in by_position(chunks):
        by_paragraph[(chunk.doc_id, chunk.paragraph)].append(chunk)
    for (doc_id, paragraph), expected in by_paragraph.items():
        assert snapshot.chunks.paragraph(doc_id, paragraph) == sorted(
            expected, key=lambda c: c.start
        )
    assert snapshot.chunks.paragraph("no-such-document", 1) == []
    assert snapshot.chunks.doc_lang == {c.doc_id: c.lang for c in chunks}
    assert snapshot.chunks.translations == {
        "taiwan-japan-deep-tech-2025": {
            "en": "taiwan-japan-deep-tech-2025.en",
            "ja": "taiwan-japan-deep-tech-2025.ja",
        }
    }


def test_the_loaded_lexical_index_scores_as_a_fresh_one(
    chunks: list[Chunk], tmp_path: Path
) -> None:
    Shelf(tmp_path).save("v1", chunks)
    loaded = Shelf(tmp_path).find("v1", len(chunks))
    assert loaded is not None
    fresh = LexicalIndex.build([c.embed_text for c in by_position(chunks)])
    lexical = LexicalIndex(loaded.lexical)
    assert isinstance(loaded.lexical, Bm25) and isinstance(fresh.channel, Bm25)
    for query in QUERIES:
        tokens = lexical.tokens(query)
        assert np.array_equal(loaded.lexical.scores(tokens), fresh.channel.scores(tokens))
        assert lexical.top(query, 10) == fresh.top(query, 10)
        assert lexical.coverage(query) == fresh.coverage(query)


def test_another_version_or_count_finds_nothing(chunks: list[Chunk], tmp_path: Path) -> None:
    shelf = Shelf(tmp_path)
    shelf.save("v1", chunks)
    assert shelf.find("v2", len(chunks)) is None
    assert shelf.find("v1", len(chunks) - 1) is None
    assert shelf.find("", len(chunks)) is None  # an unversioned store: never trusted


def test_a_folder_renamed_to_another_version_is_not_read(
    chunks: list[Chunk], tmp_path: Path
) -> None:
    shelf = Shelf(tmp_path)
    shelf.save("v1", chunks)
    shutil.copytree(shelf.folder("v1", len(chunks)), shelf.folder("v2", len(chunks)))
    assert shelf.find("v2", len(chunks)) is None  # its manifest says v1


def test_an_incomplete_folder_is_not_read(chunks: list[Chunk], tmp_path: Path) -> None:
    shelf = Shelf(tmp_path)
    shelf.save("v1", chunks)
    (shelf.folder("v1", len(chunks)) / "bm25" / "vocab.index.json").unlink()
    assert shelf.find("v1", len(chunks)) is None
    (shelf.folder("v1", len(chunks)) / MANIFEST).unlink()
    assert shelf.find("v1", len(chunks)) is None


def test_a_damaged_folder_of_the_same_version_is_replaced(
    chunks: list[Chunk], tmp_path: Path
) -> None:
    shelf = Shelf(tmp_path)
    shelf.save("v1", chunks)
    (shelf.folder("v1", len(chunks)) / CHUNKS).write_bytes(b"not a database")
    assert shelf.find("v1", len(chunks)) is None
    saved = shelf.save("v1", chunks)
    assert list(saved.chunks) == by_position(chunks)
    found = shelf.find("v1", len(chunks))
    assert found is not None and list(found.chunks) == by_position(chunks)


def test_saving_a_version_removes_the_others(chunks: list[Chunk], tmp_path: Path) -> None:
    shelf = Shelf(tmp_path)
    shelf.save("v1", chunks)
    shelf.save("v2", chunks[:10])
    assert [path.name for path in tmp_path.iterdir()] == [shelf.folder("v2", 10).name]
    found = shelf.find("v2", 10)
    assert found is not None and list(found.chunks) == by_position(chunks[:10])


def test_versions_that_are_not_folder_names_are_hashed(tmp_path: Path) -> None:
    shelf = Shelf(tmp_path)
    assert shelf.folder("../escape", 3).parent == tmp_path
    assert shelf.folder("unsettled-0a1b", 3).name.startswith("unsettled-0a1b-3-f")


def test_an_empty_snapshot_is_a_snapshot(tmp_path: Path) -> None:
    empty = Shelf(tmp_path).save("v0", [])
    assert len(empty.chunks) == 0 and list(empty.chunks) == []
    assert LexicalIndex(empty.lexical).top("稟議制", 5) == []
    assert Shelf(tmp_path).find("v0", 0) is not None
    assert len(Snapshot.build([]).chunks) == 0


def test_sentence_vectors_come_back_bit_for_bit(chunks: list[Chunk], tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    texts = list(dict.fromkeys(t for c in chunks[:20] for _, t in quotable_sentences(c.text)))
    vectors = embedder.embed(texts, kind="passage")
    stored = SentenceVectors(tmp_path / "s.sqlite", embedder.identity, embedder.dimension)
    assert stored.missing(texts) == texts
    stored.add(texts, vectors)
    again = SentenceVectors(tmp_path / "s.sqlite", embedder.identity, embedder.dimension)
    found = again.get([*texts, "not a sentence of the corpus"])
    assert sorted(found) == sorted(texts)
    assert all(np.array_equal(found[t], v) for t, v in zip(texts, vectors, strict=True))
    again.keep_only(texts[:5], complete_for="v1")
    assert len(again) == 5 and again.complete_for() == "v1"


def test_sentence_vectors_of_another_embedder_are_dropped(tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    stored = SentenceVectors(tmp_path / "s.sqlite", embedder.identity, embedder.dimension)
    stored.add(["稟議制是決策機制。"], embedder.embed(["稟議制是決策機制。"], kind="passage"))
    stored.keep_only(["稟議制是決策機制。"], complete_for="v1")
    other = FakeEmbedder(name="another-model")
    reopened = SentenceVectors(tmp_path / "s.sqlite", other.identity, other.dimension)
    assert len(reopened) == 0 and reopened.complete_for() is None


def test_a_file_in_the_keyed_layout_is_converted_and_keeps_its_vectors(tmp_path: Path) -> None:
    import sqlite3

    embedder = FakeEmbedder()
    texts = ["稟議制是決策機制。", "根回しが鍵になる。", "Patient capital waits."]
    vectors = embedder.embed(texts, kind="passage")
    path = tmp_path / "s.sqlite"
    SentenceVectors(path, embedder.identity, embedder.dimension).close()  # identity recorded
    with sqlite3.connect(path) as db:  # as the earlier release wrote them
        db.execute("DROP TABLE vectors")
        db.execute(
            "CREATE TABLE vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID"
        )
        db.executemany(
            "INSERT INTO vectors VALUES (?, ?)",
            [
                (sentence_key(text), vector.astype(np.float32).tobytes())
                for text, vector in zip(texts, vectors, strict=True)
            ],
        )
    reopened = SentenceVectors(path, embedder.identity, embedder.dimension)
    found = reopened.get(texts)
    assert all(np.array_equal(found[t], v) for t, v in zip(texts, vectors, strict=True))
    with sqlite3.connect(path) as db:
        (layout,) = db.execute("SELECT sql FROM sqlite_master WHERE name = 'vectors'").fetchone()
    assert "WITHOUT ROWID" not in layout.upper()


def test_a_row_of_another_sentence_with_the_same_row_id_is_not_its_vector(tmp_path: Path) -> None:
    import sqlite3

    embedder = FakeEmbedder()
    path = tmp_path / "s.sqlite"
    stored = SentenceVectors(path, embedder.identity, embedder.dimension)
    sentence = "稟議制是決策機制。"
    impostor = bytes(8) + sentence_key(sentence)[8:]  # a key that differs in the stored part
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO vectors VALUES (?, ?, ?)",
            (row_id(sentence_key(sentence)), impostor, np.ones(4, np.float32).tobytes()),
        )
    assert stored.get([sentence]) == {}
    assert stored.missing([sentence]) == [sentence]


def _source(embedder: FakeEmbedder, leave_out: str = "") -> SentenceSource:
    def lookup(texts: Sequence[str]) -> dict[str, np.ndarray]:
        kept = [text for text in texts if text != leave_out]
        return dict(zip(kept, embedder.embed(kept, kind="passage"), strict=True))

    return SentenceSource(lookup, embedder.identity, embedder.dimension)


def test_the_sentence_matrix_reads_back_each_chunks_sentences(
    chunks: list[Chunk], tmp_path: Path
) -> None:
    embedder = FakeEmbedder()
    Shelf(tmp_path).save("v1", chunks, _source(embedder))
    loaded = Shelf(tmp_path).find("v1", len(chunks), embedder.identity)
    assert loaded is not None and loaded.sentences is not None
    query = embedder.embed(["稟議制的核心是根回し"], kind="query")[0]
    positions = [0, 5, len(chunks) - 1, 5]
    best = loaded.sentences.best(positions, query)
    for position, score in zip(positions, best, strict=True):
        texts = [t for _, t in quotable_sentences(loaded.chunks[position].text)]
        if not texts:
            assert score is None
            continue
        expected = float((embedder.embed(texts, kind="passage") @ query).max())
        assert score == pytest.approx(expected, abs=1e-6)


def test_no_matrix_when_a_sentence_has_no_vector_or_another_embedder_made_it(
    chunks: list[Chunk], tmp_path: Path
) -> None:
    embedder = FakeEmbedder()
    some = next(t for c in by_position(chunks) for _, t in quotable_sentences(c.text))
    partial = Shelf(tmp_path / "partial").save("v1", chunks, _source(embedder, leave_out=some))
    assert partial.sentences is None  # never a chunk ranked by part of its sentences
    found = Shelf(tmp_path / "partial").find("v1", len(chunks), embedder.identity)
    assert found is not None and found.sentences is None
    Shelf(tmp_path / "whole").save("v1", chunks, _source(embedder))
    other = Shelf(tmp_path / "whole").find("v1", len(chunks), "fake/another-model")
    assert other is not None and other.sentences is None
    assert len(other.chunks) == len(chunks)  # the rest of the snapshot is still read


def test_a_truncated_matrix_is_not_read(chunks: list[Chunk], tmp_path: Path) -> None:
    embedder = FakeEmbedder()
    shelf = Shelf(tmp_path)
    shelf.save("v1", chunks, _source(embedder))
    folder = shelf.folder("v1", len(chunks))
    np.save(folder / OFFSETS, np.zeros(3, dtype=np.int64))
    assert shelf.find("v1", len(chunks), embedder.identity) is None
