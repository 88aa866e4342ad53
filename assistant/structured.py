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
from typing import Any

from assistant.citations import Sentence, claim_text

SENTENCES = re.compile(r'"sentences"\s*:\s*\[')
ANSWERABLE = re.compile(r'"answerable"\s*:\s*(true|false)')
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
    return {
        "type": "object",
        "properties": {
            "answerable": {"type": "boolean"},
            "sentences": {
                "type": "array",
                "items": sentence,
                "minItems": 1,
                "maxItems": max_sentences,
            },
        },
        "required": ["answerable", "sentences"],
        "additionalProperties": False,
    }


def response_format(passage_count: int, max_sentences: int) -> dict[str, Any]:
    """The OpenAI ``response_format`` for ``reply_schema``."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "answer",
            "schema": reply_schema(passage_count, max_sentences),
            "strict": True,
        },
    }


class ReplyReader:
    """Reads a streamed JSON reply; ``feed`` returns the sentences completed by each piece."""

    def __init__(self) -> None:
        self.buffer = ""
        self.position: int | None = None  # just inside the sentences array, once found
        self.answerable: bool | None = None
        self.done = False

    def feed(self, piece: str) -> list[Sentence]:
        self.buffer += piece
        if self.answerable is None:
            match = ANSWERABLE.search(self.buffer)
            if match:
                self.answerable = match.group(1) == "true"
        if self.position is None:
            match = SENTENCES.search(self.buffer)
            if match is None:
                return []
            self.position = match.end()
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
