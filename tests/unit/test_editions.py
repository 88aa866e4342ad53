"""A claims file's passage in its other edition: found by paragraph in a corpus built here."""

from __future__ import annotations

import pytest

from eval.editions import Editions
from ingest.load import Document

pytestmark = pytest.mark.unit

ZH = "稟議是由下而上的決策流程。\n根回在提案之前進行。熊本有一座大型工廠。\n"
JA = "稟議はボトムアップの意思決定である。\n根回しは提案の前に行う。熊本には大工場がある。\n"
EN = "Ringi is a bottom-up decision process.\nNemawashi comes first. Kumamoto has a plant.\n"


def document(doc_id: str, lang: str, text: str, original: str | None = None) -> Document:
    return Document(doc_id, doc_id, lang, text, f"{doc_id}.txt", translation_of=original)


@pytest.fixture
def editions() -> Editions:
    return Editions.from_documents(
        [
            document("essay", "zh-TW", ZH),
            document("essay.ja", "ja", JA, "essay"),
            document("essay.en", "en", EN, "essay"),
            document("alone", "ja", "翻訳のない文書。\n"),
        ]
    )


def test_a_passage_in_another_language_than_the_claim_is_shown_in_the_claim_s(
    editions: Editions,
) -> None:
    assert editions.other("稟議是由下而上的決策流程。", "en") == EN.splitlines()[0]
    assert editions.other("Nemawashi comes first.", "ja") == JA.splitlines()[1]  # part of one


def test_a_translation_in_the_claim_s_language_is_shown_with_its_original(
    editions: Editions,
) -> None:
    assert editions.other("Ringi is a bottom-up  decision process.", "en") == ZH.splitlines()[0]


def test_several_paragraphs_are_shown_paragraph_by_paragraph(editions: Editions) -> None:
    assert editions.other(JA, "en") == EN.strip()


def test_an_original_in_the_claim_s_language_or_an_untranslated_text_has_none(
    editions: Editions,
) -> None:
    assert editions.other(ZH, "zh-TW") is None
    assert editions.other("翻訳のない文書。", "en") is None
    assert editions.other("Not in the corpus at all.", "ja") is None
