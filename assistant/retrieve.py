"""Hybrid cross-lingual retrieval: dense (store) + lexical (BM25), fused by reciprocal rank.

Step 1: dense neighbours of the question from the store, and lexical matches from BM25.
Step 2: the same candidates ranked by their best sentence (the sentence vectors ingest keeps).
Step 3: reciprocal-rank fusion of the three rankings.
Step 4: one passage per aligned paragraph — an original and its translations are the same
        passage in other words — scored from its editions, shown in the question's language
        when an edition exists, always with the original paragraph beside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from assistant.lexical import Glossary, LexicalIndex
from assistant.thresholds import refusal as fitted_refusal
from assistant.types import Location, Passage
from ingest.chunk import Chunk, quotable_sentences
from ingest.embed import Embedder
from ingest.snapshot import Snapshot
from ingest.store import Store

RRF_K = 10
# Bigram BM25 matches only text in the question's language, so it counts less than the dense
# channel: at full weight a question in English ranked the English edition of one document
# above an untranslated Chinese survey that answered it. At half weight Simplified Chinese
# questions, which BM25 matches through script folding, lost their passage.
LEXICAL_WEIGHT = 0.75
# Candidates from each of the dense and lexical channels. The sentence channel can only rank
# what they bring: at 40 the passage answering a question across languages (an untranslated
# document) was often not among them (new-documents MRR 0.828 at 40, 0.865 at 60; dev 0.836).
CANDIDATES = 60


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    fused: float
    dense: float
    lexical: float


class SearchIndex:
    """What retrieval reads besides dense search: the chunks (by position and by paragraph),
    the documents' languages and editions, and the lexical channel. Opened from the store's
    snapshot (``Store.snapshot()``: rows are read on demand), or built from chunks."""

    def __init__(
        self, source: Snapshot | Sequence[Chunk], glossary: Glossary | None = None
    ) -> None:
        snapshot = source if isinstance(source, Snapshot) else Snapshot.build(source)
        self.version = snapshot.version
        self.chunks = snapshot.chunks
        self.lexical = LexicalIndex(snapshot.lexical, glossary)
        self.doc_lang = snapshot.chunks.doc_lang
        self.translations = snapshot.chunks.translations
        self.sentences = snapshot.sentences

    def root(self, chunk: Chunk) -> str:
        return chunk.translation_of or chunk.doc_id

    def paragraph(self, doc_id: str, paragraph: int) -> list[Chunk]:
        """The chunks of one paragraph, in reading order."""
        return self.chunks.paragraph(doc_id, paragraph)

    def paragraph_text(self, doc_id: str, paragraph: int) -> str:
        return "".join(_joined(self.paragraph(doc_id, paragraph)))

    def editions(self, root: str) -> int:
        """How many editions ``root`` has, itself included."""
        return 1 + len(self.translations.get(root, {}))

    def edition(self, root: str, lang: str) -> str | None:
        """The doc_id of ``root`` in ``lang`` (the root itself when it is in that language)."""
        if self.doc_lang.get(root) == lang:
            return root
        return self.translations.get(root, {}).get(lang)


def _joined(parts: Sequence[Chunk]) -> list[str]:
    """Chunks of one paragraph are contiguous slices of it; Latin text needs its spaces back."""
    out: list[str] = []
    previous_end = None
    for chunk in parts:
        if previous_end is not None and chunk.start > previous_end and chunk.text[:1].isascii():
            out.append(" ")
        out.append(chunk.text)
        previous_end = chunk.end
    return out


def fuse(
    dense: Sequence[tuple[Chunk, float]],
    lexical: Sequence[tuple[Chunk, float]],
    dense_weight: float = 1.0,
    lexical_weight: float = 1.0,
    sentences: Sequence[tuple[Chunk, float]] = (),
) -> list[Candidate]:
    """Reciprocal-rank fusion (Cormack et al. 2009) with the raw scores kept for refusals.
    ``sentences`` (chunks ranked by their best sentence) weighs as much as ``dense``."""
    fused: dict[str, float] = defaultdict(float)
    chunks: dict[str, Chunk] = {}
    dense_score: dict[str, float] = {}
    lexical_score: dict[str, float] = {}
    for rank, (chunk, score) in enumerate(dense, start=1):
        fused[chunk.chunk_id] += dense_weight / (RRF_K + rank)
        chunks[chunk.chunk_id] = chunk
        dense_score[chunk.chunk_id] = score
    for rank, (chunk, score) in enumerate(lexical, start=1):
        fused[chunk.chunk_id] += lexical_weight / (RRF_K + rank)
        chunks[chunk.chunk_id] = chunk
        lexical_score[chunk.chunk_id] = score
    for rank, (chunk, _) in enumerate(sentences, start=1):
        fused[chunk.chunk_id] += dense_weight / (RRF_K + rank)
        chunks[chunk.chunk_id] = chunk
    ranked = sorted(fused, key=lambda cid: (-fused[cid], cid))
    return [
        Candidate(chunks[cid], fused[cid], dense_score.get(cid, 0.0), lexical_score.get(cid, 0.0))
        for cid in ranked
    ]


def to_passages(
    candidates: Sequence[Candidate], index: SearchIndex, language: str, k: int
) -> list[Passage]:
    """Collapse editions of one paragraph into one passage in the question's language."""
    groups: dict[tuple[str, int], list[Candidate]] = {}
    order: list[tuple[str, int]] = []
    for candidate in candidates:
        key = (index.root(candidate.chunk), candidate.chunk.paragraph)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(candidate)
    score = {key: _editions_score(groups[key], index.editions(key[0])) for key in order}
    ranked = sorted(order, key=lambda key: -score[key])[:k]  # stable: ties keep fused order
    passages: list[Passage] = []
    for key in ranked:
        group = groups[key]
        root, paragraph = key
        chosen = _pick_edition(group, index, root, paragraph, language)
        chunk = chosen.chunk
        original_text = (
            index.paragraph_text(root, paragraph) if chunk.translation_of else chunk.text
        )
        passages.append(
            Passage(
                chunk_id=chunk.chunk_id,
                doc_id=chunk.doc_id,
                title=chunk.title,
                lang=chunk.lang,
                text=chunk.text,
                original_text=original_text or chunk.text,
                location=Location(chunk.section, chunk.paragraph, chunk.start, chunk.end),
                score=score[key],
                dense_score=max(candidate.dense for candidate in group),
                lexical_score=max(candidate.lexical for candidate in group),
                translation_of=chunk.translation_of,
                original_doc_id=root if chunk.translation_of else None,
            )
        )
    return passages


def _editions_score(group: Sequence[Candidate], editions: int) -> float:
    """A paragraph's score from its editions: the mean of its best edition's score and of
    every edition's (an edition not retrieved counts zero; several chunks of one edition count
    once, by their best). An untranslated paragraph scores as its one edition; a translated one
    whose editions agree keeps that score, and one retrieved in a single edition loses a third.
    Summing the editions (as before) gave a translated paragraph three chances against one for
    an untranslated document (new-documents MRR with the sentence channel: summed 0.716, best
    edition 0.805, this 0.825; dev 0.796, 0.815, 0.836)."""
    best: dict[str, float] = {}
    for candidate in group:
        doc = candidate.chunk.doc_id
        best[doc] = max(best.get(doc, 0.0), candidate.fused)
    return (max(best.values()) + sum(best.values()) / max(editions, len(best))) / 2


def _pick_edition(
    group: Sequence[Candidate], index: SearchIndex, root: str, paragraph: int, language: str
) -> Candidate:
    in_language = [candidate for candidate in group if candidate.chunk.lang == language]
    if in_language:
        return in_language[0]
    edition = index.edition(root, language)
    if edition is not None:
        chunks = index.paragraph(edition, paragraph)
        if chunks:
            best = group[0]
            return Candidate(chunks[0], best.fused, best.dense, best.lexical)
    return group[0]


def lift_untranslated(
    dense: Sequence[tuple[Chunk, float]], index: SearchIndex, language: str
) -> list[tuple[Chunk, float]]:
    """Dense hits re-ranked with the calibrated cross-lingual offset (``assistant.thresholds``)
    added to chunks in another language whose paragraph has no edition in ``language``; a
    paragraph that has one competes through that edition."""
    offset = fitted_refusal().cross_lingual_offset
    lifted = [
        (
            chunk,
            score
            + (
                offset
                if chunk.lang != language and index.edition(index.root(chunk), language) is None
                else 0.0
            ),
        )
        for chunk, score in dense
    ]
    return sorted(lifted, key=lambda pair: -pair[1])


def by_best_sentence(
    chunks: Sequence[Chunk], query_vector: Any, sentences: Embedder
) -> list[tuple[Chunk, float]]:
    """``chunks`` ranked by the similarity of their best quotable sentence to the question.
    A whole chunk's vector blurs a sentence that answers among others that do not; a sentence's
    alone misses what its neighbours say (scored alone, it moved Japanese up and Chinese down by
    as much), so retrieval fuses both. Chunks with no quotable sentence are left out.
    ``by_stored_sentence`` reads the same vectors from the snapshot."""
    texts: list[str] = []
    spans: list[tuple[Chunk, int, int]] = []
    for chunk in chunks:
        found = _quotable(chunk.text)
        if found:
            spans.append((chunk, len(texts), len(texts) + len(found)))
            texts.extend(found)
    if not texts:
        return []
    similarity = sentences.embed(texts, kind="passage") @ np.asarray(query_vector, np.float32)
    best = [(chunk, float(similarity[start:end].max())) for chunk, start, end in spans]
    return sorted(best, key=lambda pair: -pair[1])


def by_stored_sentence(
    chunks: Sequence[Chunk], query_vector: Any, index: SearchIndex
) -> tuple[list[tuple[Chunk, float]], list[Chunk]]:
    """``by_best_sentence`` from the snapshot's sentence matrix (rows read by chunk position:
    nothing split, hashed or looked up), and the chunks the snapshot does not hold (written
    after it was opened)."""
    if index.sentences is None:
        return [], list(chunks)
    positions = index.chunks.positions([chunk.chunk_id for chunk in chunks])
    held = [chunk for chunk in chunks if chunk.chunk_id in positions]
    scores = index.sentences.best([positions[chunk.chunk_id] for chunk in held], query_vector)
    best = [(chunk, score) for chunk, score in zip(held, scores, strict=True) if score is not None]
    others = [chunk for chunk in chunks if chunk.chunk_id not in positions]
    return sorted(best, key=lambda pair: -pair[1]), others


@lru_cache(maxsize=8192)
def _quotable(text: str) -> tuple[str, ...]:
    """A chunk's quotable sentences, split once (splitting was most of the channel's time)."""
    return tuple(sentence for _, sentence in quotable_sentences(text))


def hybrid_search(
    question: str,
    query_vector: Any,
    store: Store,
    index: SearchIndex,
    language: str,
    k: int,
    sentences: Embedder | None = None,
) -> list[Passage]:
    """The ``k`` best passages. The sentence channel reads the vectors of quotable sentences
    from the snapshot's matrix, and from ``sentences`` (the store's, embedded at ingest) for
    chunks the matrix does not hold; with neither it is left out."""
    # Step 1: dense and lexical candidates
    dense = lift_untranslated(_dense(query_vector, store, index), index, language)
    found = index.lexical.top(question, CANDIDATES)
    chunks = index.chunks.at([i for i, _ in found])
    lexical = [(chunk, score) for chunk, (_, score) in zip(chunks, found, strict=True)]
    # Step 2: the same candidates by their best sentence
    best_sentence: list[tuple[Chunk, float]] = []
    pool = list({chunk.chunk_id: chunk for chunk, _ in [*dense, *lexical]}.values())
    ranked, others = by_stored_sentence(pool, query_vector, index)
    if others and sentences is not None:
        ranked = [*ranked, *by_best_sentence(others, query_vector, sentences)]
    if ranked:
        ranked.sort(key=lambda pair: -pair[1])
        best_sentence = lift_untranslated(ranked, index, language)
    # Step 3: fusion
    candidates = fuse(dense, lexical, lexical_weight=LEXICAL_WEIGHT, sentences=best_sentence)
    # Step 4: one passage per aligned paragraph, in the question's language
    return to_passages(candidates, index, language, k)


def _dense(query_vector: Any, store: Store, index: SearchIndex) -> list[tuple[Chunk, float]]:
    """The store's nearest chunks, read from the snapshot (Chroma returns ids and distances
    faster than documents and metadata: 2.5 ms against 5.7 ms for 40 at 100k chunks); from the
    store itself if it holds chunks the snapshot does not (written after it was opened)."""
    nearest = store.nearest(query_vector, CANDIDATES)
    held = index.chunks.with_ids([chunk_id for chunk_id, _ in nearest])
    if len(held) == len({chunk_id for chunk_id, _ in nearest}):
        return [(held[chunk_id], score) for chunk_id, score in nearest]
    return [(hit.chunk, hit.score) for hit in store.search(query_vector, CANDIDATES)]


def __getattr__(name: str) -> Any:
    # LangChain is imported only by those who use the retriever class: the default ask path
    # does not need it (benchmarks: ~0.3 s of CPU at every cold start).
    if name == "KakehashiRetriever":
        from assistant.langchain_retriever import KakehashiRetriever

        return KakehashiRetriever
    raise AttributeError(name)
