"""Generated answers through an OpenAI-compatible endpoint, checked sentence by sentence.

Used instead of the extractive mode when ``Settings.llm_configured``.

Step 1: quote the retrieved passages as numbered, delimited, untrusted material
        (``assistant.safety``: instruction-like sentences are quarantined first).
Step 2: prompt | chat model | text parser (an LCEL chain), streamed under a deadline
        (``assistant.llm``); the text is cleaned as it streams.
Step 3: clean the whole text: markers to passages not given, links and images not in a cited
        passage, echoed delimiters, sentences that repeat quarantined text.
Step 4: check each sentence (``assistant.citations``) with the ``Verifier`` against the
        passages it cites.
Step 5: decide: supported, partial (some sentences flagged), or a refusal (none supported).

A fault in step 2 (endpoint down, too slow, garbage) raises ``GenerationFailed``;
``answer_stream`` then hands back the caller's extractive answer with a notice.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from assistant.citations import Sentence, claim_text, sentences_with_citations
from assistant.errors import GenerationFailed
from assistant.grounding import Verifier
from assistant.llm import (
    LANGUAGE_LABELS,
    chat_model,
    cut_at_special,
    load_prompt,
    stream_with_deadline,
)
from assistant.messages import message, translations
from assistant.safety import (
    Cleaner,
    Quoted,
    StreamGuard,
    format_passages,
    quote,
    without_instructions,
)
from assistant.text import Language, has_searchable_content
from assistant.types import Answer, Citation, Passage, SentenceCheck

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from assistant.settings import Settings

log = logging.getLogger(__name__)

MAX_SENTENCES = 5


def prompt_inputs(question: str, language: Language, quoted: Quoted) -> dict[str, Any]:
    return {
        "question": question,
        "language_name": LANGUAGE_LABELS[language],
        "refusal": message("answer.refusal", language),
        "max_sentences": MAX_SENTENCES,
        "passage_count": len(quoted.passages),
        "passages": format_passages(quoted),
    }


def answer_chain(model: BaseChatModel) -> Runnable[dict[str, Any], str]:
    from langchain_core.output_parsers import StrOutputParser

    return load_prompt("answer.md") | model | StrOutputParser()


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
    for refusal in translations("answer.refusal").values():
        if re.sub(r"\W", "", refusal).casefold() in folded:
            return True
    return bool(_REFUSAL_PATTERNS.search(claim))


# -- steps 3-5: clean, verify, decide -----------------------------------------------------
@dataclass(frozen=True)
class Cleaned:
    """The model's reply once cleaned: the text to show, its sentences, what was removed."""

    text: str
    sentences: tuple[Sentence, ...]
    refusal_said: bool
    notices: tuple[str, ...]


def clean_reply(raw: str, language: Language, quoted: Quoted) -> Cleaned:
    """Step 3: markers to passages not given go; then each sentence is cleaned against the
    passages it cites, and dropped when it echoes quarantined text."""
    text, _ = cut_at_special(raw)
    if not has_searchable_content(text):
        raise GenerationFailed("garbage", "the reply has no text")
    markers = Cleaner(len(quoted.passages))
    text = markers.markers(text)
    refusal_said = False
    for refusal in translations("answer.refusal").values():
        if refusal in text:
            text = text.replace(refusal, "")
            refusal_said = True
    notices: list[str] = []
    if markers.removed_markers:
        items = "".join(f"[{n}]" for n in sorted(markers.removed_markers))
        notices.append(message("notice.markers", language, items=items))
    pieces: list[str] = []
    kept: list[Sentence] = []
    cursor = 0
    links = 0
    for sentence in sentences_with_citations(text):
        pieces.append(text[cursor : sentence.start])
        cursor = sentence.end
        sources = quoted.link_sources(sentence.citations)
        cleaner = Cleaner(len(quoted.passages), sources, quoted.tainted)
        shown = cleaner.clean(text[sentence.start : sentence.end])
        links += cleaner.removed_links
        claim = claim_text(shown)
        if cleaner.removed_tainted or not has_searchable_content(claim):
            continue
        pieces.append(shown)
        kept.append(replace(sentence, claim=claim))
    pieces.append(text[cursor:])
    if not kept and not refusal_said:
        raise GenerationFailed("garbage", "nothing usable in the reply")
    if links:
        notices.append(message("notice.links", language))
    if quoted.quarantined:
        notices.append(message("notice.quarantined", language))
    shown_text = re.sub(r"[ \t]{2,}", " ", "".join(pieces)).strip()
    return Cleaned(shown_text, tuple(kept), refusal_said, tuple(notices))


def check_sentences(
    sentences: Sequence[Sentence], quoted: Quoted, verifier: Verifier
) -> tuple[list[SentenceCheck], bool]:
    """Step 4: each sentence against the passages it cites; also whether one of them says
    that the passages do not answer."""
    checks: list[SentenceCheck] = []
    refusal_said = False
    for sentence in sentences:
        if is_refusal_statement(sentence.claim):
            refusal_said = True
            continue
        if not sentence.citations:
            checks.append(SentenceCheck(sentence.claim, (), False, 0.0, "cites no passage"))
            continue
        cited_texts = [quoted.texts[n - 1] for n in sentence.citations]
        verdict = verifier.verify(sentence.claim, cited_texts)
        checks.append(
            SentenceCheck(
                sentence.claim, sentence.citations, verdict.supported, verdict.score, verdict.reason
            )
        )
    return checks, refusal_said


def finish(
    raw: str,
    question: str,
    language: Language,
    quoted: Quoted,
    verifier: Verifier,
    timings: dict[str, float],
) -> Answer:
    """The final ``Answer`` for the model's complete text ``raw``."""
    cleaned = clean_reply(raw, language, quoted)
    notices = list(cleaned.notices)
    started = time.perf_counter()
    checks, refused_in_text = check_sentences(cleaned.sentences, quoted, verifier)
    timings = {**timings, "verify": round((time.perf_counter() - started) * 1000, 1)}

    # Step 5: decide
    supported = [check for check in checks if check.supported]
    unsupported = len(checks) - len(supported)
    if not supported:
        if checks and not (cleaned.refusal_said or refused_in_text):
            notices.append(message("notice.withheld", language))
        return Answer(
            question=question,
            language=language,
            mode="generative",
            answer=message("answer.refusal", language),
            refused=True,
            timings_ms=timings,
            grounding="refused",
            sentences=tuple(checks),
            notice=" ".join(notices) or None,
        )
    if unsupported:
        notices.append(message("notice.unsupported", language, count=unsupported))
    cited = sorted({n for check in checks for n in check.citations})
    return Answer(
        question=question,
        language=language,
        mode="generative",
        answer=cleaned.text,
        refused=False,
        citations=tuple(Citation(n, quoted.passages[n - 1]) for n in cited),
        timings_ms=timings,
        grounding="partial" if unsupported else "supported",
        sentences=tuple(checks),
        notice=" ".join(notices) or None,
    )


# -- the generator ----------------------------------------------------------------------------
class AnswerGenerator:
    """Streams a generated answer: text pieces, then the final ``Answer``."""

    def __init__(self, model: BaseChatModel, verifier: Verifier, timeout: float = 60.0) -> None:
        self.chain = answer_chain(model)
        self.verifier = verifier
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings, verifier: Verifier) -> AnswerGenerator:
        return cls(chat_model(settings), verifier, settings.llm_timeout)

    def stream(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
    ) -> Iterator[str | Answer]:
        """Raises ``GenerationFailed`` (possibly after some pieces) when the endpoint fails.
        The final ``Answer`` carries the timings of the model (``first_token``, ``generate``)
        and of the check (``verify``)."""
        timings: dict[str, float] = {}
        # Step 1: passages as quoted material
        quoted = quote(passages, question)
        inputs = prompt_inputs(question, language, quoted)
        # Step 2: stream through the chain, cleaning as we go
        sources = quoted.link_sources(range(1, len(passages) + 1))
        guard = StreamGuard(Cleaner(len(passages), sources, quoted.tainted))
        raw: list[str] = []
        started = time.perf_counter()
        for piece in stream_with_deadline(lambda: self.chain.stream(inputs), self.timeout):
            if piece and "first_token" not in timings:  # (servers open with an empty delta)
                timings["first_token"] = round((time.perf_counter() - started) * 1000, 1)
            raw.append(piece)
            shown = guard.feed(piece)
            if shown:
                yield shown
            if guard.ended:
                break
        tail = guard.close()
        if tail:
            yield tail
        timings["generate"] = round((time.perf_counter() - started) * 1000, 1)
        # Steps 3-5
        yield finish("".join(raw), question, language, quoted, self.verifier, timings)


def answer_stream(
    generator: AnswerGenerator,
    question: str,
    language: Language,
    passages: Sequence[Passage],
    fallback: Callable[[Sequence[Passage]], Answer],
) -> Iterator[str | Answer]:
    """``generator.stream``, falling back to ``fallback(passages)`` with a notice when it fails;
    the fallback gets the passages without their instruction-like sentences. Without passages
    there is nothing to generate from: the fallback answers (refuses)."""
    if not passages:
        yield fallback(passages)
        return
    try:
        yield from generator.stream(question, language, passages)
    except GenerationFailed as error:
        log.warning("language model failed (%s); using the extractive answer", error)
        kind = error.kind if error.kind in ("timeout", "unavailable") else "garbage"
        notice = message("notice.fallback", language, reason=message(f"reason.{kind}", language))
        answer = fallback(without_instructions(passages))
        yield replace(answer, notice=f"{notice} {answer.notice}" if answer.notice else notice)
