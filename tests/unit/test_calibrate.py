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


def test_the_answerable_threshold_is_the_one_with_fewest_errors_on_the_records(
    tmp_path: Path,
) -> None:
    from eval import calibrate_answerable

    def record(p: float | None, answerable: bool) -> dict[str, object]:
        timings = {"total": 1.0} if p is None else {"total": 1.0, "unanswerable": p}
        return {"answerable": answerable, "timings_ms": timings}

    records = [record(0.01, True), record(0.12, True), record(0.3, False), record(0.9, False)]
    records.append(record(None, False))  # refused without asking the model: not counted
    scores = calibrate_answerable.asked(records)
    assert len(scores) == 4
    assert calibrate_answerable.errors(scores, 0.1) == (1, 0)
    assert calibrate_answerable.best(scores) == 0.15  # the lowest with no error
    path = tmp_path / "llm-dev.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    calibrate_answerable.main([str(path)])  # prints, writes nothing
