"""Sentence vectors, embedded at ingest and kept beside the store.

An extractive answer scores every quotable sentence of the retrieved passages against the
question (``assistant.answer``). Those sentences are known at ingest (``quotable_sentences`` of
each chunk), so ingest embeds them once and keeps the vectors here; a question looks them up
instead of embedding them again (a cold ask spent 0.28 s on it).

One SQLite file per store, keyed by a hash of the sentence: the same text always has the same
vector under one embedder, so an entry is never stale, only unused. The file records which
embedder wrote it; opened with another, it starts empty. It also records the store version
whose sentences are all present, so that re-ingesting an unchanged corpus reads nothing more.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ingest.embed import Vectors

_BATCH = 500  # keys per SELECT (SQLite's default limit on host parameters is 999 or more)


def sentence_key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class SentenceVectors:
    """Vectors of passage sentences under one embedder (thread-safe)."""

    def __init__(self, path: Path, identity: str, dimension: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.dimension = dimension
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        with self._lock, self._db:
            # WAL: an ingest can write while a chat process reads
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
                " WITHOUT ROWID"
            )
            written_by = self._meta("identity")
            if written_by != f"{identity}/{dimension}":
                self._db.execute("DELETE FROM vectors")
                self._db.execute("DELETE FROM meta")
                self._set_meta("identity", f"{identity}/{dimension}")

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def get(self, texts: Iterable[str]) -> dict[str, Vectors]:
        """The stored vectors of those ``texts`` that have one."""
        by_key = {sentence_key(text): text for text in texts}
        keys = list(by_key)
        found: dict[str, Vectors] = {}
        with self._lock:
            for start in range(0, len(keys), _BATCH):
                batch = keys[start : start + _BATCH]
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(batch))})",
                    batch,
                ).fetchall()
                for key, blob in rows:
                    found[by_key[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def missing(self, texts: Iterable[str]) -> list[str]:
        """Those of ``texts`` without a stored vector, each once, in order."""
        wanted = list(dict.fromkeys(texts))
        held = self.get(wanted)
        return [text for text in wanted if text not in held]

    def add(self, texts: Sequence[str], vectors: Vectors) -> None:
        rows = [
            (sentence_key(text), np.asarray(vector, dtype=np.float32).tobytes())
            for text, vector in zip(texts, vectors, strict=True)
        ]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def keep_only(self, texts: Iterable[str], complete_for: str) -> None:
        """Drop the vectors of sentences no longer in the corpus, and record that every
        sentence of store version ``complete_for`` has its vector."""
        keys = [(key,) for key in {sentence_key(text) for text in texts}]
        with self._lock, self._db:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (key BLOB PRIMARY KEY)")
            self._db.execute("DELETE FROM wanted")
            self._db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", keys)
            self._db.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM wanted)")
            self._db.execute("DELETE FROM wanted")
            self._set_meta("complete_for", complete_for)

    def complete_for(self) -> str | None:
        """The store version whose sentences all have their vector here, if any."""
        with self._lock:
            return self._meta("complete_for")

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
