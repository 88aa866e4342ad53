"""Questions that name a glossary term, with the real embedder: a term quoted in another
script is searched under the question's own name for it, and a question that asks only what a
term is gets the sentence that defines it, even where so short a question scores under the
refusal threshold ("What is nemawashi?" was refused)."""

from __future__ import annotations

import pytest
from conftest import Workspace

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
