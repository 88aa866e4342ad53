"""Extractive composition: which sentences are quoted, in what order, cited how, framed how."""

from __future__ import annotations

import numpy as np
import pytest

from assistant import answer as extractive
from assistant.answer import ScoredSentence
from assistant.thresholds import refusal
from assistant.types import Location, Passage

pytestmark = pytest.mark.unit


def passage(n: int, text: str, lang: str = "zh-TW", translation_of: str | None = None) -> Passage:
    return Passage(
        chunk_id=f"chunk-{n}",
        doc_id="essay" if translation_of is None else f"essay.{lang}",
        title="台日深科技合作",
        lang=lang,
        text=text,
        original_text=f"original of {n}" if translation_of else text,
        location=Location("文化解碼", n, 0, len(text)),
        score=1.0 / n,
        translation_of=translation_of,
    )


def scored(p: int, position: int, text: str, score: float) -> ScoredSentence:
    return ScoredSentence(p, position, text, score, score)


def test_candidates_are_the_sentences_of_the_passages_without_headings() -> None:
    passages = [
        passage(1, "稟議制是日本特有的決策機制。它由下而上。"),
        passage(2, "物理障礙:量體的不對稱"),
    ]
    found = extractive.candidate_sentences(passages)
    assert [(p, s, text) for p, s, text in found] == [
        (0, 0, "稟議制是日本特有的決策機制。"),
        (0, 1, "它由下而上。"),
    ]


def test_the_best_sentence_leads_and_a_passage_keeps_its_order() -> None:
    sentences = [
        scored(0, 0, "A1", 0.80),
        scored(0, 1, "A2", 0.90),
        scored(1, 0, "B1", 0.91),
        scored(2, 0, "C1", 0.70),  # under the margin
    ]
    chosen = extractive.select(sentences)
    assert [s.text for s in chosen] == ["B1", "A2"]


def test_at_most_three_sentences_are_quoted() -> None:
    sentences = [scored(i, 0, f"S{i}", 0.9) for i in range(6)]
    assert len(extractive.select(sentences)) == extractive.MAX_SENTENCES


def test_compose_cites_each_quote_with_the_number_of_its_passage() -> None:
    passages = [passage(1, "甲句。乙句。"), passage(2, "丙句。")]
    chosen = [scored(1, 0, "丙句。", 0.95), scored(0, 1, "乙句。", 0.94)]
    answer = extractive.compose("問題?", "zh-TW", passages, chosen, 0.95)
    assert answer.answer == "根據語料:\n丙句。[1]乙句。[2]"
    assert [(c.n, c.chunk_id, c.quotes) for c in answer.citations] == [
        (1, "chunk-2", ("丙句。",)),
        (2, "chunk-1", ("乙句。",)),
    ]
    assert not answer.refused and answer.grounding == "supported"
    assert all(check.supported for check in answer.sentences)


def test_a_quote_in_another_language_is_said_to_be_one() -> None:
    passages = [passage(1, "稟議制是日本特有的決策機制。")]
    chosen = [scored(0, 0, "稟議制是日本特有的決策機制。", 0.9)]
    english = extractive.compose("What is ringi?", "en", passages, chosen, 0.9)
    assert english.answer.startswith("According to the corpus: (quoted from the Chinese original)")
    japanese = extractive.compose("稟議制とは?", "ja", passages, chosen, 0.9)
    assert "中国語" in japanese.answer.splitlines()[0]


def test_a_translated_citation_carries_its_original() -> None:
    passages = [passage(1, "Ringi is a bottom-up mechanism.", "en", translation_of="essay")]
    chosen = [scored(0, 0, "Ringi is a bottom-up mechanism.", 0.9)]
    answer = extractive.compose("What is ringi?", "en", passages, chosen, 0.9)
    (citation,) = answer.citations
    assert citation.translation_of == "essay"
    assert citation.original_text == "original of 1"
    assert answer.answer == "According to the corpus:\nRingi is a bottom-up mechanism.[1]"


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("zh-TW", "語料中找不到"), ("ja", "見つかりませんでした"), ("en", "does not contain")],
)
def test_a_refusal_speaks_the_questions_language(language: str, phrase: str) -> None:
    answer = extractive.refusal("?", language, 0.5)  # type: ignore[arg-type]
    assert answer.refused and answer.grounding == "refused" and not answer.citations
    assert phrase in answer.answer


def test_cross_lingual_evidence_is_lifted_to_the_same_language_scale() -> None:
    passages = [passage(1, "稟議制。"), passage(2, "Ringi.", "en")]
    chinese = [scored(0, 0, "稟議制。", 0.80)]
    english = [scored(1, 0, "Ringi.", 0.80)]
    assert extractive.evidence_score(chinese, passages, "en") == pytest.approx(
        0.80 + refusal().cross_lingual_offset
    )
    assert extractive.evidence_score(english, passages, "en") == pytest.approx(0.80)
    assert extractive.evidence_score([], passages, "en") == 0.0


def test_sentence_scores_add_lexical_overlap_to_similarity() -> None:
    candidates = [(0, 0, "稟議制是決策機制。"), (0, 1, "天氣很好。")]
    question_vector = np.array([1.0, 0.0], dtype=np.float32)
    sentence_vectors = np.array([[0.5, 0.5], [0.5, 0.5]], dtype=np.float32)
    first, second = extractive.score_sentences(
        "稟議制是什麼", candidates, question_vector, sentence_vectors
    )
    assert first.similarity == second.similarity == pytest.approx(0.5)
    assert first.score > second.score


def test_a_definition_quotes_the_best_naming_sentence_and_the_one_after_it() -> None:
    everything = [
        scored(0, 0, "其核心在於「根回し」。", 0.80),
        scored(0, 1, "即在正式提案前私下溝通。", 0.70),
        scored(0, 2, "這需要時間。", 0.75),
        scored(1, 0, "根回し很重要。", 0.78),
    ]
    naming = [everything[0], everything[3]]
    chosen = extractive.definition(naming, everything)
    assert [(s.passage, s.position) for s in chosen] == [(0, 0), (0, 1), (1, 0)]


def test_a_definition_needs_a_sentence_naming_the_term() -> None:
    assert extractive.definition([], [scored(0, 0, "無關。", 0.9)]) == []


def test_a_definition_from_a_passage_s_last_sentence_has_nothing_after_it() -> None:
    last = scored(0, 3, "最後一句提到根回し。", 0.8)
    assert extractive.definition([last], [scored(0, 1, "前一句。", 0.9), last]) == [last]


def test_each_part_of_a_question_brings_its_best_sentence() -> None:
    whole = [
        scored(0, 0, "共回收 1,200 份有效樣本。", 0.90),
        scored(0, 1, "調查於 2025 年進行。", 0.88),
        scored(0, 2, "受訪者多為創辦人。", 0.87),
        scored(1, 0, "其中台灣新創 742 家、日本企業 458 家。", 0.70),
    ]
    second_part = [
        scored(0, 0, "共回收 1,200 份有效樣本。", 0.60),
        scored(0, 1, "調查於 2025 年進行。", 0.50),
        scored(0, 2, "受訪者多為創辦人。", 0.50),
        scored(1, 0, "其中台灣新創 742 家、日本企業 458 家。", 0.85),
    ]
    without = extractive.select(whole)
    assert "742" not in "".join(s.text for s in without)
    chosen = extractive.select(whole, [whole, second_part])
    assert [(s.passage, s.position) for s in chosen] == [(0, 0), (0, 1), (1, 0)]


def test_parts_that_agree_add_nothing() -> None:
    whole = [scored(0, 0, "一。", 0.9), scored(0, 1, "二。", 0.5)]
    assert extractive.select(whole, [whole, whole]) == extractive.select(whole)


def test_a_part_that_asks_for_a_figure_its_best_sentences_do_not_give_is_unanswered() -> None:
    with_figure = [
        scored(0, 0, "稟議制是日本特有的決策機制。", 0.95),
        scored(0, 1, "分析本次調查的 39 家台灣受訪企業。", 0.90),
    ]
    figure_third = [*with_figure[:1], scored(0, 2, "出島機制繞過本社流程。", 0.92)]
    figure_third.append(scored(0, 1, "分析本次調查的 39 家台灣受訪企業。", 0.80))
    parts = [
        ("稟議制是什麼?", with_figure[:1]),
        ("受訪的台灣企業有幾家?", with_figure),  # the second best gives it
        ("出島有多少家?", figure_third),  # only the third best: not answered
    ]
    assert extractive.unanswered_parts("…", [], parts) == ["出島有多少家?"]
    # a question of one sentence is its own part
    assert extractive.unanswered_parts("出島有多少家?", figure_third) == ["出島有多少家?"]
    assert extractive.unanswered_parts("受訪的台灣企業有幾家?", with_figure) == []
    assert extractive.unanswered_parts("稟議制是什麼?", figure_third) == []


def test_an_answer_says_which_parts_it_does_not_answer_once_and_a_refusal_does_not() -> None:
    passages = [passage(1, "稟議制是日本特有的決策機制。")]
    chosen = [scored(0, 0, "稟議制是日本特有的決策機制。", 0.95)]
    answer = extractive.compose("稟議制是什麼?簽證怎麼辦?", "zh-TW", passages, chosen, 0.95)
    said = extractive.with_unanswered(answer, ["簽證怎麼辦?"])
    assert said.unanswered == ("簽證怎麼辦?",)
    assert said.answer.splitlines()[-1] == "文件沒有回答這部分:「簽證怎麼辦?」"
    assert said.answer.startswith(answer.answer) and said.citations == answer.citations
    assert extractive.with_unanswered(said, ["簽證怎麼辦?"]) is said
    assert extractive.with_unanswered(answer, []) is answer
    refused = extractive.refusal("簽證怎麼辦?", "zh-TW", 0.5)
    assert extractive.with_unanswered(refused, ["簽證怎麼辦?"]) is refused
    assert said.to_dict()["unanswered"] == ["簽證怎麼辦?"]
