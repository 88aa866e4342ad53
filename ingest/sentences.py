"""Sentence vectors, embedded at ingest and kept beside the store.

An extractive answer scores every quotable sentence of the retrieved passages against the
question (``assistant.answer``). Those sentences are known at ingest (``quotable_sentences`` of
each chunk), so ingest embeds them once and keeps the vectors here; a question looks them up
instead of embedding them again (a cold ask spent 0.28 s on it).

One SQLite file per store, keyed by a hash of the sentence: the same text always has the same
vector under one embedder, so an entry is never stale, only unused. Rows live in a rowid table
keyed by the hash's first 8 bytes (the whole hash is kept and checked): a vector is 1.5 KB, and
in a WITHOUT ROWID table, SQLite's choice for small rows only, each spilled into overflow pages
(twice the file, and 360 random reads at 300k rows took 29 ms against 2.2 ms). A file in that
earlier layout is converted when it is opened. The file records which
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


def row_id(key: bytes) -> int:
    """The rowid a sentence's vector is stored under: the first 8 bytes of its key."""
    return int.from_bytes(key[:8], "little", signed=True)


_TABLE = (
    "CREATE TABLE IF NOT EXISTS vectors"
    " (id INTEGER PRIMARY KEY, key BLOB NOT NULL, vector BLOB NOT NULL)"
)


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
        self._convert_keyed_table()
        with self._lock, self._db:
            self._db.execute(_TABLE)
            written_by = self._meta("identity")
            if written_by != f"{identity}/{dimension}":
                self._db.execute("DELETE FROM vectors")
                self._db.execute("DELETE FROM meta")
                self._set_meta("identity", f"{identity}/{dimension}")

    def _convert_keyed_table(self) -> None:
        """Move the vectors of a file written in the WITHOUT ROWID layout into the rowid one
        (once; a second process that opens it meanwhile waits, then finds it done)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'vectors'"
                ).fetchone()
                if row is not None and "WITHOUT ROWID" in str(row[0]).upper():
                    self._db.create_function("row_id", 1, row_id, deterministic=True)
                    self._db.execute("ALTER TABLE vectors RENAME TO vectors_by_key")
                    self._db.execute(_TABLE)
                    self._db.execute(
                        "INSERT OR REPLACE INTO vectors SELECT row_id(key), key, vector"
                        " FROM vectors_by_key"
                    )
                    self._db.execute("DROP TABLE vectors_by_key")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def get(self, texts: Iterable[str]) -> dict[str, Vectors]:
        """The stored vectors of those ``texts`` that have one."""
        by_key = {sentence_key(text): text for text in texts}
        ids = list({row_id(key) for key in by_key})
        found: dict[str, Vectors] = {}
        with self._lock:
            for start in range(0, len(ids), _BATCH):
                batch = ids[start : start + _BATCH]
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE id IN ({','.join('?' * len(batch))})",
                    batch,
                ).fetchall()
                for key, blob in rows:
                    if key in by_key:  # not another sentence whose key starts the same
                        found[by_key[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def missing(self, texts: Iterable[str]) -> list[str]:
        """Those of ``texts`` without a stored vector, each once, in order."""
        wanted = list(dict.fromkeys(texts))
        held = self.get(wanted)
        return [text for text in wanted if text not in held]

    def add(self, texts: Sequence[str], vectors: Vectors) -> None:
        rows = [
            (row_id(key), key, np.asarray(vector, dtype=np.float32).tobytes())
            for key, vector in zip(map(sentence_key, texts), vectors, strict=True)
        ]
        with self._lock, self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def keep_only(self, texts: Iterable[str], complete_for: str) -> None:
        """Drop the vectors of sentences no longer in the corpus, and record that every
        sentence of store version ``complete_for`` has its vector."""
        keys = [(key,) for key in {sentence_key(text) for text in texts}]
        with self._lock, self._db:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (key BLOB PRIMARY KEY)")
            self._db.execute("DELETE FROM wanted")
            self._db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", keys)
            self._db.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM temp.wanted)")
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
