"""Latin-script names the entity table does not know (pure)."""

from __future__ import annotations

import pytest

from assistant.grounding.names import claim_names, unnamed_names

pytestmark = pytest.mark.unit

REPORT = (
    "The third cohort was jointly operated by the Taipei-based Frontier Ventures Foundation and "
    "the Tokyo-based consultancy Kizuna Partners. Cohort startups signed 19 proof-of-concept "
    "agreements with corporate venture capital units."
)


def test_names_are_acronyms_camel_case_and_capitalised_words_mid_sentence() -> None:
    assert claim_names("The program was run by Kizuna Partners.", "en") == ["Kizuna", "Partners"]
    assert claim_names("In March, GreenVolt signed a PoC.", "en") == ["GreenVolt", "PoC"]
    assert claim_names("第 3 期由 Kizuna Partners 營運。", "zh-TW") == ["Kizuna", "Partners"]


@pytest.mark.parametrize(
    "claim",
    [
        "Frontier Ventures and Kizuna Partners ran the third cohort.",
        "Startups signed 19 PoCs with CVC units.",  # spelled out in the passage
        "第 3 期由 Kizuna Partners 與 Frontier Ventures 共同營運。",
    ],
)
def test_a_name_the_passage_writes_or_spells_out(claim: str) -> None:
    language = "en" if claim.isascii() else "zh-TW"
    assert unnamed_names(claim, REPORT, language, "en", set()) == []


def test_a_name_the_passage_does_not_write_is_reported() -> None:
    claim = "The cohort was run by Sakura Capital and Kizuna Partners."
    assert unnamed_names(claim, REPORT, "en", "en", set()) == ["Sakura"]  # "capital" is there


def test_no_check_where_the_passage_cannot_spell_the_name() -> None:
    passage = "東邦精機於 2022 年設立新創合作單位,與台灣新創共同開發檢測模組。"
    assert unnamed_names("Toho Seiki set up the unit in 2022.", passage, "en", "zh-TW", set()) == []


def test_an_english_claim_quoting_a_japanese_name_is_english() -> None:
    claim = "Kenta Sasaki of Mori no Miyako Capital (杜の都キャピタル) says Sendai can team up."
    passage = "仙台のCVC「杜の都キャピタル」の佐々木健太氏は「直接組める」と話す。BMS PoC"
    assert claim_names(claim, "ja")[:2] == ["Sasaki", "Mori"]  # English rules: not "Kenta"
    assert unnamed_names(claim, passage, "ja", "ja", set()) == []
