"""Ranking across languages (pure: no store, no embedder)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pytest
from fakes import FakeEmbedder

from assistant.retrieve import (
    Candidate,
    SearchIndex,
    by_best_sentence,
    by_stored_sentence,
    fuse,
    hybrid_search,
    lift_untranslated,
    to_passages,
)
from assistant.thresholds import refusal
from ingest.chunk import Chunk, quotable_sentences
from ingest.sentence_matrix import SentenceSource
from ingest.snapshot import Snapshot
from ingest.store import Hit, Store

pytestmark = pytest.mark.unit
CROSS_LINGUAL_BONUS = refusal().cross_lingual_offset


def chunk(doc_id: str, lang: str, text: str, translation_of: str | None = None) -> Chunk:
    return Chunk(
        chunk_id=f"{doc_id}:1",
        doc_id=doc_id,
        title=doc_id,
        lang=lang,
        section="",
        paragraph=1,
        start=0,
        end=len(text),
        text=text,
        ordinal=0,
        translation_of=translation_of,
    )


ESSAY = chunk("essay.zh-TW", "zh-TW", "台日合作的調查與分析。")
ESSAY_EN = chunk("essay.en", "en", "A survey and analysis of Taiwan-Japan work.", "essay.zh-TW")
SURVEY = chunk("survey.zh-TW", "zh-TW", "本調查共回收 1,200 份有效樣本。")


def test_an_untranslated_paragraph_competes_on_the_questions_scale() -> None:
    index = SearchIndex([ESSAY, ESSAY_EN, SURVEY])
    dense = [(ESSAY_EN, 0.84), (SURVEY, 0.80), (ESSAY, 0.79)]
    lifted = lift_untranslated(dense, index, "en")
    assert [c.doc_id for c, _ in lifted] == ["survey.zh-TW", "essay.en", "essay.zh-TW"]
    assert dict((c.doc_id, s) for c, s in lifted)["survey.zh-TW"] == pytest.approx(
        0.80 + CROSS_LINGUAL_BONUS
    )
    # the essay's original has an English edition: it competes through that, unlifted
    assert dict((c.doc_id, s) for c, s in lifted)["essay.zh-TW"] == pytest.approx(0.79)


def test_nothing_is_lifted_in_its_own_language() -> None:
    index = SearchIndex([ESSAY, ESSAY_EN, SURVEY])
    dense = [(ESSAY, 0.84), (SURVEY, 0.80)]
    assert lift_untranslated(dense, index, "zh-TW") == dense


ESSAY_JA = chunk("essay.ja", "ja", "日台協力の調査と分析。", "essay.zh-TW")


def test_a_paragraph_scores_from_its_editions_not_their_sum() -> None:
    # Three editions each ranked moderately must not outrank an untranslated paragraph that
    # ranked best: summed (0.15) they would; scored from its editions (0.05) they do not.
    index = SearchIndex([ESSAY, ESSAY_EN, ESSAY_JA, SURVEY])
    candidates = [
        Candidate(SURVEY, 0.08, 0.8, 0.0),
        Candidate(ESSAY_EN, 0.05, 0.7, 0.0),
        Candidate(ESSAY, 0.05, 0.7, 0.0),
        Candidate(ESSAY_JA, 0.05, 0.7, 0.0),
    ]
    passages = to_passages(candidates, index, "en", k=5)
    assert [p.doc_id for p in passages] == ["survey.zh-TW", "essay.en"]
    assert passages[1].score == pytest.approx(0.05)


def test_a_paragraph_retrieved_in_one_of_its_editions_loses_a_third() -> None:
    other = chunk("other.zh-TW", "zh-TW", "另一段。")
    index = SearchIndex([ESSAY, ESSAY_EN, ESSAY_JA, SURVEY, other])
    candidates = [
        Candidate(ESSAY_EN, 0.09, 0.8, 0.0),  # one edition of three
        Candidate(SURVEY, 0.07, 0.7, 0.0),  # untranslated: its one edition is all of it
        Candidate(other, 0.01, 0.1, 0.0),
    ]
    passages = to_passages(candidates, index, "en", k=2)
    assert [p.doc_id for p in passages] == ["survey.zh-TW", "essay.en"]
    assert passages[1].score == pytest.approx((0.09 + 0.09 / 3) / 2)


LONG = chunk(
    "long.en",
    "en",
    "The weather in Kumamoto was mild that year. Engineers trained for three months in Japanese.",
)
BLURRED = chunk("blurred.en", "en", "Engineers in Kumamoto, Japanese training, months and years.")
HEADING = chunk("heading.en", "en", "Training")


def test_chunks_rank_by_their_best_sentence() -> None:
    embedder = FakeEmbedder()
    question = embedder.embed(["Engineers trained for three months in Japanese."], kind="query")
    ranked = by_best_sentence([BLURRED, HEADING, LONG], question[0], embedder)
    # the chunk holding the sentence comes first, with that sentence's similarity; a chunk with
    # no quotable sentence (a heading) has no rank in this channel
    assert [c.doc_id for c, _ in ranked] == ["long.en", "blurred.en"]
    assert ranked[0][1] == pytest.approx(1.0, abs=1e-5)


def test_the_sentence_channel_counts_in_the_fusion() -> None:
    dense = [(BLURRED, 0.9), (LONG, 0.8)]
    alone = fuse(dense, [])
    assert [c.chunk.doc_id for c in alone] == ["blurred.en", "long.en"]
    both = fuse(dense, [], sentences=[(LONG, 0.95)])
    assert [c.chunk.doc_id for c in both] == ["long.en", "blurred.en"]
    # the raw dense score is kept for what reads it, not replaced by the sentence's
    assert both[0].dense == pytest.approx(0.8)


class RankedStore:
    """A store whose dense ranking is given: chunk ids with their similarity, nearest first."""

    def __init__(self, ranked: list[tuple[str, float]]) -> None:
        self.ranked = ranked

    def nearest(self, vector: object, k: int) -> list[tuple[str, float]]:
        return self.ranked[:k]


def deep_answer() -> tuple[list[Chunk], RankedStore]:
    """55 chunks that say nothing, then the one that answers, ranked 56th by the dense channel."""
    filler = [
        chunk(f"filler{i}.en", "en", f"Paragraph number {i} talks about something else.")
        for i in range(55)
    ]
    answer = chunk(
        "answer.en", "en", "Unrelated opening words. The median deal was 230 million yen."
    )
    ranked = [(c.chunk_id, 0.9 - i / 100) for i, c in enumerate(filler)]
    return [*filler, answer], RankedStore([*ranked, (answer.chunk_id, 0.3)])


def test_a_passage_deep_in_the_dense_list_is_found_by_its_sentence() -> None:
    # Across languages the dense channel ranks the answering chunk low; the sentence channel
    # ranks only what the dense and lexical channels bring, so it must reach that far.
    chunks, store = deep_answer()
    index = SearchIndex(chunks)
    embedder = FakeEmbedder()
    question = embedder.embed(["The median deal was 230 million yen."], kind="query")[0]
    passages = hybrid_search(
        "zzz", question, cast(Store, store), index, "en", k=10, sentences=embedder
    )
    assert "answer.en" in [p.doc_id for p in passages]


def _matrix_index(chunks: list[Chunk], embedder: FakeEmbedder) -> SearchIndex:
    """An index whose snapshot holds the sentence matrix of ``chunks`` (every vector stored)."""

    def lookup(texts: Sequence[str]) -> dict[str, np.ndarray]:
        return dict(zip(texts, embedder.embed(list(texts), kind="passage"), strict=True))

    source = SentenceSource(lookup, embedder.identity, embedder.dimension)
    return SearchIndex(Snapshot.build(chunks, sentences=source))


def test_the_snapshot_matrix_ranks_as_the_embedded_sentences_do() -> None:
    embedder = FakeEmbedder()
    chunks = [BLURRED, HEADING, LONG]
    index = _matrix_index(chunks, embedder)
    assert index.sentences is not None
    for text in ["Engineers trained for three months in Japanese.", "weather in Kumamoto"]:
        question = embedder.embed([text], kind="query")[0]
        from_matrix, others = by_stored_sentence(chunks, question, index)
        assert others == []
        embedded = by_best_sentence(chunks, question, embedder)
        assert [c.doc_id for c, _ in from_matrix] == [c.doc_id for c, _ in embedded]
        for (_, a), (_, b) in zip(from_matrix, embedded, strict=True):
            assert a == pytest.approx(b, abs=1e-6)


def test_hybrid_search_reads_the_matrix_without_embedding_a_sentence() -> None:
    chunks, store = deep_answer()
    embedder = FakeEmbedder()
    index = _matrix_index(chunks, embedder)
    question = embedder.embed(["The median deal was 230 million yen."], kind="query")[0]
    counting = FakeEmbedder()
    passages = hybrid_search(
        "zzz", question, cast(Store, store), index, "en", k=10, sentences=counting
    )
    assert "answer.en" in [p.doc_id for p in passages]
    assert counting.texts_embedded == []  # the matrix answered; nothing was embedded


class LateStore(RankedStore):
    """A store holding chunks the index was not built from (written after it was opened)."""

    def __init__(self, hits: list[tuple[Chunk, float]]) -> None:
        super().__init__([(chunk.chunk_id, score) for chunk, score in hits])
        self.hits = hits

    def search(self, vector: object, k: int) -> list[Hit]:
        return [Hit(chunk, score) for chunk, score in self.hits[:k]]


def test_a_chunk_the_matrix_does_not_hold_is_ranked_from_the_embedder() -> None:
    embedder = FakeEmbedder()
    index = _matrix_index([BLURRED, HEADING], embedder)  # LONG was written after it
    question = embedder.embed(["Engineers trained for three months in Japanese."], kind="query")
    ranked, others = by_stored_sentence([BLURRED, LONG], question[0], index)
    assert [c.doc_id for c, _ in ranked] == ["blurred.en"] and others == [LONG]
    store = LateStore([(BLURRED, 0.9), (LONG, 0.8)])
    counting = FakeEmbedder()
    hybrid_search("zzz", question[0], cast(Store, store), index, "en", k=5, sentences=counting)
    assert counting.texts_embedded == [t for _, t in quotable_sentences(LONG.text)]
