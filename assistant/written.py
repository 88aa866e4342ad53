"""Answers the model writes (``Settings.llm_answers = "written"``): the prompt, what in a reply
is a refusal or an echoed question rather than a statement, and each sentence checked,
attributed and composed with its citations. ``generate.AnswerGenerator`` streams them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assistant.citations import Sentence
from assistant.grounding import Verifier
from assistant.llm import LANGUAGE_LABELS, load_prompt
from assistant.messages import message, translations
from assistant.safety import Quoted, format_passages
from assistant.structured import response_format
from assistant.text import Language, lexical_tokens
from assistant.types import Passage, SentenceCheck

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

MAX_SENTENCES = 4
# An extractive quote whose words the model's sentences hold this much of is not repeated.
COVERED = 0.6


def prompt_inputs(question: str, language: Language, quoted: Quoted) -> dict[str, Any]:
    return {
        "question": question,
        "language_name": LANGUAGE_LABELS[language],
        "refusal": message("answer.refusal", language),
        "max_sentences": MAX_SENTENCES,
        "passage_count": len(quoted.passages),
        "passages": format_passages(quoted),
    }


def answer_chain(model: BaseChatModel, structured: bool = False, passage_count: int = 1) -> Any:
    """prompt | model: the JSON prompt with a schema, or the ``[n]`` prompt. It streams message
    chunks, not text: the last one counts the tokens (``usage_metadata``)."""
    if structured:
        bound: Runnable[Any, Any] = model.bind(
            response_format=response_format(passage_count, MAX_SENTENCES)
        )
        return load_prompt("answer-json.md") | bound
    return load_prompt("answer.md") | model


# -- refusals in the model's words ----------------------------------------------------------
_REFUSAL_PATTERNS = re.compile(
    r"(?:corpus|passages?|documents?|sources?|context)\b[^.!?]{0,40}"
    r"\b(?:does not|doesn't|do not|don't|cannot|can't|did not)\b[^.!?]{0,20}"
    r"\b(?:contain|answer|say|mention|provide|include|cover|address)"
    r"|(?:コーパス|資料|文書|段落)[^。!?]{0,30}(?:ありません|見つかりません|含まれていません|答えられ)"
    r"|(?:語料|语料|資料|资料|段落|文件)[^。!?]{0,30}(?:找不到|沒有|没有|未提及|無法回答|无法回答)",
    re.IGNORECASE,
)


_APOLOGY = re.compile(
    r"^(?:sorry|i am sorry|i'm sorry|unfortunately|申し訳(?:ありません|ございません)|すみません"
    r"|抱歉|對不起|对不起|很抱歉)[.,!。!、,]*$",
    re.IGNORECASE,
)


def is_refusal_statement(claim: str) -> bool:
    if _APOLOGY.match(claim.strip()):
        return True
    folded = re.sub(r"\W", "", claim).casefold()
    for said in translations("answer.refusal").values():
        if re.sub(r"\W", "", said).casefold() in folded:
            return True
    return bool(_REFUSAL_PATTERNS.search(claim))


def is_question(claim: str) -> bool:
    """A sentence that asks (the model echoing the question) states nothing to show."""
    return claim.rstrip().endswith(("?", "?"))


# -- step 3: check each sentence, attribute it, show it -----------------------------------------
def attribute(sentence: Sentence, texts: Sequence[str], verifier: Verifier) -> SentenceCheck:
    """``sentence`` checked against the passages it cites; when they do not support it (or it
    cites none, or numbers not given), against each other passage alone: the best one that
    supports it becomes its citation."""
    cited = tuple(n for n in sentence.citations if 1 <= n <= len(texts))
    reason = "cites no passage"
    score = 0.0
    if cited:
        verdict = verifier.verify(sentence.claim, [texts[n - 1] for n in cited])
        if verdict.supported:
            return SentenceCheck(sentence.claim, cited, True, verdict.score, verdict.reason)
        reason, score = verdict.reason, verdict.score
    best: tuple[int, Any] | None = None
    for n in range(1, len(texts) + 1):
        if cited == (n,):
            continue
        verdict = verifier.verify(sentence.claim, [texts[n - 1]])
        if verdict.supported and (best is None or verdict.score > best[1].score):
            best = (n, verdict)
    if best is not None:
        n, verdict = best
        return SentenceCheck(
            sentence.claim, (n,), True, verdict.score, f"attributed to [{n}]: {verdict.reason}"
        )
    return SentenceCheck(sentence.claim, cited, False, score, reason)


@dataclass
class Composer:
    """The answer as it is shown: checked sentences, passages numbered in the order cited."""

    language: Language
    numbers: dict[str, int] = field(default_factory=dict)  # chunk id -> shown number
    cited: dict[int, Passage] = field(default_factory=dict)  # shown number -> passage
    shown: list[SentenceCheck] = field(default_factory=list)
    dropped: list[SentenceCheck] = field(default_factory=list)

    def add(self, check: SentenceCheck, passages: Sequence[Passage]) -> str:
        """The text to show for ``check``, whose citations number ``passages`` from 1 ("" when
        it is dropped)."""
        if not check.supported:
            self.dropped.append(check)
            return ""
        shown_numbers = []
        for n in check.citations:
            passage = passages[n - 1]
            number = self.numbers.setdefault(passage.chunk_id, len(self.numbers) + 1)
            self.cited[number] = passage
            shown_numbers.append(number)
        self.shown.append(replace(check, citations=tuple(shown_numbers)))
        markers = "".join(f"[{n}]" for n in shown_numbers)
        gap = " " if self.language == "en" and len(self.shown) > 1 else ""
        return f"{gap}{check.text}{markers}"

    def says(self, sentence: str) -> bool:
        """Whether the sentences shown already say most of ``sentence`` (by its words)."""
        wanted = set(lexical_tokens(sentence))
        said = set(lexical_tokens(" ".join(check.text for check in self.shown)))
        return bool(wanted) and len(wanted & said) >= COVERED * len(wanted)

    @property
    def text(self) -> str:
        gap = " " if self.language == "en" else ""
        return gap.join(
            check.text + "".join(f"[{n}]" for n in check.citations) for check in self.shown
        )
