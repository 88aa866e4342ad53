"""Services that fail (issue 8): a Chroma server that is down, restarted during use, dies in the
middle of an ingest or hangs; a language model endpoint that is down or silent. Each is a clear
error or a bounded fallback, nothing is lost, and the assistant works again once it is back.

(test_faults.py covers SIGKILL mid-ingest, the flush threshold and a corrupted store;
tests/unit/test_generate.py covers the generator against bad endpoints.)"""

from __future__ import annotations

import http.server
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import FIXTURE_CORPUS, free_port, subprocess_env
from fakes import FakeEmbedder

from assistant.api import Assistant
from assistant.errors import StoreUnavailable
from assistant.settings import Settings
from assistant.types import Answer
from ingest import store as store_module
from ingest.chunk import Chunk
from ingest.embed import Kind, Vectors
from ingest.index import prepare
from ingest.store import ChromaStore
from ingest.tokens import count_tokens
from ui import cli

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(300),
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]

QUESTIONS = ["What is ringi?", "台灣與日本的深科技合作", "出島とは何ですか?"]
HUNG_SECONDS = 2.0  # the store's reply deadline while a test holds the server stopped


class ChromaServer:
    """``chroma run`` on one port and one data folder that a test can stop, restart and pause."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.path = root / "data"
        self.log = root / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        assert self.process is None
        command = [str(Path(sys.executable).parent / "chroma"), "run", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--path", str(self.path)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=subprocess_env()
            )
        self.starts += 1
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited:\n{self.log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"no heartbeat from {self.url}:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        process.send_signal(signal.SIGCONT)  # in case it was paused
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    running = ChromaServer(tmp_path_factory.mktemp("chroma-restartable"))
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def up(server: ChromaServer) -> ChromaServer:
    """The server, running (a test before may have left it stopped)."""
    if server.process is None:
        server.start()
    return server


def settings_for(server: ChromaServer, corpus: Path, tmp_path: Path, collection: str) -> Settings:
    return Settings(
        corpus_dir=corpus, data_dir=tmp_path / "data", chroma_url=server.url, collection=collection
    )


def answers(bot: Assistant) -> list[dict[str, Any]]:
    """What the assistant answers to QUESTIONS, without the timings."""
    found = []
    for question in QUESTIONS:
        data = bot.ask(question).to_dict()
        data.pop("timings_ms")
        found.append(data)
    return found


def unavailable(call: Callable[[], Any], url: str) -> StoreUnavailable:
    with pytest.raises(StoreUnavailable) as caught:
        call()
    message = str(caught.value)
    assert url in message and ("unavailable" in message or "cannot open" in message), message
    return caught.value


# -- a server that is down --------------------------------------------------------------------
def test_a_server_that_is_down_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = Settings(corpus_dir=FIXTURE_CORPUS, data_dir=tmp_path / "data", chroma_url=url)
    unavailable(lambda: Assistant(settings, embedder=FakeEmbedder()), url)
    # the CLI: exit 3 and one line that names the server, for every command that needs it
    monkeypatch.setenv("KAKEHASHI_CHROMA_URL", url)
    monkeypatch.setenv("KAKEHASHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("assistant.api.make_embedder", lambda name: FakeEmbedder())
    for command in (
        ["ask", "What is ringi?"],
        ["ask", "--json", "What is ringi?"],
        ["retrieve", "ringi"],
        ["ingest", str(FIXTURE_CORPUS)],
        ["ingest", "--rebuild", str(FIXTURE_CORPUS)],
    ):
        result = CliRunner().invoke(cli.main, command)
        assert result.exit_code == 3, (command, result.output)
        assert result.stderr.startswith("kakehashi: cannot open the Chroma server at " + url)
        assert "Traceback" not in result.stderr and result.stdout == ""


# -- a server restarted while the assistant is in use -----------------------------------------
def test_a_restarted_server_is_a_clear_error_then_works_again(
    up: ChromaServer, corpus_copy: Path, tmp_path: Path
) -> None:
    settings = settings_for(up, corpus_copy, tmp_path, "restart")
    bot = Assistant(settings, embedder=FakeEmbedder())
    report = bot.ingest()
    assert report.added > 0 and report.failures == ()
    before_records = bot.store.records()
    before = answers(bot)

    # Step 1: the server goes away: every question is a clear StoreUnavailable, not a hang
    up.stop()
    for question in QUESTIONS:
        unavailable(lambda q=question: bot.ask(q), up.url)
        unavailable(lambda q=question: list(bot.stream(q)), up.url)
        unavailable(lambda q=question: bot.retrieve(q), up.url)
    unavailable(bot.ingest, up.url)
    unavailable(lambda: Assistant(settings, embedder=FakeEmbedder()), up.url)

    # Step 2: a new server on the same port and folder: the same assistant answers again,
    # exactly as before, from a store that lost nothing
    up.start()
    assert answers(bot) == before
    assert bot.store.records() == before_records
    again = Assistant(settings, embedder=FakeEmbedder())
    assert answers(again) == before
    converged = again.ingest()
    assert (converged.added, converged.updated, converged.deleted) == (0, 0, 0)


# -- a server that dies in the middle of an ingest ---------------------------------------------
class StoppingEmbedder(FakeEmbedder):
    """FakeEmbedder (same identity) that stops the server once it is asked for passages: the
    ingest has read the store and planned, and is about to write."""

    def __init__(self, server: ChromaServer) -> None:
        super().__init__()
        self.server = server

    def embed(self, texts: Sequence[str], *, kind: Kind) -> Vectors:
        if kind == "passage" and self.server.process is not None:
            self.server.stop()
        return super().embed(texts, kind=kind)


class StoppingStore(ChromaStore):
    """A store whose server dies right after its first successful write (adds done, the
    deletes and the rollback still to come)."""

    server: ChromaServer

    def add(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        super().add(chunks, vectors)
        self.server.stop()


@pytest.mark.parametrize("when", ["before the first write", "after the adds"])
def test_a_server_that_dies_mid_ingest_loses_nothing(
    up: ChromaServer, corpus_copy: Path, tmp_path: Path, when: str
) -> None:
    collection = "mid-ingest-" + when.split()[0]
    settings = settings_for(up, corpus_copy, tmp_path, collection)
    bot = Assistant(settings, embedder=FakeEmbedder())
    bot.ingest()
    old = bot.store.records()
    # the next run has chunks to add (a new document) and to delete (a removed edition)
    (corpus_copy / "observations.txt").write_text(
        "\n".join(f"第 {i} 段:台日合作的第 {i} 個觀察。" for i in range(30)) + "\n",
        encoding="utf-8",
    )
    (corpus_copy / "taiwan-japan-deep-tech-2025.ja.txt").unlink()
    new = {chunk.chunk_id: chunk.to_metadata() for chunk in prepare(corpus_copy, count_tokens)[1]}
    assert set(new) - set(old) and set(old) - set(new)

    # Step 1: the server dies: a clear StoreUnavailable
    if when == "before the first write":
        dying = Assistant(settings, embedder=StoppingEmbedder(up))
    else:
        store = StoppingStore.open(FakeEmbedder(), collection, None, up.url)
        store.server = up
        dying = Assistant(settings, embedder=FakeEmbedder(), store=store)
    unavailable(dying.ingest, up.url)
    assert up.process is None

    # Step 2: back up, nothing is lost: every old chunk is there, every record is a whole chunk
    # of the old or the new corpus (content-hash ids: nothing torn, nothing twice)
    up.start()
    reopened = ChromaStore.open(FakeEmbedder(), collection, None, up.url)
    records = reopened.records()
    assert old.items() <= records.items()
    assert all(records[i] in (old.get(i), new.get(i)) for i in records)
    if when == "before the first write":
        assert records == old  # exactly as it was

    # Step 3: the next run converges on the corpus
    report = Assistant(settings, embedder=FakeEmbedder()).ingest()
    assert report.deleted == len(set(old) - set(new))
    assert reopened.records() == new
    assert reopened.count() == len(new)


# -- a server that hangs ------------------------------------------------------------------------
def in_thread(call: Callable[[], Any], seconds: float) -> Any:
    """``call()`` in a thread: its result or exception, or AssertionError if it hangs."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = call()
        except BaseException as error:
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still waiting after {seconds} s: the call hangs"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def test_a_hung_server_is_a_timeout_not_a_hang(
    up: ChromaServer, corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGSTOP: the server accepts connections and never replies. chromadb's client would wait
    forever; ingest/store.py bounds every request."""
    monkeypatch.setattr(store_module, "HTTP_TIMEOUT_SECONDS", HUNG_SECONDS)
    monkeypatch.setattr(store_module, "HTTP_CONNECT_SECONDS", HUNG_SECONDS)
    settings = settings_for(up, corpus_copy, tmp_path, "hung")
    bot = Assistant(settings, embedder=FakeEmbedder())
    bot.ingest()
    before = answers(bot)
    up.pause()
    try:
        for call in (
            lambda: bot.ask(QUESTIONS[0]),
            lambda: Assistant(settings, embedder=FakeEmbedder()),
        ):
            with pytest.raises(StoreUnavailable, match="timed out"):
                in_thread(call, 10 * HUNG_SECONDS)
    finally:
        up.resume()
    assert answers(bot) == before


# -- a language model endpoint that is down or silent -------------------------------------------
class _Silent(http.server.BaseHTTPRequestHandler):
    """Reads the request and says nothing for longer than any timeout here."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(8)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def model_assistants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Assistant]]:
    """Assistants built from settings whose model endpoint is down, or silent."""
    silent = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Silent)
    silent.daemon_threads = True
    threading.Thread(target=silent.serve_forever, daemon=True).start()
    root = tmp_path_factory.mktemp("llm-faults")
    corpus = root / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    embedder = FakeEmbedder()
    data = root / "data"
    Assistant(Settings(corpus_dir=corpus, data_dir=data), embedder=embedder).ingest()
    endpoints = {
        "down": f"http://127.0.0.1:{free_port()}/v1",
        "silent": f"http://127.0.0.1:{silent.server_address[1]}/v1",
    }
    try:
        yield {
            name: Assistant(
                Settings(
                    corpus_dir=corpus,
                    data_dir=data,
                    llm_base_url=url,
                    llm_model="any",
                    llm_timeout=1.0,
                    # the fake embedder's scores are not calibrated: answer, so the model is asked
                    min_evidence=-5.0,
                ),
                embedder=embedder,
            )
            for name, url in endpoints.items()
        }
    finally:
        silent.shutdown()
        silent.server_close()


@pytest.mark.parametrize(("endpoint", "reason"), [("down", "unreachable"), ("silent", "timed out")])
def test_a_model_that_is_down_or_silent_falls_back_to_quoting(
    model_assistants: dict[str, Assistant], endpoint: str, reason: str
) -> None:
    """Through ``Assistant`` as the settings build it (generator and follow-up rewriter both on
    the endpoint): the extractive answer with a notice, in bounded time."""
    bot = model_assistants[endpoint]
    assert bot.generator is not None
    history = [("What is ringi?", "Ringi is a bottom-up decision process.")]
    for question, turns in (("What is ringi?", None), ("and how long does it take?", history)):
        final = in_thread(lambda q=question, h=turns: bot.ask(q, history=h), 30)
        assert isinstance(final, Answer) and final.mode == "extractive"
        assert final.notice is not None and reason in final.notice
        assert final.question == question
