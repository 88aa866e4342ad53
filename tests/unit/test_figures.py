"""Questions that ask for a figure, and sentences that give one (assistant/figures.py)."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from assistant import figures


@pytest.mark.parametrize(
    "question",
    [
        "How many Taiwanese companies were surveyed?",
        "How much did the Kumamoto fab cost?",
        "What share of the respondents are in deep tech?",
        "這次調查訪問了幾家台灣企業?",
        "这个数字是多少?",
        "在日本談判要花多久?",
        "日本側の回答者は何人ですか?",
        "深層技術の企業は何割ですか?",
        "建設費はいくらですか?",
        "どれくらいの期間続いていますか?",
    ],
)
def test_questions_that_ask_for_a_figure(question: str) -> None:
    assert figures.asks_for_figure(question)


@pytest.mark.parametrize(
    "question",
    [
        "What is nemawashi?",
        "Why do Japanese corporates hesitate?",
        "Which organisation made the forecast?",
        "稟議制是什麼?",
        "為什麼日本大企業遲遲不敢拍板?",
        "出島とは何ですか?",
        "なぜ東南アジアなのですか?",
    ],
)
def test_questions_that_do_not(question: str) -> None:
    assert not figures.asks_for_figure(question)


@pytest.mark.parametrize(
    "sentence",
    [
        "Japan will be short of up to 790,000 IT workers by 2030.",
        "Half of them are under thirty people.",
        "The negotiation took three months.",
        "過去四十年的台日合作經歷了三個階段。",
        "日本側の6割強が関心を示した。",
        "交渉には三か月かかる。",
        "六割の企業が回答した。",
    ],
)
def test_sentences_that_give_a_figure(sentence: str) -> None:
    assert figures.gives_figure(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Ringi is a bottom-up decision-making mechanism.",
        "部分大企業開始設立「出島」機制。",
        "フィリピンの南北通勤鉄道はその好例である。",
        "Someone is a good partner.",  # "one" inside a word is not a figure
    ],
)
def test_sentences_that_do_not(sentence: str) -> None:
    assert not figures.gives_figure(sentence)


def test_a_figure_is_missing_only_when_the_best_sentences_give_none() -> None:
    question = "How many Taiwanese companies were surveyed?"
    named = "The survey covers Taiwanese companies."
    counted = "It analyses 39 Taiwanese companies."
    assert figures.figure_missing(question, [named, named, counted])
    assert not figures.figure_missing(question, [named, counted])
    assert not figures.figure_missing("What is ringi?", [named])
    assert figures.figure_missing(question, [])


def test_the_data_file_has_a_list_per_language_and_every_pattern_compiles() -> None:
    path = resources.files("assistant").joinpath("data", "figures.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data["asks"]) == {"zh-TW", "ja", "en"}
    for pattern in [*(p for ps in data["asks"].values() for p in ps), *data["gives"]]:
        re.compile(pattern)
    # a pattern that matched anything would make every question a figure question
    assert not figures.asks_for_figure("") and not figures.gives_figure("")
