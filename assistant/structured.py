"""The model's answer as structured output: a JSON schema the endpoint constrains the reply to,
and a reader that hands out each sentence as soon as its JSON object is complete.

    {"answerable": true, "sentences": [{"text": "…", "passages": [2]}, …]}

A small model asked for an optional list returns an empty one, so the list needs at least one
sentence; ``answerable`` is how it says that the passages do not answer (its sentences are then
ignored). Passage numbers are the model's claim about its sources, checked afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from assistant.citations import Sentence, claim_text
from assistant.llm import choice_probability

_SENTENCES = re.compile(r'"sentences"\s*:\s*\[')
_ANSWERABLE = re.compile(r'"answerable"\s*:\s*(true|false)')
_BEFORE_ANSWERABLE = re.compile(r'"answerable"\s*:\s*$')
_DECODER = json.JSONDecoder()


def reply_schema(passage_count: int, max_sentences: int) -> dict[str, Any]:
    """The JSON schema of a reply citing passages 1..``passage_count``."""
    sentence = {
        "type": "object",
        "properties": {
            "text": {"type": "string"},
            "passages": {
                "type": "array",
                "items": {"type": "integer", "minimum": 1, "maximum": passage_count},
            },
        },
        "required": ["text", "passages"],
        "additionalProperties": False,
    }
    return answer_schema(sentence, max_sentences)


def answer_schema(item: dict[str, Any], max_items: int) -> dict[str, Any]:
    """``{"answerable": bool, "sentences": [item, …]}`` with 1..``max_items`` items."""
    return {
        "type": "object",
        "properties": {
            "answerable": {"type": "boolean"},
            "sentences": {"type": "array", "items": item, "minItems": 1, "maxItems": max_items},
        },
        "required": ["answerable", "sentences"],
        "additionalProperties": False,
    }


def json_schema_format(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI ``response_format`` that constrains a reply to ``schema``."""
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def response_format(passage_count: int, max_sentences: int) -> dict[str, Any]:
    """The OpenAI ``response_format`` for ``reply_schema``."""
    return json_schema_format("answer", reply_schema(passage_count, max_sentences))


class StreamedReply:
    """A streamed ``answer_schema`` reply, read as it comes: ``answerable`` once it is said,
    ``position`` just inside the sentences array once it opens."""

    def __init__(self) -> None:
        self.buffer = ""
        self.position: int | None = None
        self.answerable: bool | None = None
        # P(answerable is false), from the reply's logprobs; None where the endpoint gives none
        self.unanswerable: float | None = None
        self._read = ""  # the reply as its logprobs spell it
        self.done = False

    def read_logprobs(self, metadata: Mapping[str, Any]) -> None:
        """Read a streamed chunk's ``response_metadata``: where its logprobs reach the token
        that says ``answerable``, ``unanswerable`` becomes P(false) / (P(true) + P(false))
        among that token's alternatives (as llama.cpp and OpenAI report them)."""
        logprobs = metadata.get("logprobs")
        content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
        for token in content or ():
            text = str(token.get("token", ""))
            if self.unanswerable is None and text.strip() and _BEFORE_ANSWERABLE.search(self._read):
                self.unanswerable = _false_probability(token.get("top_logprobs") or [token])
            self._read += text

    def _take(self, piece: str) -> bool:
        """Add ``piece``; whether the sentences array has opened."""
        self.buffer += piece
        if self.answerable is None:
            match = _ANSWERABLE.search(self.buffer)
            if match:
                self.answerable = match.group(1) == "true"
        if self.position is None:
            match = _SENTENCES.search(self.buffer)
            if match is None:
                return False
            self.position = match.end()
        return True


def _false_probability(alternatives: Any) -> float | None:
    """P(false) / (P(true) + P(false)); a token of two letters or more may begin either word."""
    return choice_probability(
        alternatives,
        lambda word: len(word) >= 2 and "false".startswith(word),
        lambda word: len(word) >= 2 and "true".startswith(word),
    )


class ReplyReader(StreamedReply):
    """Reads a streamed JSON reply; ``feed`` returns the sentences completed by each piece."""

    def feed(self, piece: str) -> list[Sentence]:
        if not self._take(piece):
            return []
        assert self.position is not None
        found: list[Sentence] = []
        while not self.done:
            at = self._skip(self.position)
            if at >= len(self.buffer):
                break
            if self.buffer[at] == "]":
                self.done = True
                break
            try:
                item, end = _DECODER.raw_decode(self.buffer, at)
            except json.JSONDecodeError:
                break  # the object is not complete yet
            self.position = end
            sentence = _sentence(item)
            if sentence is not None:
                found.append(sentence)
        return found

    def _skip(self, at: int) -> int:
        while at < len(self.buffer) and (self.buffer[at].isspace() or self.buffer[at] == ","):
            at += 1
        return at


def _sentence(item: Any) -> Sentence | None:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        return None
    numbers = item.get("passages")
    citations = tuple(
        dict.fromkeys(n for n in (numbers if isinstance(numbers, list) else []) if type(n) is int)
    )
    text = " ".join(item["text"].split())
    claim = claim_text(text)
    return Sentence(0, len(text), claim, citations) if claim else None
