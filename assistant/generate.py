"""Generated answers through an OpenAI-compatible endpoint: never worse than the extractive one.

The extractive answer comes first (``api``): it is the floor. When it refuses, the corpus does
not answer and no model is asked. Otherwise the model answers in one of two ways
(``Settings.llm_answers``):

"quotes" (the default, for the small model Kakehashi ships): the best sentences of the
        extractive scoring and their neighbours go to the model numbered; it names the ones
        that answer the question, most direct first (JSON schema, ``structured.ChoiceReader``),
        and each is shown verbatim with its citation as soon as its number is complete. What is
        shown is the passages' own words: a model that cannot be checked for meaning cannot
        make it unfaithful. The extractive answer's quotes follow where it left them out.
"written": the model writes its own sentences.
Step 1: the same sentences, as numbered, untrusted passages (``safety``): prompt length is
        latency.
Step 2: the model answers as JSON (``structured``: sentences, each with the passages it rests on)
        where the endpoint takes a schema, else as text with ``[n]`` markers (``citations``).
Step 3: each sentence, once complete, is checked (``grounding``) against the passages it cites;
        a sentence with no or wrong numbers is attributed to the passage that supports it, and
        one that no passage supports is dropped and reported. Only checked sentences are shown,
        as they pass: nothing shown is withdrawn.
Step 4: an answer with no supported sentence, or that the model says the passages do not
        answer, becomes the extractive answer with a notice. So does an endpoint that fails
        (down, too slow, garbage), in either way of answering.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assistant import thresholds
from assistant.answer import ScoredSentence, refusal, refusal_threshold
from assistant.citations import Sentence, normalise_markers, sentences_with_citations
from assistant.errors import GenerationFailed
from assistant.excerpts import excerpt_sentences, excerpts
from assistant.grounding import Verifier
from assistant.llm import (
    chat_model,
    cut_at_special,
    load_prompt,
    stream_with_deadline,
)
from assistant.messages import message, translations
from assistant.quotes import (
    MAX_QUOTES,
    ChoiceReader,
    QuoteComposer,
    choice_format,
    numbered_sentences,
)
from assistant.safety import (
    Cleaner,
    quote,
    without_instructions,
)
from assistant.structured import ReplyReader, StreamedReply
from assistant.text import Language, frame_language, has_searchable_content
from assistant.types import QUOTED, Answer, Citation, Passage, SentenceCheck
from assistant.written import (
    Composer,
    answer_chain,
    attribute,
    is_question,
    is_refusal_statement,
    prompt_inputs,
)

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.settings import AnswerStyle, Settings

log = logging.getLogger(__name__)

# A model's "the passages do not answer" refuses unless the evidence clears the refusal
# threshold by this much (the extractive answer then stands, with a notice).
STRONG_EVIDENCE_MARGIN = 0.04
TOP_LOGPROBS = 10  # alternatives read for the token that says whether the sentences answer


# -- the generator ----------------------------------------------------------------------------
class AnswerGenerator:
    """Streams a generated answer: checked sentences as they pass, then the final ``Answer``."""

    def __init__(
        self,
        model: BaseChatModel,
        verifier: Verifier,
        timeout: float = 60.0,
        structured: bool = True,
        answers: AnswerStyle = "quotes",
        strong_evidence: float = 0.0,
    ) -> None:
        self.model = model
        self.verifier = verifier
        self.timeout = timeout
        self.structured = structured
        self.answers = answers
        # Evidence from which the extractive answer stands even when the model says the
        # passages do not answer; below it, the model's word makes the answer a refusal.
        # Where the endpoint gives logprobs, P(answerable is false) decides instead.
        self.strong_evidence = strong_evidence
        self.unanswerable = thresholds.quotes().unanswerable

    @property
    def confirms(self) -> bool:
        """Whether a question just under the refusal threshold is put to the model (quotes
        only: its word on whether the sentences answer is read from its logprobs)."""
        return self.answers == "quotes"

    @classmethod
    def from_settings(cls, settings: Settings, verifier: Verifier) -> AnswerGenerator:
        return cls(
            chat_model(settings),
            verifier,
            settings.llm_timeout,
            settings.llm_structured,
            settings.llm_answers,
            refusal_threshold(settings.min_evidence) + STRONG_EVIDENCE_MARGIN,
        )

    def stream(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        ranked: Sequence[ScoredSentence],
        extractive: Answer,
        parts: Sequence[Sequence[ScoredSentence]] = (),
        unconfirmed: Answer | None = None,
    ) -> Iterator[str | Answer]:
        """Raises ``GenerationFailed`` (before any text is shown) when the endpoint fails.
        ``ranked`` scores the sentences of ``passages`` once their instruction-like sentences
        are removed (``without_instructions``); ``parts`` scores them against each sentence of
        a question of several (``excerpt_sentences``; quotes only); ``extractive`` is the
        answer to fall back on. With ``unconfirmed`` (a refusal; quotes only), the evidence was
        just under the threshold: the answer is that refusal unless the model's logprobs say
        the sentences answer."""
        if self.answers == "quotes":
            yield from self._quotes(
                question, language, passages, ranked, extractive, parts, unconfirmed
            )
            return
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
                timings["first_sentence"] = _ms(started)
            return shown

        # Step 2: the model's reply, read as it streams
        def structured_reply() -> Iterator[str]:
            nonlocal answerable
            reader = ReplyReader()
            chain = answer_chain(self.model, True, len(given))
            for piece in self._pieces(chain, inputs, timings, started):
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
            raw = "".join(self._pieces(answer_chain(self.model), inputs, timings, started))
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
        timings["generate"] = _ms(started)

        # Step 4: decide
        if not answerable or not composer.shown:
            if not answerable:
                yield from self._unanswerable(extractive, language, composer.dropped, timings)
            else:
                yield from _fallback(
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

    def _quotes(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        ranked: Sequence[ScoredSentence],
        extractive: Answer,
        parts: Sequence[Sequence[ScoredSentence]] = (),
        unconfirmed: Answer | None = None,
    ) -> Iterator[str | Answer]:
        """The answer in quotes the model picks: it names passage sentences by number (the
        most direct first) and each is shown verbatim, with its citation, as soon as it is
        named; the extractive answer's quotes follow where the model left them out. A model
        that names none, or says the sentences do not answer, gives the extractive answer.
        What reads as instructions to a model is held back from it, and a sentence that would
        lose something when cleaned as a written one is (an image, a link of a passage that held
        instructions) is never quoted: a quote is shown whole or not at all."""
        # Step 1: the sentences that matter, numbered
        held_back = quote(passages, question)
        passages = without_instructions(passages)
        cleaned: dict[str, str] = {}  # chunk id -> its text as a written answer may show it
        for n, passage in enumerate(passages, 1):
            cleaner = Cleaner(len(passages), held_back.link_sources([n]), held_back.tainted)
            cleaned[passage.chunk_id] = cleaner.clean(passage.text)

        def showable(text: str, passage: Passage) -> bool:
            return text in cleaned.get(passage.chunk_id, "")

        candidates = [
            s
            for s in excerpt_sentences(passages, ranked, parts)
            if showable(s.text, passages[s.passage])
        ]
        if not candidates:
            raise GenerationFailed("garbage", "no sentence can be quoted whole")
        inputs: dict[str, Any] = {
            "question": question,
            "max_sentences": MAX_QUOTES,
            "sentences": numbered_sentences(candidates),
        }
        timings: dict[str, float] = {"prompt_chars": float(len(inputs["sentences"]))}
        started = time.perf_counter()
        chain = load_prompt("answer-quotes.md") | self.model.bind(
            response_format=choice_format(len(candidates), MAX_QUOTES),
            logprobs=True,
            top_logprobs=TOP_LOGPROBS,
        )
        # Step 2: each sentence shown as the model names it
        reader = ChoiceReader()
        composer = QuoteComposer(language)
        failure: GenerationFailed | None = None

        # The probability judges the question as a whole: asked several things, the model may
        # call it unanswerable for one of them. So, put several sentences, only its own false
        # refuses an answer; its probability still confirms one just under the threshold.
        weighed = unconfirmed is not None or len(parts) < 2

        def unanswerable() -> bool:
            if reader.unanswerable is not None and weighed:
                return reader.unanswerable >= self.unanswerable
            return reader.answerable is False or unconfirmed is not None  # nothing to confirm by

        try:
            for piece in self._pieces(chain, inputs, timings, started, reader):
                for number in reader.feed(piece):
                    if unanswerable() or not 1 <= number <= len(candidates):
                        continue
                    sentence = candidates[number - 1]
                    shown = composer.add(passages[sentence.passage], sentence.text, picked=True)
                    if shown:
                        timings.setdefault("first_sentence", _ms(started))
                        yield shown
            if reader.position is None:
                raise GenerationFailed("garbage", "the reply is not the JSON asked for")
        except GenerationFailed as error:
            if not composer.quotes:
                raise  # nothing shown yet: the extractive answer, with the reason
            failure = error
        timings["generate"] = _ms(started)
        if reader.unanswerable is not None and weighed:
            timings["unanswerable"] = round(reader.unanswerable, 4)  # for calibrate_answerable
        # Step 3: decide
        if unconfirmed is not None and (unanswerable() or not composer.quotes):
            yield from unconfirmed.answer.splitlines(keepends=True)
            yield replace(unconfirmed, timings_ms={**unconfirmed.timings_ms, **timings})
            return
        if unanswerable() or not composer.quotes:
            probability = reader.unanswerable is not None and weighed
            yield from self._unanswerable(extractive, language, (), timings, probability)
            return
        # The extractive answer's quotes stay, after the model's: never less than it.
        for citation in extractive.citations:
            for text in citation.quotes:
                if not showable(text, citation.passage):
                    continue
                shown = composer.add(citation.passage, text, picked=False)
                if shown:
                    yield shown
        notice = None
        if failure is not None:
            notice = failure_notice("notice.cut_short", failure, language)
        answer = composer.answer(question, extractive.evidence)
        yield replace(answer, timings_ms=timings, notice=notice)

    def _unanswerable(
        self,
        extractive: Answer,
        language: Language,
        dropped: Sequence[SentenceCheck],
        timings: dict[str, float],
        by_probability: bool = False,
    ) -> Iterator[str | Answer]:
        """The model says the passages do not answer: a refusal, unless the evidence of the
        extractive answer is strong, which then stands, with a notice. Its probability, where
        the endpoint gives one, is calibrated (``assistant.thresholds.Quotes``) and stands."""
        if extractive.evidence >= self.strong_evidence and not by_probability:
            yield from _fallback(extractive, language, "model_unanswerable", dropped, timings)
            return
        refused = refusal(extractive.question, language, extractive.evidence)
        yield from refused.answer.splitlines(keepends=True)
        yield replace(
            refused,
            notice=message("notice.model_refusal", language),
            sentences=tuple(dropped),
            timings_ms={**extractive.timings_ms, **timings},
        )

    def _pieces(
        self,
        chain: Any,
        inputs: dict[str, Any],
        timings: dict[str, float],
        started: float,
        reader: StreamedReply | None = None,
    ) -> Iterator[str]:
        for chunk in stream_with_deadline(lambda: chain.stream(inputs), self.timeout):
            if reader is not None:
                reader.read_logprobs(getattr(chunk, "response_metadata", None) or {})
            usage = getattr(chunk, "usage_metadata", None)
            if usage:
                timings["prompt_tokens"] = float(usage.get("input_tokens", 0))
                timings["answer_tokens"] = float(usage.get("output_tokens", 0))
            piece = chunk.content if isinstance(chunk.content, str) else ""
            if piece and "first_token" not in timings:  # (servers open with an empty delta)
                timings["first_token"] = _ms(started)
            yield piece


def failure_notice(key: str, error: GenerationFailed, language: Language) -> str:
    """The notice ``key`` with the reason the endpoint failed: timed out, unavailable, or
    anything else it did ("garbage")."""
    kind = error.kind if error.kind in ("timeout", "unavailable") else "garbage"
    return message(key, language, reason=message(f"reason.{kind}", language))


def _fallback(
    extractive: Answer,
    language: Language,
    kind: str,
    dropped: Sequence[SentenceCheck],
    timings: dict[str, float],
) -> Iterator[str | Answer]:
    """The extractive answer, with a notice saying why the model's is not shown."""
    notice = message(f"notice.{kind}", language)
    yield from extractive.answer.splitlines(keepends=True)
    yield replace(
        extractive,
        notice=f"{notice} {extractive.notice}" if extractive.notice else notice,
        sentences=extractive.sentences + tuple(dropped),
        timings_ms={**extractive.timings_ms, **timings},
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def answer_stream(
    generator: AnswerGenerator,
    question: str,
    language: Language,
    passages: Sequence[Passage],
    ranked: Sequence[ScoredSentence],
    extractive: Answer,
    parts: Sequence[Sequence[ScoredSentence]] = (),
    unconfirmed: Answer | None = None,
) -> Iterator[str | Answer]:
    """The generated answer, or ``extractive`` (the answer on the same passages without their
    instruction-like sentences) when the corpus does not answer or the endpoint fails. With
    ``unconfirmed`` (a refusal), ``extractive`` was found just under the refusal threshold: the
    model must say that its sentences answer, else (and when the endpoint fails) the answer is
    ``unconfirmed``."""
    if extractive.refused or not passages:
        yield from extractive.answer.splitlines(keepends=True)
        yield extractive
        return
    try:
        yield from generator.stream(
            question, language, passages, ranked, extractive, parts, unconfirmed
        )
    except GenerationFailed as error:
        if unconfirmed is not None:
            log.warning("language model failed (%s); nothing confirms the answer", error)
            yield from unconfirmed.answer.splitlines(keepends=True)
            yield unconfirmed
            return
        log.warning("language model failed (%s); using the extractive answer", error)
        notice = failure_notice("notice.fallback", error, language)
        yield from extractive.answer.splitlines(keepends=True)
        yield replace(
            extractive, notice=f"{notice} {extractive.notice}" if extractive.notice else notice
        )


__all__ = ["AnswerGenerator", "answer_stream", "without_instructions"]
