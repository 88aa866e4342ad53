"""The local judge's model assembly and the judge settings (no model, no server)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.settings import Settings
from scripts import local_judge

pytestmark = pytest.mark.unit


def test_parts_are_joined_in_order_and_checked(tmp_path: Path) -> None:
    parts = []
    for number, content in enumerate([b"GGUF", b"-two-", b"three"], start=1):
        part = tmp_path / f"part{number}.bin"
        part.write_bytes(content)
        parts.append(part)
    expected = hashlib.sha256(b"GGUF-two-three").hexdigest()
    model = local_judge.assemble(tmp_path / "m" / "judge.gguf", parts, sha256=expected)
    assert model.read_bytes() == b"GGUF-two-three"


def test_a_model_that_fails_its_hash_is_not_left_behind(tmp_path: Path) -> None:
    part = tmp_path / "part1.bin"
    part.write_bytes(b"tampered")
    destination = tmp_path / "judge.gguf"
    with pytest.raises(local_judge.JudgeModelError, match="sha256"):
        local_judge.assemble(destination, [part], sha256="0" * 64)
    assert not destination.exists() and not destination.with_suffix(".partial").exists()


def test_the_judge_has_its_own_endpoint_or_the_llms_or_none() -> None:
    assert Settings(llm_base_url=None, llm_model=None).judge_settings() is None
    answering = Settings(llm_base_url="http://127.0.0.1:1/v1", llm_model="big")
    assert answering.judge_settings() is answering
    judged = Settings(
        llm_base_url="http://127.0.0.1:1/v1",
        llm_model="big",
        llm_api_key="sk-secret",
        judge_base_url="http://127.0.0.1:2/v1",
        judge_model="small",
    ).judge_settings()
    assert judged is not None
    assert (judged.llm_base_url, judged.llm_model) == ("http://127.0.0.1:2/v1", "small")
    assert judged.llm_api_key is None  # the answering endpoint's key is not sent elsewhere
