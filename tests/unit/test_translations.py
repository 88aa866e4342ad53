"""The fixture corpus's English and Japanese editions keep the essay's figures, key terms and
languages, as the tests that use them expect. That a translation lines up with its original
(paragraphs, headings, numbers) is checked at ingest (``ingest.align.check_translation``), and for
the live corpus/ by tests/integration/test_corpus.py."""

from __future__ import annotations

import re

import pytest

from assistant.text import paragraph_spans
from ingest.chunk import is_heading
from ingest.load import Document

pytestmark = pytest.mark.unit

_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u3400-\u9fff]")

# The essay's key terms as each edition must write them (issue 3).
TERMS = [
    ("稟議", "ringi", "稟議"),
    ("根回", "nemawashi", "根回し"),
    ("出島", "dejima", "出島"),
    ("Patient Capital", "patient capital", "ペイシェント・キャピタル"),
    ("Global South", "global south", "グローバルサウス"),
    ("JICA", "jica", "JICA"),
    ("NSCR", "nscr", "NSCR"),
    ("JASM", "jasm", "JASM"),
]


def aligned(editions: dict[str, Document], lang: str) -> list[tuple[int, str, str]]:
    """(paragraph index, translated paragraph, original paragraph), paragraph by paragraph."""
    ours = [span.text for span in paragraph_spans(editions[lang].text)]
    theirs = [span.text for span in paragraph_spans(editions["zh-TW"].text)]
    assert len(ours) == len(theirs)
    return [
        (i, mine, source)
        for i, (mine, source) in enumerate(zip(ours, theirs, strict=True), start=1)
    ]


def test_the_essay_figures_survive_translation(editions: dict[str, Document]) -> None:
    """The survey's figures, spelled the way each edition spells them."""
    figures = {
        "zh-TW": ["39 家", "54%", "37 份", "45%", "40%", "61.5%", "30 人", "79 萬人", "2030 年"],
        "en": ["39 ", "54%", "37 ", "45%", "40%", "61.5%", "30 ", "790,000", "2030"],
        "ja": ["39社", "54%", "37", "45%", "40%", "61.5%", "30人", "79万人", "2030年"],
    }
    for lang, spelled in figures.items():
        for figure in spelled:
            assert figure in editions[lang].text, (lang, figure)


@pytest.mark.parametrize(("zh", "en", "ja"), TERMS)
def test_key_terms_are_translated_as_the_essay_uses_them(
    editions: dict[str, Document], zh: str, en: str, ja: str
) -> None:
    uses = 0
    for (index, english, source), (_, japanese, _) in zip(
        aligned(editions, "en"), aligned(editions, "ja"), strict=True
    ):
        if zh in source:
            uses += 1
            assert en in english.casefold(), (index, english[:80])
            assert ja in japanese, (index, japanese[:80])
    assert uses


def test_each_edition_is_written_in_its_language(editions: dict[str, Document]) -> None:
    for index, english, _ in aligned(editions, "en"):
        assert not _KANA.search(english), index
        assert len(_HAN.findall(english)) <= 5, index  # a quoted term at most: 稟議制
    for index, japanese, _ in aligned(editions, "ja"):
        if not is_heading(japanese):
            assert _KANA.search(japanese), index
