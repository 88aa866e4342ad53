"""The English and Japanese editions are complete and honest translations of the essay."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import CORPUS, EN_FILE, JA_FILE, ORIGINAL_ID

from ingest.chunk import is_heading
from ingest.load import Document
from ingest.text import extract_numbers, paragraph_spans

pytestmark = pytest.mark.unit

TRANSLATIONS = ["en", "ja"]
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


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_every_paragraph_of_the_original_has_its_translation(
    editions: dict[str, Document], lang: str
) -> None:
    original = [span.text for span in paragraph_spans(editions["zh-TW"].text)]
    translated = [span.text for span in paragraph_spans(editions[lang].text)]
    assert len(translated) == len(original) == 65
    assert all(paragraph.strip() for paragraph in translated)
    for index, mine, source in aligned(editions, lang):
        assert is_heading(mine) == is_heading(source), (index, mine)


@pytest.mark.parametrize("lang", TRANSLATIONS)
def test_every_number_of_a_translated_paragraph_is_in_its_original(
    editions: dict[str, Document], lang: str
) -> None:
    for index, mine, source in aligned(editions, lang):
        extra = extract_numbers(mine) - extract_numbers(source)
        assert not extra, f"paragraph {index}: {sorted(extra)} not in the original: {mine[:80]!r}"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_no_number_of_the_original_is_dropped(editions: dict[str, Document], lang: str) -> None:
    for index, mine, source in aligned(editions, lang):
        missing = extract_numbers(source) - extract_numbers(mine)
        assert not missing, f"paragraph {index}: {sorted(missing)} dropped: {mine[:80]!r}"


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


@pytest.mark.parametrize(("lang", "path"), [("en", EN_FILE), ("ja", JA_FILE)])
def test_each_translation_declares_what_it_translates(lang: str, path: Path) -> None:
    meta = json.loads((CORPUS / f"{path.name}.meta.json").read_text(encoding="utf-8"))
    assert meta["translation_of"] == ORIGINAL_ID
    assert meta["lang"] == lang
    assert meta["doc_id"] == f"{ORIGINAL_ID}.{lang}"
    assert meta["title"]
    original = json.loads(
        (CORPUS / f"{ORIGINAL_ID}.zh-TW.txt.meta.json").read_text(encoding="utf-8")
    )
    assert original["doc_id"] == ORIGINAL_ID and not original.get("translation_of")
    assert original["lang"] == "zh-TW"
