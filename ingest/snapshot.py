"""What retrieval reads besides dense search, persisted beside the store for one content version.

A snapshot is every chunk (a SQLite table: a question reads the rows it needs, by position or
by paragraph), the BM25 index of the lexical channel (``ingest.lexical``, matrices mapped
from disk) and, where ingest stored them, the vectors of every chunk's quotable sentences
(``ingest.sentence_matrix``, mapped from disk). Ingest writes it; ``Assistant()`` opens it in
milliseconds instead of reading every chunk back from Chroma and tokenising it again (6.0 s +
5.8 s at 100k chunks).

Snapshots are keyed by the store's content version (``Store.version()``): a folder per version,
written aside and renamed into place whole, so a reader finds a complete snapshot of exactly the
version it asks for, or none. A snapshot of another version is never read; the store's current
one is rebuilt from the store and persisted when missing.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from ingest.chunk import Chunk
from ingest.lexical import Bm25, LexicalChannel
from ingest.sentence_matrix import SentenceMatrix, SentenceSource

FORMAT = 4  # 2: chunk ids indexed (dense hits are read from the table); 3: sentence matrix;
# 4: a Latin word no longer runs on into the Chinese or Japanese after it (lexical tokens)
MANIFEST = "manifest.json"
CHUNKS = "chunks.sqlite"
BM25 = "bm25"
_COLUMNS = [field.name for field in fields(Chunk)]
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,120}$")


def by_position(chunks: Sequence[Chunk]) -> list[Chunk]:
    """The rows of a snapshot: ``chunks`` as ``Store.chunks()`` returns them (each as its
    metadata reads back, in order of document, then ordinal)."""
    stored = [Chunk.from_record(c.chunk_id, c.text, c.to_metadata()) for c in chunks]
    return sorted(stored, key=lambda chunk: (chunk.doc_id, chunk.ordinal))


class ChunkTable(Sequence[Chunk]):
    """Chunks by position, read from SQLite on demand (thread-safe)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._lock = threading.Lock()
        with self._lock:
            self._size = int(db.execute("SELECT count(*) FROM chunks").fetchone()[0])
            documents = db.execute(
                "SELECT doc_id, lang, translation_of FROM documents ORDER BY last"
            ).fetchall()
        self.doc_lang: dict[str, str] = {}
        self.translations: dict[str, dict[str, str]] = {}
        for doc_id, lang, translation_of in documents:
            self.doc_lang[doc_id] = lang
            if translation_of:
                self.translations.setdefault(translation_of, {})[lang] = doc_id

    @classmethod
    def write(cls, chunks: Sequence[Chunk], path: Path | None) -> ChunkTable:
        """A table of ``chunks`` (already in snapshot order) at ``path``, or in memory."""
        ordered = chunks
        db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        with db:
            db.execute(
                "CREATE TABLE chunks (position INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, "
                "doc_id TEXT NOT NULL, title TEXT NOT NULL, lang TEXT NOT NULL, "
                "section TEXT NOT NULL, paragraph INTEGER NOT NULL, start INTEGER NOT NULL, "
                "end INTEGER NOT NULL, text TEXT NOT NULL, ordinal INTEGER NOT NULL, "
                "source TEXT NOT NULL, date TEXT, translation_of TEXT)"
            )
            db.executemany(
                f"INSERT INTO chunks VALUES ({','.join('?' * (len(_COLUMNS) + 1))})",
                (
                    (i, *(getattr(chunk, name) for name in _COLUMNS))
                    for i, chunk in enumerate(ordered)
                ),
            )
            db.execute("CREATE INDEX chunks_paragraph ON chunks (doc_id, paragraph, start)")
            db.execute("CREATE INDEX chunks_id ON chunks (chunk_id)")
            # One row per document, as the last of its chunks describes it
            db.execute(
                "CREATE TABLE documents (doc_id TEXT PRIMARY KEY, lang TEXT NOT NULL, "
                "translation_of TEXT, last INTEGER NOT NULL)"
            )
            last: dict[str, tuple[str, str | None, int]] = {}
            for i, chunk in enumerate(ordered):
                last[chunk.doc_id] = (chunk.lang, chunk.translation_of, i)
            db.executemany(
                "INSERT INTO documents VALUES (?, ?, ?, ?)",
                ((doc_id, *values) for doc_id, values in last.items()),
            )
        if path is None:
            return cls(db)
        db.close()
        return cls.open(path)

    @classmethod
    def open(cls, path: Path) -> ChunkTable:
        # immutable: the file never changes once written, so SQLite takes no locks
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
        return cls(sqlite3.connect(uri, uri=True, check_same_thread=False))

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> Chunk: ...

    @overload
    def __getitem__(self, index: slice) -> list[Chunk]: ...

    def __getitem__(self, index: int | slice) -> Chunk | list[Chunk]:
        if isinstance(index, slice):
            return self.at(range(self._size)[index])
        position = index + self._size if index < 0 else index
        if not 0 <= position < self._size:
            raise IndexError(index)
        return self.at([position])[0]

    def __iter__(self) -> Iterator[Chunk]:
        for start in range(0, self._size, 1000):
            yield from self.at(range(start, min(start + 1000, self._size)))

    def at(self, positions: Sequence[int]) -> list[Chunk]:
        """The chunks at ``positions``, in that order."""
        wanted = list(positions)
        found = {int(row[0]): _chunk(row) for row in self._where_in("position", wanted)}
        return [found[position] for position in wanted]

    def positions(self, chunk_ids: Sequence[str]) -> dict[str, int]:
        """The positions of those ``chunk_ids`` that the table holds."""
        wanted = list(dict.fromkeys(chunk_ids))
        rows = self._where_in("chunk_id", wanted, columns="chunk_id, position")
        return {str(chunk_id): int(position) for chunk_id, position in rows}

    def with_ids(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """The chunks of those ``chunk_ids`` that the table holds, by id."""
        wanted = list(dict.fromkeys(chunk_ids))
        return {str(row[1]): _chunk(row) for row in self._where_in("chunk_id", wanted)}

    def _where_in(
        self, column: str, values: Sequence[Any], columns: str = "*"
    ) -> Iterator[tuple[Any, ...]]:
        """The ``columns`` of the rows whose ``column`` is one of ``values``, 500 parameters to
        a query."""
        for start in range(0, len(values), 500):
            batch = values[start : start + 500]
            marks = ",".join("?" * len(batch))
            sql = f"SELECT {columns} FROM chunks WHERE {column} IN ({marks})"
            yield from self._rows(sql, batch)

    def paragraph(self, doc_id: str, paragraph: int) -> list[Chunk]:
        """The chunks of one paragraph of one document, in reading order."""
        rows = self._rows(
            "SELECT * FROM chunks WHERE doc_id = ? AND paragraph = ? ORDER BY start, position",
            (doc_id, paragraph),
        )
        return [_chunk(row) for row in rows]

    def _rows(self, sql: str, parameters: Sequence[object]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, parameters).fetchall()


def _chunk(row: tuple[Any, ...]) -> Chunk:
    """A ``chunks`` row (its position first) as the ``Chunk`` it was written from."""
    return Chunk(*row[1:])


@dataclass(frozen=True)
class Snapshot:
    """The chunks, the lexical channel and the sentence vectors (when every sentence had one)
    of one content version of a store."""

    version: str
    chunks: ChunkTable
    lexical: LexicalChannel
    sentences: SentenceMatrix | None = None

    @classmethod
    def build(
        cls,
        chunks: Sequence[Chunk],
        version: str = "",
        folder: Path | None = None,
        sentences: SentenceSource | None = None,
    ) -> Snapshot:
        """A snapshot of ``chunks``, written to ``folder`` (which must not exist) or in memory;
        with their sentences' vectors if ``sentences`` holds every one."""
        ordered = by_position(chunks)
        bm25 = Bm25.build([chunk.embed_text for chunk in ordered])
        matrix = SentenceMatrix.build(ordered, sentences) if sentences is not None else None
        if folder is None:
            return cls(version, ChunkTable.write(ordered, None), bm25, matrix)
        folder.mkdir(parents=True)
        table = ChunkTable.write(ordered, folder / CHUNKS)
        bm25.save(folder / BM25)
        if matrix is not None:
            matrix.save(folder)
        manifest = {
            "format": FORMAT,
            "version": version,
            "count": len(ordered),
            "sentences": matrix.embedder if matrix is not None else None,
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        return cls(version, table, bm25, matrix)

    @classmethod
    def load(
        cls, folder: Path, version: str, count: int, embedder: str | None = None
    ) -> Snapshot | None:
        """The snapshot in ``folder`` if it is complete and of ``version`` with ``count``
        chunks; else None. Its sentence vectors only if ``embedder`` made them."""
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            if (manifest.get("format"), manifest.get("version"), manifest.get("count")) != (
                FORMAT,
                version,
                count,
            ):
                return None
            table = ChunkTable.open(folder / CHUNKS)
            if len(table) != count:
                return None
            made_by = manifest.get("sentences")
            matrix = (
                SentenceMatrix.load(folder, made_by, count)
                if made_by is not None and made_by == embedder
                else None
            )
            return cls(version, table, Bm25.load(folder / BM25, count), matrix)
        except (OSError, ValueError, sqlite3.Error):
            return None


class Shelf:
    """The snapshots of one store, a folder per content version under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, version: str, count: int) -> Path:
        name = f"{version}-{count}-f{FORMAT}"
        if not _SAFE.match(name):
            name = hashlib.sha256(name.encode()).hexdigest()
        return self.root / name

    def find(self, version: str, count: int, embedder: str | None = None) -> Snapshot | None:
        if not version:
            return None  # a store written before versions existed: nothing can be trusted
        return Snapshot.load(self.folder(version, count), version, count, embedder)

    def save(
        self, version: str, chunks: Sequence[Chunk], sentences: SentenceSource | None = None
    ) -> Snapshot:
        """Write the snapshot of ``version`` aside, rename it into place whole, and remove the
        snapshots of other versions. If another process got there first, use its snapshot."""
        target = self.folder(version, len(chunks))
        embedder = sentences.embedder if sentences is not None else None
        self.root.mkdir(parents=True, exist_ok=True)
        aside = self.root / f".writing-{uuid.uuid4().hex}"
        try:
            built = Snapshot.build(chunks, version, aside, sentences)
            try:
                aside.rename(target)
            except OSError:
                found = Snapshot.load(target, version, len(chunks), embedder)
                if found is not None:  # another process renamed its own into place first
                    return found
                # what is there cannot be read (a half-deleted or damaged folder): replace it
                shutil.rmtree(target, ignore_errors=True)
                with suppress(OSError):  # unless another process has just put its own there
                    aside.rename(target)
            built = Snapshot.load(target, version, len(chunks), embedder) or built
        finally:
            # gone after a rename; else its open files stay readable once removed (POSIX)
            shutil.rmtree(aside, ignore_errors=True)
        self._prune(keep=target)
        return built

    def _prune(self, keep: Path) -> None:
        # Open files stay readable after their folder is removed (POSIX), so a process still
        # answering from an older snapshot is not disturbed.
        for entry in self.root.iterdir():
            if entry != keep and entry.is_dir() and not entry.name.startswith(".writing-"):
                with suppress(OSError):
                    shutil.rmtree(entry)
