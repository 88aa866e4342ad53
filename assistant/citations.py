"""Citation markers: the one parser of an answer into sentences and the ``[n]`` they cite.

Used by the generated-answer path (to check each sentence), the eval (to score citations) and
the chat (to link markers to passages).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.text import Span, has_searchable_content, split_sentences

# Markers as models write them: [1], [1, 2], 【1】, ［1］
LOOSE_MARKER = re.compile(r"[\[【［]\s*(\d{1,3}(?:\s*[,、,;]\s*\d{1,3})*)\s*[\]】］]")
MARKER = re.compile(r"\[(\d+)\]")
_LEADING_MARKERS = re.compile(r"^(?:\s*\[\d+\])+")
_LIST_BULLET = re.compile(r"^\s*(?:[-*•・+>#]+|\d{1,2}[.)、])\s+")
_EMPHASIS = re.compile(r"\*\*|__|`")
# A full stop, then markers, then more text: "Japan plans.[1] Taiwan builds.[2]" is two
# sentences, although no space follows the full stop.
_END_THEN_MARKERS = re.compile(r"[。!?!?.][」』”’\"')]*(?:\s*\[\d+\])+(?=\s*[^\s\[])")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    claim: str  # the sentence without markers, bullets or emphasis
    citations: tuple[int, ...]


def cited_numbers(text: str) -> list[int]:
    """The passage numbers of the ``[n]`` markers in ``text``, in order."""
    return [int(number) for number in MARKER.findall(text)]


def without_markers(text: str) -> str:
    """``text`` with its ``[n]`` markers removed, otherwise as written."""
    return MARKER.sub("", text).strip()


def normalise_markers(text: str, passage_count: int) -> tuple[str, set[int]]:
    """``[1, 2]``, ``【1】`` become ``[1][2]``; numbers of passages not given are removed and
    returned."""
    removed: set[int] = set()

    def rewrite(match: re.Match[str]) -> str:
        kept = []
        for number in (int(n) for n in re.split(r"\s*[,、,;]\s*", match.group(1))):
            if 1 <= number <= passage_count:
                kept.append(f"[{number}]")
            else:
                removed.add(number)
        return "".join(dict.fromkeys(kept))

    return LOOSE_MARKER.sub(rewrite, text), removed


def claim_text(sentence: str) -> str:
    """A sentence as a claim: without markers, list bullets or emphasis."""
    claim = MARKER.sub("", sentence)
    claim = " ".join(_EMPHASIS.sub("", _LIST_BULLET.sub("", claim)).split())
    claim = re.sub(r" +(?=[.,;:!?。、,])", "", claim)
    return "" if re.fullmatch(r"\d{1,2}[.)、]", claim) else claim


def sentences_with_citations(text: str) -> list[Sentence]:
    """Answer sentences with the ``[n]`` that follow them. Markers that open a sentence (as in
    "… claim. [1] Next …") belong to the sentence before; so do markers on a fragment with
    no words of its own."""
    found: list[Sentence] = []
    for span in _spans(text):
        body = span.text
        leading = _LEADING_MARKERS.match(body)
        if leading and found:
            previous = found[-1]
            extra = tuple(cited_numbers(leading.group(0)))
            found[-1] = replace(
                previous,
                end=span.start + leading.end(),
                citations=tuple(dict.fromkeys(previous.citations + extra)),
            )
            body = body[leading.end() :]
            start = span.start + leading.end()
        else:
            start = span.start
        citations = tuple(dict.fromkeys(cited_numbers(body)))
        claim = claim_text(body)
        if not claim and not citations:
            continue
        if not has_searchable_content(claim):
            if found and citations:
                previous = found[-1]
                found[-1] = replace(
                    previous,
                    end=span.end,
                    citations=tuple(dict.fromkeys(previous.citations + citations)),
                )
            continue
        found.append(Sentence(start, span.end, claim, citations))
    return found


def _spans(text: str) -> list[Span]:
    """The sentences of ``text``, also split after markers that follow a full stop."""
    spans: list[Span] = []
    for span in split_sentences(text):
        cursor = 0
        for match in _END_THEN_MARKERS.finditer(span.text):
            piece = span.text[cursor : match.end()]
            start = span.start + cursor + len(piece) - len(piece.lstrip())
            spans.append(Span(start, span.start + match.end(), piece.lstrip()))
            cursor = match.end()
        rest = span.text[cursor:]
        if cursor == 0:
            spans.append(span)
        elif rest.strip():
            offset = len(rest) - len(rest.lstrip())
            spans.append(Span(span.start + cursor + offset, span.end, rest.lstrip()))
    return spans
