"""Deterministic fakes that satisfy ``ingest.embed.Embedder``.

``FakeEmbedder`` embeds hashed character n-grams (blake2b, never Python's salted ``hash``) into a
fixed number of buckets and L2-normalises the result: texts that share characters are close, the
same text always gets the same vector, in every process. It records every call so a test can
assert what was (or was not) embedded. ``FailingEmbedder`` is the same model that raises once it
has been asked for more than ``fail_after`` texts: an embedder that dies halfway through a run.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.embed import Kind, Vectors

FAKE_DIMENSION = 64


@dataclass(frozen=True)
class EmbedCall:
    kind: Kind
    texts: tuple[str, ...]


class EmbedderFailure(RuntimeError):
    """What ``FailingEmbedder`` raises: stands in for a crashed model or a dead endpoint."""


def _bucket(gram: str, dimension: int) -> tuple[int, float]:
    digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimension, (1.0 if (value >> 32) & 1 else -1.0)


class FakeEmbedder:
    """Character 1- to 3-grams hashed into ``dimension`` signed buckets, L2-normalised."""

    def __init__(self, dimension: int = FAKE_DIMENSION, name: str = "char-ngrams") -> None:
        self.dimension = dimension
        self.identity = f"fake/{name}-{dimension}"
        self.calls: list[EmbedCall] = []
        self._lock = threading.Lock()

    @property
    def texts_embedded(self) -> list[str]:
        """Every text embedded so far, in order, both kinds."""
        return [text for call in self.calls for text in call.texts]

    def vector(self, text: str) -> np.ndarray:
        row = np.zeros(self.dimension, dtype=np.float32)
        padded = f"\x02{text.casefold()}\x03"
        for n in (1, 2, 3):
            for i in range(len(padded) - n + 1):
                index, sign = _bucket(padded[i : i + n], self.dimension)
                row[index] += sign
        norm = float(np.linalg.norm(row))
        if norm == 0.0:
            row[0] = 1.0
            return row
        return row / norm

    def embed(self, texts: Sequence[str], *, kind: Kind) -> Vectors:
        texts = list(texts)
        with self._lock:
            self.calls.append(EmbedCall(kind, tuple(texts)))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([self.vector(text) for text in texts]).astype(np.float32)


class FailingEmbedder(FakeEmbedder):
    """The same model as ``FakeEmbedder`` (same identity), raising after ``fail_after`` texts."""

    def __init__(self, fail_after: int, dimension: int = FAKE_DIMENSION) -> None:
        super().__init__(dimension)
        self.fail_after = fail_after
        self.embedded = 0

    def embed(self, texts: Sequence[str], *, kind: Kind) -> Vectors:
        if self.embedded + len(texts) > self.fail_after:
            raise EmbedderFailure(
                f"fake embedder failed after {self.embedded} of at most {self.fail_after} texts"
            )
        self.embedded += len(texts)
        return super().embed(texts, kind=kind)


class GatedEmbedder(FakeEmbedder):
    """The same model as ``FakeEmbedder`` that signals ``entered`` and then waits for ``release``
    before embedding: lets a test hold an ingest open at a known point, without sleeping."""

    def __init__(self, dimension: int = FAKE_DIMENSION) -> None:
        super().__init__(dimension)
        self.entered = threading.Event()
        self.release = threading.Event()

    def embed(self, texts: Sequence[str], *, kind: Kind) -> Vectors:
        self.entered.set()
        if not self.release.wait(timeout=60):
            raise EmbedderFailure("GatedEmbedder was never released")
        return super().embed(texts, kind=kind)
