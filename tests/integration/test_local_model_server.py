"""``kakehashi llm serve`` as a user runs it: the packaged Qwen2.5-Coder model behind llama.cpp's
server, on 127.0.0.1 only, with a key made for this start, closed to other sites' pages, its
prompt prefix cached, and stopped by SIGTERM with status 0 even with a request in flight.

The model is assembled in a temporary data folder (about 10 s), or linked from the repository's
``.kakehashi/models/`` when ``make run`` or ``kakehashi llm serve`` has assembled it there.
"""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, VENV_BIN, free_port, subprocess_env

from assistant.local_model import MODEL_NAME

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

LINES = re.compile(
    r"KAKEHASHI_LLM_BASE_URL=(?P<url>http://127\.0\.0\.1:\d+/v1)\n"
    r"KAKEHASHI_LLM_MODEL=(?P<model>\S+)\n"
    r"KAKEHASHI_LLM_API_KEY=(?P<key>[A-Za-z0-9_-]{32,})\n"
)
INSTRUCTIONS = "You answer in one word. " * 40  # a fixed prefix, as a prompt file gives one


@dataclass
class Serving:
    process: subprocess.Popen[str]
    port: int
    base_url: str
    model: str
    key: str
    log: Path


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("llm-data")
    assembled = REPO / ".kakehashi" / "models" / f"{MODEL_NAME}.gguf"
    if assembled.is_file():  # checked again by the command: a changed file is rebuilt
        (data / "models").mkdir()
        (data / "models" / assembled.name).symlink_to(assembled)
    return data


def start(data_dir: Path) -> Serving:
    port = free_port()
    log = data_dir / f"serve-{port}.log"
    command = [str(VENV_BIN / "kakehashi"), "llm", "serve", "--port", str(port)]
    with log.open("w") as errors:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=subprocess_env(KAKEHASHI_DATA_DIR=str(data_dir)),
        )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    printed = ""
    deadline = time.monotonic() + 300
    while printed.count("\n") < 3:
        try:
            printed += lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            pytest.fail(f"no settings after 300 s:\n{log.read_text()[-3000:]}")
    match = LINES.fullmatch(printed)
    assert match, printed
    return Serving(process, port, match["url"], match["model"], match["key"], log)


@pytest.fixture(scope="module")
def serving(data_dir: Path) -> Iterator[Serving]:
    server = start(data_dir)
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()


def request(
    url: str, body: dict[str, Any] | None = None, method: str | None = None, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **headers}
    sent = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(sent, timeout=600) as reply:
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def chat(server: Serving, question: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    body = {
        "model": server.model,
        "messages": [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": question},
        ],
        "max_tokens": 4,
        "temperature": 0,
    }
    return request(f"{server.base_url}/chat/completions", body, **headers)


def bearer(server: Serving) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.key}"}


def test_the_settings_name_a_loopback_server_and_the_shipped_model(serving: Serving) -> None:
    assert serving.base_url == f"http://127.0.0.1:{serving.port}/v1"
    assert serving.model == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert serving.key not in serving.log.read_text()  # printed once, on stdout only
    listening = _listening_addresses(serving.port)
    assert listening == {"0100007F"}  # 127.0.0.1, in /proc/net/tcp's notation


def _listening_addresses(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # LISTEN
                found.add(address)
    return found


def test_the_key_is_required_and_answers_with_it(serving: Serving) -> None:
    status, _, body = chat(serving, "Say yes.", **bearer(serving))
    assert status == 200, body
    reply = json.loads(body)
    assert isinstance(reply["choices"][0]["message"]["content"], str)
    assert chat(serving, "Say yes.")[0] == 401
    assert chat(serving, "Say yes.", Authorization="Bearer not-the-key")[0] == 401


def test_the_fixed_prompt_prefix_is_reused(serving: Serving) -> None:
    chat(serving, "Say yes.", **bearer(serving))
    status, _, body = chat(serving, "Say no.", **bearer(serving))
    assert status == 200
    timings = json.loads(body)["timings"]
    assert timings["cache_n"] > timings["prompt_n"]  # most of the prompt came from the cache


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1:7860"])
def test_no_web_page_may_read_a_reply(serving: Serving, origin: str) -> None:
    preflight = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    _, headers, _ = request(f"{serving.base_url}/chat/completions", method="OPTIONS", **preflight)
    assert headers.get("access-control-allow-origin", "") == ""
    assert headers.get("access-control-allow-credentials") != "true"
    # A page that had the key still could not read the reply (nor one without it, a 401).
    status, headers, _ = chat(serving, "Say yes.", Origin=origin, **bearer(serving))
    assert status == 200
    assert headers.get("access-control-allow-origin", "") == ""


def test_sigterm_stops_it_with_status_0_even_mid_answer(serving: Serving) -> None:
    body = {
        "model": serving.model,
        "messages": [{"role": "user", "content": "Write a long story about a bridge."}],
        "max_tokens": 400,
        "stream": True,
    }
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", **bearer(serving)}
    sent = urllib.request.Request(f"{serving.base_url}/chat/completions", data, headers)
    with urllib.request.urlopen(sent, timeout=300) as reply:
        assert reply.readline()  # the answer has begun
        serving.process.send_signal(signal.SIGTERM)
        assert serving.process.wait(timeout=10) == 0
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{serving.base_url.removesuffix('/v1')}/health", timeout=2)
