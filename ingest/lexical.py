"""The lexical channel's index: BM25 (``bm25s``) over the tokens of ``assistant.text``.

Chinese and Japanese are indexed as character unigrams and bigrams of Han/kana runs (after
folding Traditional, Simplified and Japanese kanji to one script), Latin text as casefolded
words. ``bm25s`` keeps the scores in sparse matrices: a query costs the postings of its terms,
not a loop over every chunk. It is built at ingest and saved beside the store; loading it maps
the matrices from disk (``mmap``) instead of tokenising every chunk again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.text import lexical_tokens


class LexicalChannel(Protocol):
    """The lexical channel of retrieval over a snapshot's chunks (rows are their positions).
    ``Bm25`` is the one we ship; a store with a sparse-vector index could answer it instead."""

    size: int

    def knows(self, token: str) -> bool:
        """Whether ``token`` occurs anywhere in the chunks."""
        ...

    def top(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        """The ``k`` best positions for ``tokens`` with their scores, best first (ties by
        position), those scoring nothing left out."""
        ...


class Bm25:
    """BM25 over a fixed list of texts; rows are their positions in that list."""

    def __init__(self, model: Any, size: int) -> None:
        self._model = model
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> Bm25:
        import bm25s

        model = bm25s.BM25()
        if texts:
            model.index([lexical_tokens(text) or [""] for text in texts], show_progress=False)
        return cls(model, len(texts))

    @classmethod
    def load(cls, folder: Path, size: int) -> Bm25:
        """The index saved in ``folder``, its matrices mapped from disk, not read."""
        import bm25s

        if not size:
            return cls.build([])
        return cls(bm25s.BM25.load(str(folder), mmap=True, show_progress=False), size)

    def save(self, folder: Path) -> None:
        if self.size:
            self._model.save(str(folder), show_progress=False)

    def knows(self, token: str) -> bool:
        """Whether ``token`` occurs anywhere in the indexed texts."""
        return bool(self.size) and token in self._model.vocab_dict

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every text for ``tokens`` (unknown tokens are ignored)."""
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        known = [token for token in tokens if token in self._model.vocab_dict]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def top(self, tokens: Sequence[str], k: int) -> list[tuple[int, float]]:
        scores = self.scores(tokens)
        if not len(scores):
            return []
        k = min(k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        ranked = sorted(best.tolist(), key=lambda i: (-scores[i], i))
        return [(i, float(scores[i])) for i in ranked if scores[i] > 0]
