"""The LLM judge with a deterministic chat model that scripts its replies and their logprobs:
the verdict from P(yes) against the threshold, the reply's words when no logprobs come back,
statement by statement, the passage sentences it is shown, and the offline verdict when the
endpoint fails."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import GLOSSARY
from fakes import FakeEmbedder
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from assistant.grounding import CombinedVerifier, LLMJudge, OfflineVerifier
from assistant.grounding.judge import JudgeSettings, data_path, yes_probability
from assistant.grounding.statements import evidence, statements
from eval.calibrate_judge import balanced_accuracy, best_threshold, from_records
from eval.claims import Claim

pytestmark = pytest.mark.unit

TALENT = "根據日本經濟產業省(METI)預估,至 2030 年,日本 IT 與數位人才缺口將高達 79 萬人。"


@dataclass(frozen=True)
class Reply:
    """A scripted reply: its text, and the first token's alternatives (token: probability),
    or None for an endpoint that gives no logprobs."""

    text: str
    top: dict[str, float] | None = None


class LogprobChatModel(BaseChatModel):
    """Replies with ``replies`` in order (the last one repeats), each with its first token's
    logprobs in ``response_metadata`` as ChatOpenAI puts them; raises ``error`` when given."""

    replies: list[Reply]
    error: Exception | None = None
    _prompts: list[str] = PrivateAttr(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted-logprobs"

    @property
    def prompts(self) -> list[str]:
        return list(self._prompts)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._prompts.append("\n".join(str(m.content) for m in messages))
        if self.error is not None:
            raise self.error
        reply = self.replies[min(len(self._prompts) - 1, len(self.replies) - 1)]
        metadata: dict[str, Any] = {}
        if reply.top is not None:
            top = [{"token": t, "logprob": math.log(p)} for t, p in reply.top.items()]
            metadata["logprobs"] = {"content": [{**top[0], "top_logprobs": top}]}
        message = AIMessage(content=reply.text, response_metadata=metadata)
        return ChatResult(generations=[ChatGeneration(message=message)])


def yes(p: float) -> Reply:
    return Reply("Yes" if p >= 0.5 else "No", {"Yes": p * 0.9, "yes": p * 0.1, "No": 1 - p})


# -- P(yes) from logprobs ---------------------------------------------------------------------
def test_p_yes_is_yes_over_yes_and_no_among_the_first_tokens_alternatives() -> None:
    top = [
        {"token": "Yes", "logprob": math.log(0.6)},
        {"token": " yes", "logprob": math.log(0.1)},
        {"token": "No", "logprob": math.log(0.1)},
        {"token": "Maybe", "logprob": math.log(0.2)},
    ]
    metadata = {"logprobs": {"content": [{**top[0], "top_logprobs": top}]}}
    assert yes_probability(metadata) == pytest.approx(0.7 / 0.8)
    assert yes_probability({}) is None
    assert yes_probability({"logprobs": None}) is None
    only_other = [{"token": "Maybe", "logprob": 0.0}]
    assert yes_probability({"logprobs": {"content": [{"top_logprobs": only_other}]}}) is None


def test_the_threshold_on_p_yes_decides_not_the_replys_words() -> None:
    model = LogprobChatModel(replies=[yes(0.6)])
    assert LLMJudge(model, threshold=0.5).verify("claim", ["passage"]).supported
    strict = LLMJudge(model, threshold=0.7).verify("claim", ["passage"])
    assert not strict.supported  # the reply said "Yes"
    assert strict.score == pytest.approx(0.6)


def test_without_logprobs_the_replys_words_decide() -> None:
    model = LogprobChatModel(replies=[Reply("Yes."), Reply("no"), Reply("Yes", {"Maybe": 1.0})])
    judge = LLMJudge(model, threshold=0.99)
    first, second, third = (judge.verify("claim", ["passage"]) for _ in range(3))
    assert (first.supported, first.score) == (True, 1.0)
    assert (second.supported, second.score) == (False, 0.0)
    assert third.supported  # logprobs that name neither yes nor no: the words decide


# -- statements -------------------------------------------------------------------------------
def test_a_claim_is_split_at_sentence_ends_and_semicolons_not_at_commas() -> None:
    assert statements("日本缺工 79 萬人;台灣缺工 10 萬人。兩國都缺人。") == [
        "日本缺工 79 萬人",
        "台灣缺工 10 萬人。",
        "兩國都缺人。",
    ]
    assert statements("Japan lacks workers, and Taiwan lacks them too.") == [
        "Japan lacks workers, and Taiwan lacks them too."
    ]
    assert statements("Sales grew a lot; 2%.") == ["Sales grew a lot 2%."]


def test_every_statement_must_be_supported_and_the_first_that_is_not_ends_it() -> None:
    claim = "Japan lacks IT talent. Taiwan lacks none."
    model = LogprobChatModel(replies=[yes(0.9), yes(0.2), yes(0.9)])
    verdict = LLMJudge(model, threshold=0.5).verify(claim, ["passage"])
    assert not verdict.supported
    assert verdict.score == pytest.approx(0.2)
    assert "statement 2 of 2" in verdict.reason
    assert [p.split("Statement:")[1].split("\n")[1] for p in model.prompts] == [
        "Japan lacks IT talent.",
        "Taiwan lacks none.",
    ]
    first_fails = LogprobChatModel(replies=[yes(0.1), yes(0.9)])
    assert not LLMJudge(first_fails, threshold=0.5).verify(claim, ["passage"]).supported
    assert len(first_fails.prompts) == 1


# -- what the judge is shown, and when it fails ---------------------------------------------
@pytest.fixture(scope="module")
def offline() -> OfflineVerifier:
    return OfflineVerifier(FakeEmbedder(), glossary=GLOSSARY)


def test_the_judge_is_shown_the_closest_sentences_of_a_long_passage(
    offline: OfflineVerifier,
) -> None:
    passage = (
        "Ringi is a bottom-up decision process. Nemawashi comes before the proposal. "
        "Kumamoto hosts a large plant. The weather was mild that year. "
        "Tea ceremonies are slow. Trains run on time."
    )
    model = LogprobChatModel(replies=[yes(0.9)])
    combined = CombinedVerifier(offline, LLMJudge(model, threshold=0.5), evidence_sentences=2)
    assert combined.verify("Nemawashi comes before the proposal in ringi.", [passage]).supported
    (prompt,) = model.prompts
    assert "Nemawashi comes before the proposal." in prompt
    assert "Ringi is a bottom-up decision process." in prompt
    assert "Trains run on time." not in prompt and "weather" not in prompt


def test_the_judge_is_shown_the_closest_sentences_of_the_other_edition_after_the_passage(
    offline: OfflineVerifier,
) -> None:
    passage = "Ringi is a bottom-up decision process. Nemawashi comes before the proposal."
    edition = "稟議是由下而上的決策流程。提案之前先進行根回。熊本有一座大型工廠。"
    model = LogprobChatModel(replies=[yes(0.9)])
    combined = CombinedVerifier(
        offline, LLMJudge(model, threshold=0.5), evidence_sentences=3, edition_sentences=2
    )
    claim = "Nemawashi comes before the proposal in ringi."
    assert combined.verify(claim, [passage], editions=[edition]).supported
    assert combined.verify(claim, [passage]).supported  # no edition: the passage alone
    with_edition, alone = model.prompts
    assert with_edition.index("Nemawashi comes before") < with_edition.index("[3] ")
    assert sum(s in with_edition for s in edition.split("。") if s) == 2  # 2 of its 3
    assert "[3] " not in alone and "稟議" not in alone


def test_each_statement_gets_its_closest_sentence() -> None:
    sentences = ["alpha beta.", "gamma delta.", "epsilon zeta.", "eta theta."]
    shown = evidence(
        ["alpha beta and eta theta", "alpha beta", "eta theta"],
        [" ".join(sentences)],
        lambda texts: FakeEmbedder().embed(texts, kind="query"),
        2,
    )
    assert shown == ["alpha beta.", "eta theta."]


def test_when_the_endpoint_fails_the_offline_verdict_stands(offline: OfflineVerifier) -> None:
    model = LogprobChatModel(replies=[yes(0.9)], error=ConnectionError("refused"))
    combined = CombinedVerifier(offline, LLMJudge(model, threshold=0.5))
    claim = "Japan's IT talent gap is large."
    verdict = combined.verify(claim, [TALENT])
    assert verdict.supported == offline.verify(claim, [TALENT]).supported
    assert "LLM judge failed: refused" in verdict.reason


def test_offline_vetoes_are_final_and_the_judge_is_not_asked(offline: OfflineVerifier) -> None:
    model = LogprobChatModel(replies=[yes(0.99)])
    combined = CombinedVerifier(offline, LLMJudge(model, threshold=0.5))
    wrong = "根據日本經濟產業省預估,至 2030 年日本 IT 與數位人才缺口將高達 97 萬人。"
    assert not combined.verify(wrong, [TALENT]).supported
    assert model.prompts == []


# -- the threshold: data, and how it is fitted ----------------------------------------------
def test_the_judge_settings_file_has_its_schema() -> None:
    data = json.loads(data_path().read_text(encoding="utf-8"))
    assert set(data) == {"threshold", "evidence_sentences", "edition_sentences", "fitted_on"}
    settings = JudgeSettings.load()
    assert 0.0 < settings.threshold < 1.0
    assert settings.evidence_sentences >= 1
    assert settings.edition_sentences >= 0
    assert isinstance(data["fitted_on"], str) and "holdout" not in data["fitted_on"]


def test_calibration_picks_the_threshold_with_the_best_balanced_accuracy() -> None:
    labels = ["supported", "supported", "unsupported", "unsupported", "unsupported"]
    claims = [Claim(str(n), "en", "c", "p", label) for n, label in enumerate(labels)]
    offline_supported = [True, True, True, True, False]  # the last was vetoed offline
    scores: list[float | None] = [0.9, 0.7, 0.6, 0.2, None]
    threshold, accuracy = best_threshold(claims, offline_supported, scores)
    assert threshold == pytest.approx(0.7)
    assert accuracy == 1.0
    assert balanced_accuracy(claims, offline_supported, scores, 0.5) == pytest.approx(0.8333, 1e-3)


def test_calibration_from_recorded_scores(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ("supported", "supported", 0.9, "LLM judge: P(yes)=0.90"),
        ("supported", "supported", 0.7, "LLM judge: P(yes)=0.70"),
        ("unsupported", "supported", 0.6, "LLM judge: P(yes)=0.60"),
        ("unsupported", "unsupported", 0.0, "number(s) not in the passage: 97"),
    ]
    records = tmp_path / "claims.jsonl"
    records.write_text(
        "\n".join(
            json.dumps(
                {"id": str(n), "lang": "en", "label": label, "kind": "", "verdict": verdict}
                | {"score": score, "reason": reason}
            )
            for n, (label, verdict, score, reason) in enumerate(rows)
        ),
        encoding="utf-8",
    )
    assert from_records(records, write=False) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["threshold"], result["balanced_accuracy"], result["judged"]) == (0.7, 1.0, 3)
