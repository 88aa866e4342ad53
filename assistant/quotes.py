"""Answers in quotes the model picks (``Settings.llm_answers = "quotes"``): the model names
passage sentences by number, and each is shown verbatim with its citation.

    {"answerable": true, "sentences": [3, 1]}

A small model asked for an optional list returns an empty one, so the list needs at least one
number; ``answerable`` is how it says that the sentences do not answer. A number is the model's
choice, never its words: what is shown is always the passage's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answer import ScoredSentence, compose_quotes, intro
from assistant.safety import escape_delimiters
from assistant.structured import StreamedReply, answer_schema, json_schema_format
from assistant.text import Language
from assistant.types import QUOTED, Answer, Passage

MAX_QUOTES = 3  # sentences the model may pick
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
