"""Glossary terms in a question: named in the question's own language, and questions that ask
only what a term is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.terms import Terms

pytestmark = pytest.mark.unit

GLOSSARY = [
    {"zh-TW": ["稟議制", "稟議"], "ja": ["稟議制", "稟議"], "en": ["ringi", "ringi system"]},
    {"zh-TW": ["根回し"], "ja": ["根回し", "ねまわし"], "en": ["nemawashi"]},
    {"zh-TW": ["出島"], "ja": ["出島"], "en": ["Dejima"]},
    {"zh-TW": ["JICA"], "ja": ["JICA"], "en": ["JICA"]},
]


@pytest.fixture
def terms(tmp_path: Path) -> Terms:
    path = tmp_path / "glossary.json"
    path.write_text(json.dumps(GLOSSARY, ensure_ascii=False), encoding="utf-8")
    return Terms.load(path)


@pytest.mark.parametrize(
    ("question", "language", "expected"),
    [
        ("What is 稟議制?", "en", "What is ringi (稟議制)?"),
        ("什麼是 nemawashi?", "zh-TW", "什麼是 根回し (nemawashi)?"),
        ("Dejimaとは何ですか", "ja", "出島 (Dejima)とは何ですか"),
        ("What is the ringi system?", "en", "What is the ringi system?"),  # already its own
        ("稟議制是什麼?", "zh-TW", "稟議制是什麼?"),
        ("What does JICA fund?", "en", "What does JICA fund?"),  # one name in every language
        ("Why do founders wait?", "en", "Why do founders wait?"),
    ],
)
def test_a_term_quoted_in_another_language_gets_the_question_s_own_name(
    terms: Terms, question: str, language: str, expected: str
) -> None:
    assert terms.in_language(question, language) == expected  # type: ignore[arg-type]


def test_a_term_is_matched_as_a_whole_word(terms: Terms) -> None:
    assert terms.in_language("Was Dejimas a port?", "ja") == "Was Dejimas a port?"


@pytest.mark.parametrize(
    ("question", "english_name"),
    [
        ("What is 稟議制?", "ringi"),
        ("What does nemawashi mean?", "nemawashi"),
        ("nemawashi?", "nemawashi"),
        ("出島とは何ですか", "Dejima"),
        ("什麼是根回し?", "nemawashi"),
        ("稟議制是什麼意思?", "ringi"),
        ("What is ringi (稟議制)?", "ringi"),
    ],
)
def test_a_question_that_asks_only_what_a_term_is_defines_it(
    terms: Terms, question: str, english_name: str
) -> None:
    defined = terms.defined(question)
    assert defined is not None and english_name in defined.names["en"]


@pytest.mark.parametrize(
    "question",
    [
        "What visa does nemawashi need?",
        "Why is 根回し important?",
        "根回しの問題点とは何ですか",
        "What is the Global South strategy?",
        "What is the answer?",
    ],
)
def test_a_question_that_asks_more_than_a_meaning_defines_nothing(
    terms: Terms, question: str
) -> None:
    assert terms.defined(question) is None


def test_no_glossary_file_means_no_terms(tmp_path: Path) -> None:
    terms = Terms.load(tmp_path / "missing.json")
    assert terms.in_language("What is 稟議制?", "en") == "What is 稟議制?"
    assert terms.defined("What is 稟議制?") is None
