"""Answers in quotes the model picks (``Settings.llm_answers = "quotes"``): the model names
passage sentences by number, and each is shown verbatim with its citation.

    {"answerable": true, "sentences": [3, 1]}

A small model asked for an optional list returns an empty one, so the list needs at least one
number; ``answerable`` is how it says that the sentences do not answer. A number is the model's
choice, never its words: what is shown is always the passage's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from assistant.answer import ScoredSentence, compose_quotes, intro
from assistant.errors import GenerationFailed
from assistant.excerpts import excerpt_sentences
from assistant.llm import load_prompt
from assistant.model_reply import elapsed_ms, failure_notice, model_refusal, reply_pieces
from assistant.safety import Cleaner, escape_delimiters, quote, without_instructions
from assistant.structured import StreamedReply, answer_schema, json_schema_format
from assistant.text import Language
from assistant.types import QUOTED, Answer, Passage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

MAX_QUOTES = 3  # sentences the model may pick
TOP_LOGPROBS = 10  # alternatives read for the token that says whether the sentences answer
PICKED = f"{QUOTED}, picked by the model"
_NUMBER = re.compile(r"\s*,?\s*(\d+)\s*([,\]])")


def numbered_sentences(sentences: Sequence[ScoredSentence]) -> str:
    """The sentences as the model reads them when it answers with quotes: numbered from 1, a
    blank line between passages, prompt delimiters escaped."""
    lines: list[str] = []
    for n, sentence in enumerate(sentences, 1):
        if n > 1 and sentence.passage != sentences[n - 2].passage:
            lines.append("")
        lines.append(f"[{n}] {escape_delimiters(sentence.text)}")
    return "\n".join(lines)


def choice_schema(sentence_count: int, max_choices: int) -> dict[str, Any]:
    """The JSON schema of a reply that picks sentences 1..``sentence_count`` by number."""
    item = {"type": "integer", "minimum": 1, "maximum": sentence_count}
    return answer_schema(item, max_choices)


def choice_format(sentence_count: int, max_choices: int) -> dict[str, Any]:
    """The OpenAI ``response_format`` for ``choice_schema``."""
    return json_schema_format("quotes", choice_schema(sentence_count, max_choices))


class ChoiceReader(StreamedReply):
    """Reads a streamed ``choice_schema`` reply; ``feed`` returns the sentence numbers each
    piece completes (a number is complete at the comma or bracket after it)."""

    def feed(self, piece: str) -> list[int]:
        if not self._take(piece):
            return []
        assert self.position is not None
        found: list[int] = []
        while not self.done:
            match = _NUMBER.match(self.buffer, self.position)
            if match is None:
                if self.buffer[self.position :].strip().startswith("]"):
                    self.done = True
                break
            self.position = match.end()
            found.append(int(match.group(1)))
            self.done = match.group(2) == "]"
        return found


@dataclass
class QuoteComposer:
    """The answer as it streams: quotes in the order given, passages numbered as first quoted."""

    language: Language
    quotes: list[tuple[Passage, str]] = field(default_factory=list)
    picked: int = 0  # how many of the quotes the model picked (the first ones)
    _numbers: dict[str, int] = field(default_factory=dict)

    def add(self, passage: Passage, text: str, picked: bool) -> str:
        """The text ``compose_quotes`` gives this quote, as it streams ("" when it is already
        there): the first one after the intro line."""
        if (passage, text) in self.quotes:
            return ""
        self.quotes.append((passage, text))
        self.picked += picked
        n = self._numbers.setdefault(passage.chunk_id, len(self._numbers) + 1)
        if len(self.quotes) == 1:
            return f"{intro(self.language, {passage.lang})}\n{text}[{n}]"
        return f"{' ' if self.language == 'en' else ''}{text}[{n}]"

    def answer(self, question: str, evidence: float) -> Answer:
        return compose_quotes(
            question,
            self.language,
            self.quotes,
            evidence,
            mode="generative",
            reasons=[PICKED] * self.picked,
        )


@dataclass
class QuotedAnswers:
    """Answers in the quotes the model picks. ``unanswerable``: the P(answerable is false), read
    from the logprobs where the endpoint gives them, from which the model's word refuses;
    ``strong_evidence``: where it gives none, the evidence from which the extractive answer
    stands even when the model says the sentences do not answer."""

    model: BaseChatModel
    timeout: float
    unanswerable: float
    strong_evidence: float

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
        """The model names sentences by number (the most direct first) and each is shown
        verbatim, with its citation, as soon as it is named; the extractive answer's quotes
        follow where the model left them out. A model that names none, or says the sentences
        do not answer, gives the extractive answer. With ``unconfirmed`` (a refusal), the
        evidence was just under the threshold: the answer is that refusal unless the model's
        logprobs say the sentences answer. What reads as instructions to a model is held back
        from it, and a sentence that would lose something when cleaned as a written one is (an
        image, a link of a passage that held instructions) is never quoted: a quote is shown
        whole or not at all."""
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

        def says_unanswerable() -> bool:
            if reader.unanswerable is not None and weighed:
                return reader.unanswerable >= self.unanswerable
            return reader.answerable is False or unconfirmed is not None  # nothing to confirm by

        try:
            pieces = reply_pieces(chain, inputs, timings, started, self.timeout, reader)
            for piece in pieces:
                for number in reader.feed(piece):
                    if says_unanswerable() or not 1 <= number <= len(candidates):
                        continue
                    sentence = candidates[number - 1]
                    shown = composer.add(passages[sentence.passage], sentence.text, picked=True)
                    if shown:
                        timings.setdefault("first_sentence", elapsed_ms(started))
                        yield shown
            if reader.position is None:
                raise GenerationFailed("garbage", "the reply is not the JSON asked for")
        except GenerationFailed as error:
            if not composer.quotes:
                raise  # nothing shown yet: the extractive answer, with the reason
            failure = error
        timings["generate"] = elapsed_ms(started)
        if reader.unanswerable is not None and weighed:
            timings["unanswerable"] = round(reader.unanswerable, 4)  # for calibrate_answerable
        # Step 3: decide
        if unconfirmed is not None and (says_unanswerable() or not composer.quotes):
            yield from unconfirmed.answer.splitlines(keepends=True)
            yield replace(unconfirmed, timings_ms={**unconfirmed.timings_ms, **timings})
            return
        if says_unanswerable() or not composer.quotes:
            probability = reader.unanswerable is not None and weighed
            yield from model_refusal(
                extractive, language, (), timings, self.strong_evidence, probability
            )
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
