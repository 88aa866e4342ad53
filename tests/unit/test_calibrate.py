"""Calibration of the offline verifier: pure parts, with the deterministic fake embedder."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from assistant.grounding import OfflineVerifier, Thresholds
from assistant.grounding.verifier import Signals, combined_score
from eval.calibrate import translation_offsets

pytestmark = pytest.mark.unit


def signals(language: str, passage_language: str) -> Signals:
    return Signals(
        unmatched_numbers=(),
        missing_entities=(),
        similarity=0.85,
        lexical=0.0,
        best_segment="",
        language=language,
        passage_language=passage_language,
    )


def test_the_offset_of_a_language_pair_moves_the_score_in_that_direction_only() -> None:
    base = Thresholds(offset={})
    shifted = replace(base, offset={"ja>en": 0.02})
    assert combined_score(signals("ja", "en"), shifted) == pytest.approx(
        combined_score(signals("ja", "en"), base) + 0.02
    )
    assert combined_score(signals("en", "ja"), shifted) == combined_score(signals("en", "ja"), base)
    assert signals("ja", "en").pair == "cross" and signals("ja", "ja").pair == "same"
    assert signals("en", "en").pair == "same-en"


def test_offsets_come_from_the_corpus_editions_and_centre_on_zero(tmp_path: Path) -> None:
    (tmp_path / "essay.zh-TW.txt").write_text("台灣與日本的合作正在改變。\n雙方都需要新的夥伴。\n")
    (tmp_path / "essay.en.txt").write_text(
        "Cooperation between Taiwan and Japan is changing.\nBoth sides need new partners.\n"
    )
    (tmp_path / "essay.en.txt.meta.json").write_text(
        json.dumps({"lang": "en", "translation_of": "essay.zh-TW"})
    )
    (tmp_path / "essay.zh-TW.txt.meta.json").write_text(
        json.dumps({"lang": "zh-TW", "doc_id": "essay.zh-TW"})
    )
    offsets = translation_offsets(OfflineVerifier(FakeEmbedder()), tmp_path)
    assert set(offsets) == {"en>zh-TW", "zh-TW>en"}
    assert sum(offsets.values()) == pytest.approx(0.0, abs=1e-3)
