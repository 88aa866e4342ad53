"""Ranking across languages (pure: no store, no embedder)."""

from __future__ import annotations

import pytest

from assistant.retrieve import SearchIndex, lift_untranslated
from assistant.thresholds import refusal
from ingest.chunk import Chunk

pytestmark = pytest.mark.unit
CROSS_LINGUAL_BONUS = refusal().cross_lingual_offset


def chunk(doc_id: str, lang: str, text: str, translation_of: str | None = None) -> Chunk:
    return Chunk(
        chunk_id=f"{doc_id}:1",
        doc_id=doc_id,
        title=doc_id,
        lang=lang,
        section="",
        paragraph=1,
        start=0,
        end=len(text),
        text=text,
        ordinal=0,
        translation_of=translation_of,
    )


ESSAY = chunk("essay.zh-TW", "zh-TW", "台日合作的調查與分析。")
ESSAY_EN = chunk("essay.en", "en", "A survey and analysis of Taiwan-Japan work.", "essay.zh-TW")
SURVEY = chunk("survey.zh-TW", "zh-TW", "本調查共回收 1,200 份有效樣本。")


def test_an_untranslated_paragraph_competes_on_the_questions_scale() -> None:
    index = SearchIndex([ESSAY, ESSAY_EN, SURVEY])
    dense = [(ESSAY_EN, 0.84), (SURVEY, 0.80), (ESSAY, 0.79)]
    lifted = lift_untranslated(dense, index, "en")
    assert [c.doc_id for c, _ in lifted] == ["survey.zh-TW", "essay.en", "essay.zh-TW"]
    assert dict((c.doc_id, s) for c, s in lifted)["survey.zh-TW"] == pytest.approx(
        0.80 + CROSS_LINGUAL_BONUS
    )
    # the essay's original has an English edition: it competes through that, unlifted
    assert dict((c.doc_id, s) for c, s in lifted)["essay.zh-TW"] == pytest.approx(0.79)


def test_nothing_is_lifted_in_its_own_language() -> None:
    index = SearchIndex([ESSAY, ESSAY_EN, SURVEY])
    dense = [(ESSAY, 0.84), (SURVEY, 0.80)]
    assert lift_untranslated(dense, index, "zh-TW") == dense
