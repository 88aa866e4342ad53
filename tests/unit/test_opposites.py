"""Opposite terms across the three languages (pure)."""

from __future__ import annotations

import pytest
from conftest import FIXTURE_CORPUS
from fakes import FakeEmbedder

from assistant.grounding import OfflineVerifier
from assistant.grounding.opposites import OPPOSITES, opposed_terms
from assistant.grounding.tables import corpus_opposites

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("稟議制是由上而下的決策機制。", "稟議制是日本特有的「由下而上(Bottom-up)」決策機制。"),
        ("Ringi is a top-down mechanism.", "稟議制は日本特有のボトムアップ型の意思決定である。"),
        ("出島は本社の内部に置かれる。", "在組織外設立擁有獨立決策權的新創合作單位。"),
        ("Demand for hardware keeps growing.", "對軟體的需求只會越來越大。"),
        ("Investment fell by 24% in 2024.", "2024 年投資總額較 2023 年成長 24%。"),
        ("多數人認為決策過程比較快。", "多數人認為日本職場的決策過程較慢。"),
        ("起薪低於當地平均水準。", "起薪則為 28 萬日圓,高於當地平均水準約兩成。"),
    ],
)
def test_a_claim_using_the_opposite_term_is_caught(claim: str, passage: str) -> None:
    assert opposed_terms(claim, passage)


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        # both sides named in the claim: a comparison, not a contradiction
        ("Unlike top-down Taiwan, Japan decides bottom-up.", "日本由下而上,台灣由上而下。"),
        # the passage negates the other side: "not short-term" supports "long-term"
        ("Japan thinks long-term.", "日本企業不追求短期的獲利。"),
        # the claim negates its term: "not bottom-up" does not contradict "top-down"
        ("台灣的決策不是由下而上的。", "台灣常見的是「高層授權(Top-down)」。"),
        # the same side in other words
        ("The essay calls it a top-down style.", "台灣常見的「高層授權(Top-down)」。"),
    ],
)
def test_comparisons_negations_and_agreement_are_not_opposites(claim: str, passage: str) -> None:
    assert opposed_terms(claim, passage) == []


def test_the_verifier_rejects_an_opposite_with_its_reason() -> None:
    verifier = OfflineVerifier(FakeEmbedder())
    verdict = verifier.verify(
        "稟議制是由上而下的決策機制。", ["稟議制是日本特有的「由下而上(Bottom-up)」決策機制。"]
    )
    assert not verdict.supported
    assert "opposite" in verdict.reason and "由上而下" in verdict.reason


def test_a_corpus_s_own_opposites_come_from_beside_its_glossary() -> None:
    claim, passage = "This is one of the strategic depths.", "東南亞與印度是唯一的戰略縱深。"
    assert opposed_terms(claim, passage) == []  # "one of" / "the only": no general opposites
    assert opposed_terms(claim, passage, (*OPPOSITES, *corpus_opposites(FIXTURE_CORPUS)))
    verifier = OfflineVerifier(FakeEmbedder(), glossary=FIXTURE_CORPUS / "glossary.json")
    assert "opposite" in verifier.verify(claim, [passage]).reason
    assert corpus_opposites(None) == ()
