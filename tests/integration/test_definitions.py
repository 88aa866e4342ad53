"""Questions that name a glossary term, with the real embedder: a term quoted in another
script is searched under the question's own name for it, and a question that asks only what a
term is gets the sentence that defines it, even where so short a question scores under the
refusal threshold ("What is nemawashi?" was refused); a question of several sentences says which
of them the documents do not answer, and a question for a figure is refused where the sentences
that match it best give none."""

from __future__ import annotations

import pytest
from conftest import Workspace

from assistant.answer import refusal_threshold

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]


@pytest.mark.parametrize(
    ("question", "defining"),
    [
        ("What is nemawashi?", "privately consult every relevant department"),
        ("What is 稟議制?", "Ringi is a uniquely Japanese"),
        ("什麼是 nemawashi?", "必須私下與所有相關部門進行溝通疏通"),
        # The Japanese edition defines it in the sentence after the one naming it
        ("根回しとは?", "すなわち、正式に提案する前に"),
    ],
)
def test_a_question_asking_what_a_term_is_gets_its_definition(
    e5_workspace: Workspace, question: str, defining: str
) -> None:
    answer = e5_workspace.assistant.ask(question)
    assert not answer.refused
    assert defining in answer.answer
    assert answer.citations


def test_a_question_that_asks_more_about_a_term_is_still_judged_by_its_evidence(
    e5_workspace: Workspace,
) -> None:
    answer = e5_workspace.assistant.ask("What visa does Japan give for nemawashi?")
    assert answer.refused


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        (
            "稟議制は誰から始まる仕組みですか?東京のコワーキングスペースの月額料金はいくらですか?",
            "東京のコワーキングスペースの月額料金はいくらですか?",
        ),
        (
            "What share of the Taiwanese startups surveyed are deep tech? "
            "How much does a desk at a Tokyo coworking space cost per month?",
            "How much does a desk at a Tokyo coworking space cost per month?",
        ),
    ],
)
def test_a_question_answered_in_part_says_which_part_is_missing(
    e5_workspace: Workspace, question: str, missing: str
) -> None:
    answer = e5_workspace.assistant.ask(question)
    assert not answer.refused
    assert answer.unanswered == (missing,)
    assert missing in answer.answer.splitlines()[-1]
    assert answer.citations


@pytest.mark.parametrize(
    "question",
    [
        "How many Japanese companies have actually set up a Dejima unit so far?",
        "日本にはすでに出島を設けた企業が何社ありますか?",
    ],
)
def test_a_question_for_a_figure_the_documents_do_not_give_is_refused(
    e5_workspace: Workspace, question: str
) -> None:
    """The sentences that name Dejima score over the refusal threshold; none gives a count."""
    answer = e5_workspace.assistant.ask(question)
    assert answer.evidence >= refusal_threshold()
    assert answer.refused


def test_a_question_for_a_figure_the_documents_give_is_answered(e5_workspace: Workspace) -> None:
    answer = e5_workspace.assistant.ask("How many Taiwanese companies did the survey cover?")
    assert not answer.refused
    assert "39" in answer.answer
