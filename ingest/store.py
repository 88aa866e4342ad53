"""The vector store: a ``Store`` protocol and its Chroma implementation.

Embedded Chroma (``PersistentClient``) by default; a Chroma server through ``HttpClient`` when a
URL is configured. The collection records which embedder wrote it; opening it with another
embedder raises ``EmbedderMismatch`` instead of returning garbage neighbours.

The store serves both retrieval channels: dense search (``search``) from Chroma, and the lexical
channel with the chunk table (``snapshot``) from a snapshot kept beside it for its content
version (``ingest.snapshot``), with the vectors of passage sentences (``sentence_vectors``).
Local Chroma 1.5.9 refuses sparse-vector indexes; a deployment that has them could answer the
lexical channel from the collection itself behind the same ``snapshot()`` (see the README).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import numpy as np

from assistant.errors import EmbedderMismatch, StoreError, StoreUnavailable
from ingest.chunk import Chunk
from ingest.embed import Embedder, Vectors
from ingest.sentence_matrix import SentenceSource
from ingest.sentences import SentenceVectors
from ingest.snapshot import Shelf, Snapshot

log = logging.getLogger(__name__)

_PAGE = 5000
# The collection's metadata key for its content version (``Store.version()``)
VERSION_KEY = "content_version"
# chromadb's HttpClient waits for a reply forever (httpx timeout=None): a stopped or overloaded
# server would hang every question. Each request to a server gets these bounds instead.
HTTP_TIMEOUT_SECONDS = 60.0
HTTP_CONNECT_SECONDS = 5.0


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # cosine similarity


class Store(Protocol):
    def records(self) -> dict[str, dict[str, Any]]:
        """Every chunk id with its metadata."""
        ...

    def add(self, chunks: Sequence[Chunk], vectors: Vectors) -> None: ...

    def update_metadata(self, chunks: Sequence[Chunk]) -> None: ...

    def delete(self, ids: Sequence[str]) -> None: ...

    def search(self, vector: Vectors, k: int) -> list[Hit]: ...

    def nearest(self, vector: Vectors, k: int) -> list[tuple[str, float]]:
        """The ids of the ``k`` nearest chunks and their cosine similarity, nearest first:
        ``search`` without reading the chunks (retrieval reads them from the snapshot)."""
        ...

    def chunks(self) -> list[Chunk]: ...

    def count(self) -> int: ...

    def info(self) -> dict[str, Any]: ...

    def set_info(self, **values: str | int) -> None: ...

    def version(self) -> str:
        """The content version: ingest sets it from what the store holds (the same content,
        the same version); any other write through this interface replaces it with one that
        matches nothing. Empty for a store written before versions existed."""
        ...

    def snapshot(self, chunks: Sequence[Chunk] | None = None) -> Snapshot:
        """Every chunk and the lexical index, for the current version: a persisted snapshot of
        that version, else one rebuilt from ``chunks`` (the caller knows they are what the
        store holds) or from the store, and persisted."""
        ...

    def sentence_vectors(self) -> SentenceVectors | None:
        """The vectors of passage sentences embedded at ingest, where the store keeps them."""
        ...


class _ChromaEmbeddingFunction:
    """Our embedder in Chroma's shape, so Chroma never falls back to its downloaded default."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Sequence[str]) -> list[Any]:
        return list(self._embedder.embed(list(input), kind="passage"))

    def embed_query(self, input: Sequence[str]) -> list[Any]:
        return list(self._embedder.embed(list(input), kind="query"))

    @staticmethod
    def name() -> str:
        return "kakehashi"

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine"]

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self._embedder.identity}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> Any:
        raise StoreError("open this collection through Kakehashi, which supplies its embedder")

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        return None

    def validate_config_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        return None


def chroma_client(data_dir: Path | None, url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if url:
            import httpx

            parsed = urlparse(url if "://" in url else f"http://{url}")
            host = parsed.hostname or "127.0.0.1"
            port = parsed.port or (443 if parsed.scheme == "https" else 8000)
            timeout = httpx.Timeout(HTTP_TIMEOUT_SECONDS, connect=HTTP_CONNECT_SECONDS)
            # Step 1: a heartbeat under the deadline (the client's first requests have none)
            base = f"{parsed.scheme}://{host}:{port}"
            httpx.get(f"{base}/api/v2/heartbeat", timeout=timeout).raise_for_status()
            # Step 2: the client, its session bounded by the same deadline
            client = chromadb.HttpClient(
                host=host, port=port, ssl=parsed.scheme == "https", settings=settings
            )
            session = getattr(getattr(client, "_server", None), "_session", None)
            if isinstance(session, httpx.Client):
                session.timeout = timeout
            client.heartbeat()
            return client
        assert data_dir is not None
        data_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings)
    except StoreError:
        raise
    except Exception as error:  # chromadb raises bare Exception/ValueError/httpx errors
        if not url:
            # Chroma caches one system per path; a failed open must not poison the next one
            # (after 'kakehashi ingest --rebuild' in the same process).
            chromadb.api.client.SharedSystemClient.clear_system_cache()
        where = f"the Chroma server at {url}" if url else f"the Chroma store in {data_dir}"
        hint = "" if url else " (corpus/ is the source of truth: 'kakehashi ingest --rebuild')"
        raise StoreUnavailable(f"cannot open {where}: {error}{hint}") from error


class ChromaStore:
    def __init__(
        self,
        client: Any,
        collection: str,
        embedder: Embedder,
        where: str,
        local: Path | None = None,
    ) -> None:
        """``local``: the folder for the snapshots and sentence vectors of this collection
        (none: snapshots are built in memory at every open, sentences embedded per question)."""
        self.where = where
        self.embedder = embedder
        self.local = local
        self._shelf = Shelf(local / "snapshots") if local else None
        self._sentences: SentenceVectors | None = None
        self._settled = True  # no write through this object since the version was set
        try:
            self._collection = client.get_or_create_collection(
                collection,
                metadata={"embedder": embedder.identity, "dimension": embedder.dimension},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=_ChromaEmbeddingFunction(embedder),
            )
        except Exception as error:
            raise _wrap(error, where) from error
        stored = (self._collection.metadata or {}).get("embedder")
        if stored != embedder.identity:
            raise EmbedderMismatch(
                f"collection {collection!r} in {where} was built with embedder {stored!r}, "
                f"but the configured embedder is {embedder.identity!r}: set KAKEHASHI_EMBEDDER "
                f"back, or rebuild with 'kakehashi ingest --rebuild'"
            )

    @classmethod
    def open(
        cls, embedder: Embedder, collection: str, data_dir: Path | None, url: str | None
    ) -> ChromaStore:
        where = f"Chroma server {url}" if url else f"{data_dir}"
        local = None
        if data_dir is not None:
            # a server's collections are told apart by the server's address
            prefix = f"{hashlib.sha256(url.encode()).hexdigest()[:12]}-" if url else ""
            local = data_dir / "index" / f"{prefix}{collection}"
        return cls(chroma_client(data_dir, url), collection, embedder, where, local)

    @classmethod
    def reset(cls, collection: str, data_dir: Path | None, url: str | None) -> Path | None:
        """Throw the store away before a rebuild. An embedded store is moved aside (not
        deleted) and its new location returned; on a server the collection is dropped."""
        if url:
            client = chroma_client(None, url)
            try:
                client.delete_collection(collection)
            except Exception as error:  # absent collection: nothing to drop
                if "does not exist" not in str(error).lower():
                    raise _wrap(error, f"Chroma server {url}") from error
            return None
        assert data_dir is not None
        folder = data_dir / "chroma"
        if not folder.exists():
            return None
        aside = data_dir / f"chroma.broken-{int(time.time())}"
        folder.rename(aside)
        return aside

    def records(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for ids, metadatas, _ in self._pages(include=["metadatas"]):
            result.update(zip(ids, metadatas, strict=True))
        return result

    def chunks(self) -> list[Chunk]:
        found: list[Chunk] = []
        for ids, metadatas, documents in self._pages(include=["metadatas", "documents"]):
            found.extend(
                Chunk.from_record(i, d or "", m)
                for i, m, d in zip(ids, metadatas, documents, strict=True)
            )
        found.sort(key=lambda chunk: (chunk.doc_id, chunk.ordinal))
        return found

    def _pages(self, include: list[str]) -> Any:
        offset = 0
        while True:
            try:
                page = self._collection.get(include=include, limit=_PAGE, offset=offset)
            except Exception as error:
                raise _wrap(error, self.where) from error
            ids = page["ids"]
            if not ids:
                return
            documents = page.get("documents") or [None] * len(ids)
            yield ids, page["metadatas"], documents
            offset += len(ids)

    def add(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        if not chunks:
            return
        self._unsettle()
        try:
            self._collection.add(
                ids=[chunk.chunk_id for chunk in chunks],
                embeddings=np.asarray(vectors, dtype=np.float32),
                documents=[chunk.text for chunk in chunks],
                metadatas=[chunk.to_metadata() for chunk in chunks],
            )
        except Exception as error:
            raise _wrap(error, self.where) from error

    def update_metadata(self, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            return
        self._unsettle()
        try:
            self._collection.update(
                ids=[chunk.chunk_id for chunk in chunks],
                metadatas=[chunk.to_metadata() for chunk in chunks],
            )
        except Exception as error:
            raise _wrap(error, self.where) from error

    def delete(self, ids: Sequence[str]) -> None:
        if not ids:
            return
        self._unsettle()
        try:
            self._collection.delete(ids=list(ids))
        except Exception as error:
            raise _wrap(error, self.where) from error

    def search(self, vector: Vectors, k: int) -> list[Hit]:
        try:
            # no count() first: it grows with the collection, and Chroma returns what it has
            result = self._collection.query(
                query_embeddings=np.atleast_2d(np.asarray(vector, dtype=np.float32)),
                n_results=k,
                include=["documents", "metadatas", "distances"],
            )
        except Exception as error:
            raise _wrap(error, self.where) from error
        return [
            Hit(Chunk.from_record(i, d or "", m), 1.0 - float(distance))
            for i, d, m, distance in zip(
                result["ids"][0],
                result["documents"][0],
                result["metadatas"][0],
                result["distances"][0],
                strict=True,
            )
        ]

    def nearest(self, vector: Vectors, k: int) -> list[tuple[str, float]]:
        try:
            result = self._collection.query(
                query_embeddings=np.atleast_2d(np.asarray(vector, dtype=np.float32)),
                n_results=k,
                include=["distances"],
            )
        except Exception as error:
            raise _wrap(error, self.where) from error
        return [
            (str(chunk_id), 1.0 - float(distance))
            for chunk_id, distance in zip(result["ids"][0], result["distances"][0], strict=True)
        ]

    def count(self) -> int:
        try:
            return int(self._collection.count())
        except Exception as error:
            raise _wrap(error, self.where) from error

    def info(self) -> dict[str, Any]:
        return dict(self._collection.metadata or {})

    def set_info(self, **values: str | int) -> None:
        merged = {**self.info(), **values}
        try:
            self._collection.modify(metadata=merged)
        except Exception as error:
            raise _wrap(error, self.where) from error
        if VERSION_KEY in values:
            self._settled = True

    # -- content version, snapshot, sentence vectors -----------------------------------------
    def version(self) -> str:
        return str(self.info().get(VERSION_KEY, ""))

    def _unsettle(self) -> None:
        """Before the first write since the version was set: a version no snapshot has."""
        if self._settled:
            self.set_info(**{VERSION_KEY: f"unsettled-{uuid.uuid4().hex}"})
            self._settled = False

    def snapshot(self, chunks: Sequence[Chunk] | None = None) -> Snapshot:
        version, count = self.version(), self.count()
        if self._shelf is not None:
            found = self._shelf.find(version, count, self.embedder.identity)
            if found is not None:
                return found
        held = list(chunks) if chunks is not None and len(chunks) == count else self.chunks()
        stored = self.sentence_vectors()
        sentences = (
            SentenceSource(stored.get, self.embedder.identity, self.embedder.dimension)
            if stored is not None
            else None
        )
        if self._shelf is None or not version:
            return Snapshot.build(held, version, sentences=sentences)
        return self._shelf.save(version, held, sentences)

    def sentence_vectors(self) -> SentenceVectors | None:
        if self.local is None:
            return None
        if self._sentences is None:
            try:
                self._sentences = SentenceVectors(
                    self.local / "sentences.sqlite", self.embedder.identity, self.embedder.dimension
                )
            except (OSError, sqlite3.Error) as error:
                # a cache: without it, sentences are embedded per question, as before
                log.warning("sentence vectors unavailable in %s: %s", self.local, error)
                return None
        return self._sentences


def _wrap(error: Exception, where: str) -> StoreError:
    if isinstance(error, StoreError):
        return error
    text = str(error) or type(error).__name__
    lowered = text.lower()
    if any(word in lowered for word in ("connect", "timed out", "timeout", "refused", "unreach")):
        return StoreUnavailable(f"{where} is unavailable: {text}")
    return StoreError(f"{where}: {text}")
