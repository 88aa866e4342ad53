"""Answers the model writes (``Settings.llm_answers = "written"``): the prompt, what in a reply
is a refusal or an echoed question rather than a statement, and each sentence checked,
attributed and composed with its citations, as the reply streams (``WrittenAnswers``).

Step 1: the best sentences of the extractive scoring, as numbered, untrusted passages
        (``safety``): prompt length is latency.
Step 2: the model answers as JSON (``structured``: sentences, each with the passages it rests on)
        where the endpoint takes a schema, else as text with ``[n]`` markers (``citations``).
Step 3: each sentence, once complete, is checked (``grounding``) against the passages it cites;
        a sentence with no or wrong numbers is attributed to the passage that supports it, and
        one that no passage supports is dropped and reported. Only checked sentences are shown,
        as they pass: nothing shown is withdrawn.
Step 4: an answer with no supported sentence, or that the model says the passages do not
        answer, becomes the extractive answer with a notice (``model_reply``).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assistant.answer import ScoredSentence
from assistant.citations import Sentence, normalise_markers, sentences_with_citations
from assistant.errors import GenerationFailed
from assistant.excerpts import excerpts
from assistant.grounding import Verifier
from assistant.llm import LANGUAGE_LABELS, cut_at_special, load_prompt
from assistant.messages import message, translations
from assistant.model_reply import (
    elapsed_ms,
    failure_notice,
    fallback,
    model_refusal,
    reply_pieces,
)
from assistant.safety import Cleaner, Quoted, format_passages, quote, without_instructions
from assistant.structured import ReplyReader, response_format
from assistant.text import Language, frame_language, has_searchable_content, lexical_tokens
from assistant.types import QUOTED, Answer, Citation, Passage, SentenceCheck

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

log = logging.getLogger(__name__)

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


@dataclass
class WrittenAnswers:
    """Answers in the model's own sentences, each checked by ``verifier`` against the passages
    it cites. ``structured``: asked as JSON (a schema); an endpoint that refuses one is asked for
    text with ``[n]`` markers from then on. ``strong_evidence``: the evidence from which the
    extractive answer stands even when the model says the passages do not answer."""

    model: BaseChatModel
    verifier: Verifier
    timeout: float
    structured: bool
    strong_evidence: float

    def stream(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        ranked: Sequence[ScoredSentence],
        extractive: Answer,
    ) -> Iterator[str | Answer]:
        """Raises ``GenerationFailed`` (before any text is shown) when the endpoint fails.
        ``ranked`` scores the sentences of ``passages`` once their instruction-like sentences
        are removed (``without_instructions``); ``extractive`` is the answer to fall back on."""
        # Step 1: the sentences that matter, as quoted material; what reads as instructions
        # to a model is held back (and tokens only found there are never shown)
        held_back = quote(passages, question)
        safe = without_instructions(passages)
        chosen = excerpts(safe, ranked)
        given = [safe[index] for index, _ in chosen]
        cut = [replace(safe[index], text=text) for index, text in chosen]
        hostile = frozenset(n for n, (i, _) in enumerate(chosen, 1) if i + 1 in held_back.hostile)
        quoted = replace(
            quote(cut, question),
            quarantined=held_back.quarantined,
            tainted=held_back.tainted,
            hostile=hostile,
        )
        inputs = prompt_inputs(question, language, quoted)
        texts = [p.text for p in given]
        timings: dict[str, float] = {"prompt_chars": float(len(inputs["passages"]))}
        composer = Composer(language)
        cleaner_links = 0
        answerable = True
        started = time.perf_counter()

        def show(sentence: Sentence) -> str:
            nonlocal cleaner_links
            cleaner = Cleaner(len(given), quoted.link_sources(sentence.citations), quoted.tainted)
            claim = " ".join(cleaner.clean(sentence.claim).split())
            cleaner_links += cleaner.removed_links
            if cleaner.removed_tainted or not has_searchable_content(claim):
                return ""
            if is_refusal_statement(claim) or is_question(claim):
                return ""
            if frame_language(claim) != language:
                composer.dropped.append(
                    SentenceCheck(claim, sentence.citations, False, 0.0, "another language")
                )
                return ""
            check = attribute(replace(sentence, claim=claim), texts, self.verifier)
            shown = composer.add(check, given)
            if shown and "first_sentence" not in timings:
                timings["first_sentence"] = elapsed_ms(started)
            return shown

        # Step 2: the model's reply, read as it streams
        def structured_reply() -> Iterator[str]:
            nonlocal answerable
            reader = ReplyReader()
            chain = answer_chain(self.model, True, len(given))
            for piece in reply_pieces(chain, inputs, timings, started, self.timeout):
                for sentence in reader.feed(piece):
                    if reader.answerable is False:
                        answerable = False
                        continue
                    shown = show(sentence)
                    if shown:
                        yield shown
            if reader.answerable is False:
                answerable = False
            if reader.position is None:
                raise GenerationFailed("garbage", "the reply is not the JSON asked for")

        def text_reply() -> Iterator[str]:
            nonlocal answerable, cleaner_links
            raw = "".join(
                reply_pieces(answer_chain(self.model), inputs, timings, started, self.timeout)
            )
            text, _ = cut_at_special(raw)
            text, _ = normalise_markers(" ".join(text.split()), len(given))
            # Links and images go before the text is cut into sentences (a URL's "?" is not
            # the end of one); those of the cited passages are allowed back sentence by sentence.
            whole = Cleaner(
                len(given), quoted.link_sources(range(1, len(given) + 1)), quoted.tainted
            )
            text = whole.clean(text)
            cleaner_links += whole.removed_links
            if whole.removed_tainted and not has_searchable_content(text):
                text = ""
            if any(refusal in text for refusal in translations("answer.refusal").values()):
                answerable = False
            if answerable and not has_searchable_content(text):
                raise GenerationFailed("garbage", "the reply has no text")
            for sentence in sentences_with_citations(text) if answerable else []:
                shown = show(sentence)
                if shown:
                    yield shown

        failure: GenerationFailed | None = None
        try:
            if self.structured:
                try:
                    yield from structured_reply()
                except GenerationFailed as error:
                    # An endpoint without structured output refuses the schema outright: ask
                    # it (and from now on) for [n] markers instead.
                    if "BadRequest" not in str(error) or "first_token" in timings:
                        raise
                    log.warning("the endpoint takes no JSON schema (%s); asking for text", error)
                    self.structured = False
                    yield from text_reply()
            else:
                yield from text_reply()
        except GenerationFailed as error:
            if not composer.shown:
                raise  # nothing shown yet: the extractive answer, with the reason
            failure = error  # keep what was shown and checked, say that it was cut short
        timings["generate"] = elapsed_ms(started)

        # Step 4: decide
        if not answerable or not composer.shown:
            if not answerable:
                yield from model_refusal(
                    extractive, language, composer.dropped, timings, self.strong_evidence
                )
            else:
                yield from fallback(
                    extractive, language, "model_unverified", composer.dropped, timings
                )
            return
        # The quotes the extractive answer chose stay, after the model's sentences, where
        # those do not already say them: the generated answer never holds less.
        for citation in extractive.citations:
            for text in citation.quotes:
                if not composer.says(text):
                    check = SentenceCheck(text, (1,), True, 1.0, QUOTED)
                    yield composer.add(check, [citation.passage])
        notices = []
        if failure is not None:
            notices.append(failure_notice("notice.cut_short", failure, language))
        if composer.dropped:
            notices.append(message("notice.dropped", language, count=len(composer.dropped)))
        if cleaner_links:
            notices.append(message("notice.links", language))
        if quoted.quarantined:
            notices.append(message("notice.quarantined", language))
        yield Answer(
            question=question,
            language=language,
            mode="generative",
            answer=composer.text,
            refused=False,
            citations=tuple(Citation(n, composer.cited[n]) for n in sorted(composer.cited)),
            timings_ms=timings,
            grounding="supported",
            sentences=tuple(composer.shown) + tuple(composer.dropped),
            notice=" ".join(notices) or None,
            evidence=extractive.evidence,
        )
