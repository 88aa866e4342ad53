"""Generated answers with the model Kakehashi ships (Qwen2.5-Coder-1.5B-Instruct, the ``llm``
extra) on the fixture corpus: the product path from question to checked answer.

Assertions are about our side of the contract, and hold whatever the model writes: an
answerable question is answered (generated, or quoted with a notice), citing the passage that
answers it; a question the corpus does not answer is refused without asking the model; a reply
without passage numbers is attributed, not withheld.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURE_CORPUS, REPO

from assistant import Answer, Assistant, Settings
from assistant.citations import without_markers
from assistant.generate import AnswerGenerator, answer_stream
from assistant.grounding import OfflineVerifier
from assistant.llm import chat_model
from assistant.local_model import MODEL_NAME, assemble, model_path, served
from assistant.text import detect_language

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def qwen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The shipped model served on 127.0.0.1; settings that answer the fixture corpus with it."""
    root = tmp_path_factory.mktemp("qwen")
    shutil.copytree(FIXTURE_CORPUS, root / "corpus")
    assembled = model_path(REPO / ".kakehashi")
    target = model_path(root / "data")
    target.parent.mkdir(parents=True)
    if assembled.is_file():  # assembled by make run / kakehashi llm serve: checked again
        target.symlink_to(assembled)
    with served(assemble(target), timeout=300) as server:
        yield Settings(
            corpus_dir=root / "corpus",
            data_dir=root / "data",
            llm_base_url=server.base_url,
            llm_model=MODEL_NAME,
            llm_api_key=server.api_key,
            llm_timeout=300,
        )


@pytest.fixture(scope="module")
def assistant(qwen: Settings, e5_embedder: Any) -> Assistant:
    bot = Assistant(qwen, embedder=e5_embedder)
    bot.ingest()
    bot.generator = AnswerGenerator.from_settings(qwen, OfflineVerifier(e5_embedder))
    return bot


@pytest.mark.parametrize(
    ("question", "language", "answer_holds"),
    [
        ("什麼是稟議制?", "zh-TW", "由下而上"),
        ("稟議制とは何ですか?", "ja", "由下而上"),
        ("What share of the surveyed Taiwanese startups are in deep tech?", "en", "54%"),
    ],
)
def test_an_answerable_question_is_answered_citing_its_passage(
    assistant: Assistant, question: str, language: str, answer_holds: str
) -> None:
    pieces = list(assistant.stream(question))
    final = pieces[-1]
    assert isinstance(final, Answer) and not final.refused
    assert any(answer_holds in c.original_text for c in final.citations)
    assert "".join(p for p in pieces[:-1] if isinstance(p, str)).strip() == final.answer.strip()
    if final.mode == "generative":
        assert detect_language(without_markers(final.answer)) == language
        # the default answers in quotes the model picks: each is its cited passage's words
        cited = {c.n: c.passage.text for c in final.citations}
        for check in final.sentences:
            assert check.supported and check.text in cited[check.citations[0]]
    else:
        assert final.notice  # the model added nothing checked: quoted, and said so


def test_a_question_the_corpus_does_not_answer_is_refused(assistant: Assistant) -> None:
    final = assistant.ask("台灣的平均月薪是多少新台幣?")
    assert final.refused and final.citations == ()


def test_a_reply_without_markers_is_attributed_not_withheld(
    qwen: Settings, assistant: Assistant, e5_embedder: Any
) -> None:
    """The text prompt asks for [n]; a model that writes none still has its sentences
    checked against every passage and shown with the one that supports them."""
    generator = AnswerGenerator(
        chat_model(qwen),
        OfflineVerifier(e5_embedder),
        qwen.llm_timeout,
        structured=False,
        answers="written",
    )
    question = "What share of the surveyed Taiwanese startups are in deep tech?"
    passages = assistant.retrieve(question, k=3)
    vector = assistant.embedder.embed([question], kind="query")[0]
    ranked = assistant._scored(question, vector, passages)
    floor = assistant._decide(question, "en", passages, ranked)
    final = list(answer_stream(generator, question, "en", passages, ranked, floor))[-1]
    assert isinstance(final, Answer) and not final.refused
    if final.mode == "generative":
        assert all(check.citations for check in final.sentences if check.supported)
        assert any("54%" in c.original_text for c in final.citations)


def test_the_model_file_is_the_published_one(qwen: Settings) -> None:
    path = Path(qwen.data_dir) / "models" / f"{MODEL_NAME}.gguf"
    assert path.stat().st_size == 1_117_320_768
