"""The LLM judge with the model Kakehashi ships (Qwen2.5-Coder-1.5B-Instruct, the ``llm`` extra),
through llama.cpp's OpenAI-compatible server and LangChain's ChatOpenAI, on a handful of claims.

Our side of the contract: the server returns the first token's logprobs through the streamed
chat completion, so each verdict is a probability against the calibrated threshold, not the
reply's words; a plain restatement of a passage is supported and its negation is not; a claim
the offline checks veto never reaches the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import GLOSSARY, REPO

from assistant import Settings
from assistant.grounding import CombinedVerifier, LLMJudge, OfflineVerifier
from assistant.grounding.judge import judge_model
from assistant.local_model import MODEL_NAME, assemble, model_path, served

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

RINGI = (
    "稟議制是日本特有的「由下而上(Bottom-up)」決策機制,與台灣常見的「高層授權(Top-down)」"
    "截然不同。其核心不在於紙面上的蓋章流程,而在於「根回し(Nemawashi)」。"
)


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LLMJudge]:
    assembled = model_path(REPO / ".kakehashi")
    target = model_path(tmp_path_factory.mktemp("qwen-judge"))
    target.parent.mkdir(parents=True)
    if assembled.is_file():  # assembled by make run / kakehashi llm serve: checked again
        target.symlink_to(assembled)
    with served(assemble(target), timeout=300) as server:
        settings = Settings(
            llm_base_url=server.base_url,
            llm_model=MODEL_NAME,
            llm_api_key=server.api_key,
            llm_timeout=300,
        )
        yield LLMJudge(judge_model(settings))


def _probability(reason: str) -> float:
    match = re.search(r"P\(yes\)=([0-9.]+)", reason)
    assert match, f"no probability in {reason!r}: the endpoint gave no logprobs"
    return float(match.group(1))


def test_the_verdict_is_a_probability_from_the_servers_logprobs(judge: LLMJudge) -> None:
    verdict = judge.verify("稟議制是由下而上的決策機制。", [RINGI])
    assert 0.0 <= _probability(verdict.reason) <= 1.0
    assert 0.0 < verdict.score < 1.0
    assert verdict.supported == (verdict.score >= judge.threshold)


@pytest.mark.parametrize(
    ("claim", "supported"),
    [
        ("Ringi is a bottom-up way of making decisions in Japan.", True),
        ("稟議制は日本のボトムアップ型の意思決定の仕組みである。", True),
        ("Ringi is not a Japanese decision process at all.", False),
    ],
)
def test_a_restatement_is_supported_and_its_negation_is_not(
    judge: LLMJudge, claim: str, supported: bool
) -> None:
    assert judge.verify(claim, [RINGI]).supported == supported


def test_a_claim_the_offline_checks_veto_never_reaches_the_model(
    judge: LLMJudge, e5_embedder: Any
) -> None:
    asked: list[str] = []

    class Recording:
        def verify(self, claim: str, passages: Any) -> Any:
            asked.append(claim)
            return judge.verify(claim, passages)

    combined = CombinedVerifier(OfflineVerifier(e5_embedder, glossary=GLOSSARY), Recording())
    verdict = combined.verify("稟議制於 1999 年由台灣引進日本。", [RINGI])
    assert not verdict.supported and asked == []
