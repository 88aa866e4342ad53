"""Running the real chat for end-to-end tests: a workspace with the fixture corpus and one
passage full of markup, ``kakehashi serve`` on a free local port, plain HTTP requests."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from conftest import FIXTURE_CORPUS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_SECONDS = 90
ENV_CANARY = "kakehashi-env-canary-7f3a"

# A document whose one paragraph carries markup that must reach the founder as text.
MARKUP_DOC = (
    "Markup safety note\n"
    "The Zephyrine accelerator programme in Kaohsiung publishes its demo-day rules as raw "
    "markup such as <script>window.kkXss = 1</script> so that engineers can test escaping. "
    "The Zephyrine accelerator badge is drawn with <img src=x onerror=alert(1)> in its sample "
    "page, and the programme asks every partner to render it as plain text.\n"
)
MARKUP_META = {
    "title": "Zephyrine <b>markup</b> test",
    "lang": "en",
    "doc_id": "kakehashi-markup-test",
}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    """(status, body) of a GET, errors included, never raising for an HTTP status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass(frozen=True)
class Workspace:
    root: Path  # the server's working folder, with a .env
    corpus: Path
    data_dir: Path


@dataclass(frozen=True)
class Server:
    url: str
    workspace: Workspace
    log: Path
    started_in: float  # seconds from ``kakehashi serve`` to a page being served


def make_workspace(root: Path) -> Workspace:
    """The fixture corpus and the markup document in ``root``, ingested with the real default
    embedder."""
    from assistant import Assistant, Settings

    corpus = root / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    (corpus / "kakehashi-markup-test.en.txt").write_text(MARKUP_DOC, encoding="utf-8")
    (corpus / "kakehashi-markup-test.en.txt.meta.json").write_text(
        json.dumps(MARKUP_META), encoding="utf-8"
    )
    (root / ".env").write_text(f"UNRELATED_SECRET={ENV_CANARY}\n", encoding="utf-8")
    data_dir = root / "data"
    Assistant(Settings(corpus_dir=corpus, data_dir=data_dir)).ingest()
    return Workspace(root, corpus, data_dir)


def start_server(
    workspace: Workspace, log_name: str, **env: str
) -> tuple[subprocess.Popen[bytes], Server]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workspace.root / log_name
    child_env = {
        key: value for key, value in os.environ.items() if not key.startswith("KAKEHASHI_")
    }
    child_env.update(
        KAKEHASHI_DATA_DIR=str(workspace.data_dir),
        KAKEHASHI_CORPUS_DIR=str(workspace.corpus),
        GRADIO_ANALYTICS_ENABLED="False",
        ANONYMIZED_TELEMETRY="False",
        HF_HUB_OFFLINE="1",
        **env,
    )
    command = [str(Path(sys.executable).parent / "kakehashi"), "serve", "--port", str(port)]
    started = time.monotonic()
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            command, cwd=workspace.root, env=child_env, stdout=handle, stderr=subprocess.STDOUT
        )
    deadline = started + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kakehashi serve exited:\n{log.read_text(errors='replace')}")
        try:
            status, _ = http_get(url + "/", timeout=1)
        except OSError:
            status = 0
        if status == 200:
            return process, Server(url, workspace, log, time.monotonic() - started)
        time.sleep(0.1)
    stop(process)
    raise RuntimeError(
        f"kakehashi serve not up within {SERVER_START_SECONDS} s:\n{log.read_text()}"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)
