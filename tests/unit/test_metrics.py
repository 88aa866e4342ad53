"""Retrieval, citation, refusal and verifier metrics, the answer splitter and the gate."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from assistant.errors import GateError
from eval.gates import check_gates, parse_gate
from eval.metrics import (
    citation_score,
    confusion,
    fact_coverage,
    hit_at,
    ndcg_at,
    passage_hits,
    percentile,
    reciprocal_rank,
    refusal_score,
)
from eval.run import answer_sentences, said_missing
from eval.summary import summarize

pytestmark = pytest.mark.unit


def test_passage_hits_ignore_width_and_white_space() -> None:
    hits = passage_hits(["分析本次調查的 39 家台灣受訪企業", "無關"], ["本次調查的39家"])
    assert hits == [True, False]


def test_rank_metrics() -> None:
    hits = [False, True, False, True]
    assert hit_at(hits, 1) == 0.0
    assert hit_at(hits, 2) == 1.0
    assert reciprocal_rank(hits) == 0.5
    assert reciprocal_rank([False, False]) == 0.0
    assert ndcg_at([True, False], 10) == 1.0
    assert ndcg_at([False, False], 10) == 0.0
    # two relevant at ranks 2 and 4, ideal at ranks 1 and 2
    expected = (1 / 1.584962500721156 + 1 / 2.321928094887362) / (1 + 1 / 1.584962500721156)
    assert ndcg_at(hits, 10) == pytest.approx(expected)


def test_fact_coverage_counts_groups() -> None:
    facts = [["39"], ["54%", "五成四"]]
    assert fact_coverage("共 39 家,佔 54%", facts) == 1.0
    assert fact_coverage("共 39 家", facts) == 0.5
    assert fact_coverage("anything", []) is None


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([], 0.95) == 0.0
    assert percentile([10], 0.95) == 10


def test_confusion_counts_unsupported_as_the_positive_class() -> None:
    labels = [True, True, True, False, False, False, False]
    verdicts = [True, True, False, False, False, True, False]
    table = confusion(labels, verdicts)
    assert (table.supported_accepted, table.supported_rejected) == (2, 1)
    assert (table.unsupported_accepted, table.unsupported_rejected) == (1, 3)
    assert table.accuracy == pytest.approx(5 / 7)
    assert table.balanced_accuracy == pytest.approx((2 / 3 + 3 / 4) / 2)
    assert table.unsupported_precision == pytest.approx(3 / 4)
    assert table.unsupported_recall == pytest.approx(3 / 4)
    assert "| supported | 2 | 1 |" in table.matrix()


def test_refusal_precision_and_recall() -> None:
    score = refusal_score(
        answerable=[True, True, False, False, False], refused=[False, True, True, True, False]
    )
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == pytest.approx(2 / 3)


class SetJudge:
    """Entailment by lookup: a sentence is entailed when one of its supporting passages is
    among those given."""

    def __init__(self, support: dict[str, set[str]]) -> None:
        self.support = support

    def __call__(self, claim: str, passages: Sequence[str]) -> bool:
        return bool(self.support.get(claim, set()) & set(passages))


def test_citation_recall_and_precision_follow_alce() -> None:
    passages = {1: "P1", 2: "P2", 3: "P3"}
    judge = SetJudge({"a": {"P1"}, "b": {"P2"}, "c": {"P3"}})
    sentences = [
        ("a", [1, 2]),  # supported; [2] neither supports alone nor is needed: irrelevant
        ("b", [2]),  # supported, precise
        ("c", [1]),  # cites the wrong passage: not supported, its citation irrelevant
        ("d", []),  # no citation: not supported
    ]
    score = citation_score(sentences, passages, judge)
    assert score.recall == pytest.approx(2 / 4)
    assert score.citations == 4
    assert score.precision == pytest.approx(2 / 4)
    assert score.faithfulness == pytest.approx(3 / 4)  # a, b, c are in the cited passages


def test_a_citation_needed_jointly_is_relevant() -> None:
    both = {"P1", "P2"}

    def joint(claim: str, passages: Sequence[str]) -> bool:
        return both <= set(passages)

    score = citation_score([("x", [1, 2])], {1: "P1", 2: "P2"}, joint)
    assert score.recall == 1.0
    assert score.precision == 1.0


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            "根據語料:\n分析本次調查的 39 家台灣受訪企業。[1]台灣新創的佔比已達 54%。[2]",
            [("分析本次調查的 39 家台灣受訪企業。", [1]), ("台灣新創的佔比已達 54%。", [2])],
        ),
        (
            "According to the corpus:\nJapan plans.[1] Taiwan builds.[1][2]",
            [("Japan plans.", [1]), ("Taiwan builds.", [1, 2])],
        ),
        ("コーパスによると:\n稟議制は日本特有だ[3]。", [("稟議制は日本特有だ。", [3])]),
        (
            "No citations at all. Two sentences!",
            [("No citations at all.", []), ("Two sentences!", [])],
        ),
    ],
)
def test_answer_sentences_keep_their_citations(
    answer: str, expected: list[tuple[str, list[int]]]
) -> None:
    assert answer_sentences(answer) == expected


def record(lang: str, answerable: bool, refused: bool, hits: list[bool]) -> dict[str, object]:
    return {
        "id": f"{lang}-x",
        "lang": lang,
        "answerable": answerable,
        "refused": refused,
        "hits": hits,
        "baseline_hits": [False, *hits][:10],
        "fact_coverage": None if refused else 1.0,
        "language_match": True,
        "timings_ms": {"total": 100.0},
        "citation_recall": 1.0,
        "citation_precision": 0.5,
        "faithfulness": 1.0,
    }


def test_summary_per_language_and_gates() -> None:
    records = [
        record("zh", True, False, [True]),
        record("ja", True, False, [False, True]),
        record("en", False, True, [False]),
        record("en", True, True, [True]),
    ]
    table = summarize(records)
    assert set(table) == {"zh", "ja", "en", "all"}
    assert table["ja"]["mrr"] == 0.5
    assert table["ja"]["baseline_mrr"] == pytest.approx(1 / 3)
    assert table["en"]["false_refusals"] == 1
    assert table["en"]["refusal_recall"] == 1.0
    assert table["en"]["fact_coverage"] == 0.0
    assert table["all"]["hit@1"] == pytest.approx(2 / 3)
    assert check_gates(table, [parse_gate("hit@1=0.5"), parse_gate("zh.mrr=1")]) == []
    failures = check_gates(table, [parse_gate("ja.hit@1=0.9")])
    assert failures == ["ja.hit@1 = 0.000 is under 0.9"]


def test_a_part_said_missing_is_matched_to_the_labelled_part_it_rewords() -> None:
    asks = ["受訪的台灣新創中,深科技佔多少比例?", "日本對台灣創業者提供哪些簽證?"]
    assert said_missing(["日本提供台灣創業者什麼簽證?"], asks) == {1}
    assert said_missing(
        ["What visas does Japan offer?"], ["How many?", "Which visa is offered?"]
    ) == {1}
    assert said_missing([], asks) == set()
    assert said_missing(["完全無關"], asks) == set()


def test_summary_of_parts_said_missing() -> None:
    def with_parts(refused: bool, said: list[bool], answerable: list[bool]) -> dict[str, object]:
        row = record("en", True, refused, [True])
        row["unanswered"] = ["x"] if any(said) else []
        row["parts"] = [
            {"ask": "q", "answerable": a, "said_missing": s}
            for a, s in zip(answerable, said, strict=True)
        ]
        return row

    plain = record("en", True, False, [True]) | {"unanswered": ["y"]}
    records = [
        with_parts(False, [False, True], [True, False]),
        with_parts(False, [False, False, False], [True, True, False]),
        with_parts(True, [False, True], [True, False]),  # refused: not counted
        plain,
    ]
    row = summarize(records)["all"]
    assert row["missing_part_recall"] == 0.5
    assert row["present_part_said_missing"] == 0.0
    assert row["answers_saying_part_missing"] == 1


@pytest.mark.parametrize("text", ["hit@1", "speed=1", "hit@1=high"])
def test_bad_gates_are_usage_errors(text: str) -> None:
    with pytest.raises(GateError):
        parse_gate(text)


def test_the_share_of_missing_parts_said_can_be_gated() -> None:
    gate = parse_gate("missing_part_recall=0.17")
    assert gate.metric == "missing_part_recall" and gate.minimum == 0.17


def test_the_share_the_model_answered_can_be_gated() -> None:
    records = [record("en", True, False, [True]) | {"mode": "generative"}]
    records.append(record("en", True, False, [True]) | {"mode": "extractive"})
    table = summarize(records)
    assert table["all"]["generated"] == 0.5
    assert check_gates(table, [parse_gate("generated=0.8")]) == ["generated = 0.500 is under 0.8"]
