"""The vectors of every chunk's quotable sentences, in snapshot order, mapped from disk.

Retrieval ranks each candidate chunk by its best sentence (``assistant.retrieve``). Reading
those sentences' vectors one by one (split each chunk, hash each sentence, look it up in
``ingest.sentences``) cost 10–20 ms a question at 100k chunks, more than the rest of hybrid
retrieval together. Here they are one float32 matrix, a row per sentence, with the offsets of
each chunk's rows: a question reads the rows of its 120 candidates and multiplies.

Written into the snapshot folder of one content version (``ingest.snapshot``) from the vectors
ingest stored; only when every sentence has one, so that a snapshot never ranks a chunk by part
of its sentences. The embedder that made the vectors is recorded; a reader with another one
ignores the matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest.chunk import Chunk, quotable_sentences
from ingest.embed import Vectors

VECTORS = "sentences.npy"
OFFSETS = "sentence_offsets.npy"


@dataclass(frozen=True)
class SentenceSource:
    """Where a snapshot reads sentence vectors from: ``lookup`` gives the stored vectors of
    those texts that have one (``SentenceVectors.get``), all made by ``embedder``."""

    lookup: Callable[[Sequence[str]], Mapping[str, Vectors]]
    embedder: str
    dimension: int


class SentenceMatrix:
    """Rows ``offsets[p]:offsets[p + 1]`` of ``vectors`` are the quotable sentences of the chunk
    at snapshot position ``p``, in reading order."""

    def __init__(self, vectors: np.ndarray, offsets: np.ndarray, embedder: str) -> None:
        self.vectors = vectors
        self.offsets = offsets
        self.embedder = embedder

    @classmethod
    def build(cls, chunks: Sequence[Chunk], source: SentenceSource) -> SentenceMatrix | None:
        """The matrix of ``chunks`` (in snapshot order), or None if a sentence has no vector."""
        texts: list[str] = []
        offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
        for position, chunk in enumerate(chunks):
            texts.extend(sentence for _, sentence in quotable_sentences(chunk.text))
            offsets[position + 1] = len(texts)
        found = source.lookup(list(dict.fromkeys(texts)))
        if any(text not in found for text in texts):
            return None
        vectors = np.zeros((len(texts), source.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            vectors[row] = found[text]
        return cls(vectors, offsets, source.embedder)

    def save(self, folder: Path) -> None:
        np.save(folder / VECTORS, self.vectors)
        np.save(folder / OFFSETS, self.offsets)

    @classmethod
    def load(cls, folder: Path, embedder: str, chunks: int) -> SentenceMatrix:
        vectors = np.load(folder / VECTORS, mmap_mode="r")
        offsets = np.load(folder / OFFSETS)
        if offsets.shape != (chunks + 1,) or int(offsets[-1]) != vectors.shape[0]:
            raise ValueError(f"sentence matrix in {folder} does not match {chunks} chunks")
        return cls(vectors, offsets, embedder)

    def best(self, positions: Sequence[int], query: Vectors) -> list[float | None]:
        """For each chunk position, the similarity of its best sentence to ``query`` (None for
        a chunk with no quotable sentence)."""
        starts = self.offsets[np.asarray(positions, dtype=np.int64)]
        ends = self.offsets[np.asarray(positions, dtype=np.int64) + 1]
        counts = ends - starts
        if not counts.sum():
            return [None] * len(positions)
        rows = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)])
        similarity = np.asarray(self.vectors[rows]) @ np.asarray(query, dtype=np.float32)
        ends_in_rows = np.cumsum(counts)
        out: list[float | None] = []
        for count, end in zip(counts.tolist(), ends_in_rows.tolist(), strict=True):
            out.append(float(similarity[end - count : end].max()) if count else None)
        return out
