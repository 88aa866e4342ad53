"""Stage 2 of ingest: a ``Document`` becomes ``Chunk`` values (pure, no I/O).

A paragraph is a non-empty line. Headings are recognised as whole lines (short, no sentence end)
and as a trailing ``... 。 - Heading`` inside a line, as this corpus writes some of them. A chunk
is a whole paragraph when it fits the token budget, else a run of whole sentences; a sentence
longer than the budget is cut at clause boundaries (, : ; 、). Chunks never span paragraphs, so
a translated chunk maps onto the same paragraph of its original.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from assistant.text import Span, ends_sentence, paragraph_spans, split_clauses, split_sentences
from ingest.load import Document

DEFAULT_MAX_TOKENS = 256
SECTION_SEPARATOR = " › "
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_SUBHEADING = re.compile(
    r"^(?:[-•*・]\s*|#{2,}\s*|\d+\s*[.)、]|(?:phase|part|step|chapter)\s*\d|第[一二三四五六七八九十\d]+)",
    re.IGNORECASE,
)
_TRAILING_HEADING = re.compile(r"(?<=[。!?!?.」』)])\s+[-•]\s+(?P<heading>[^。!?!?\n]{1,80})$")


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    title: str
    lang: str
    section: str
    paragraph: int
    start: int
    end: int
    text: str
    ordinal: int
    source: str = ""
    date: str | None = None
    translation_of: str | None = None

    @property
    def embed_text(self) -> str:
        """What the embedder sees: the section heading gives the chunk its context."""
        return f"{self.section}\n{self.text}" if self.section else self.text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_metadata(self) -> dict[str, str | int]:
        """Chroma metadata: scalar values only, no None."""
        metadata: dict[str, str | int] = {
            "doc_id": self.doc_id,
            "title": self.title,
            "lang": self.lang,
            "section": self.section,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "ordinal": self.ordinal,
            "source": self.source,
        }
        if self.date is not None:
            metadata["date"] = self.date
        if self.translation_of is not None:
            metadata["translation_of"] = self.translation_of
        return metadata

    @classmethod
    def from_record(cls, chunk_id: str, text: str, metadata: dict[str, Any]) -> Chunk:
        return cls(
            chunk_id=chunk_id,
            doc_id=str(metadata["doc_id"]),
            title=str(metadata.get("title", "")),
            lang=str(metadata.get("lang", "")),
            section=str(metadata.get("section", "")),
            paragraph=int(metadata.get("paragraph", 0)),
            start=int(metadata.get("start", 0)),
            end=int(metadata.get("end", 0)),
            text=text,
            ordinal=int(metadata.get("ordinal", 0)),
            source=str(metadata.get("source", "")),
            date=(str(metadata["date"]) if metadata.get("date") else None),
            translation_of=(
                str(metadata["translation_of"]) if metadata.get("translation_of") else None
            ),
        )


def content_id(doc_id: str, section: str, text: str, occurrence: int = 0) -> str:
    """sha256 over the content that is embedded, keys sorted: moving a chunk keeps its id."""
    payload = {"doc_id": doc_id, "section": section, "text": text}
    if occurrence:
        payload["occurrence"] = str(occurrence)
    return hashlib.sha256(
        json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()


def is_heading(line: str) -> bool:
    """A short line that does not end a sentence (and does not introduce a list with ':')."""
    stripped = line.strip()
    if not stripped:
        return False
    if stripped.startswith("#"):
        return True
    if ends_sentence(stripped) or stripped[-1] in ":,:,;;、":
        return False
    limit = 60 if _CJK.search(stripped) else 120
    return len(stripped) <= limit


def quotable_sentences(text: str) -> list[tuple[int, str]]:
    """The sentences of a chunk that an extractive answer may quote, with their position among
    all its sentences: stripped, headings and fragments under four characters left out. Ingest
    embeds them once (``ingest.sentences``); answers look them up."""
    found = []
    for position, sentence in enumerate(split_sentences(text)):
        stripped = sentence.text.strip()
        if len(stripped) >= 4 and not is_heading(stripped):
            found.append((position, stripped))
    return found


def heading_text(line: str) -> str:
    return line.strip().lstrip("#").strip().removeprefix("- ").removeprefix("• ").strip()


@dataclass
class _SectionTracker:
    top: str = ""
    sub: str = ""
    history: list[str] = field(default_factory=list)

    def enter(self, raw: str) -> None:
        text = heading_text(raw)
        if _SUBHEADING.match(raw.strip()):
            self.sub = text
        else:
            self.top, self.sub = text, ""

    @property
    def current(self) -> str:
        return SECTION_SEPARATOR.join(part for part in (self.top, self.sub) if part)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph's body (without a trailing inline heading) and the heading state it opens."""

    index: int
    body: Span | None
    heading_before: str | None
    trailing_heading: str | None


def paragraphs(text: str) -> Iterator[Paragraph]:
    for index, span in enumerate(paragraph_spans(text), start=1):
        if is_heading(span.text):
            yield Paragraph(index, None, span.text, None)
            continue
        match = _TRAILING_HEADING.search(span.text)
        if match:
            body_end = span.start + match.start()
            body = Span(span.start, body_end, text[span.start : body_end].rstrip())
            body = Span(body.start, body.start + len(body.text), body.text)
            yield Paragraph(index, body, None, match.group("heading").strip())
        else:
            yield Paragraph(index, span, None, None)


def chunk_document(
    document: Document,
    count_tokens: Callable[[str], int],
    max_tokens: int = DEFAULT_MAX_TOKENS,
) -> list[Chunk]:
    sections = _SectionTracker()
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for paragraph in paragraphs(document.text):
        if paragraph.heading_before is not None:
            sections.enter(paragraph.heading_before)
        if paragraph.body is not None:
            for piece in _pack(paragraph.body, count_tokens, max_tokens):
                section = sections.current
                base = content_id(document.doc_id, section, piece.text)
                occurrence = seen.get(base, 0)
                seen[base] = occurrence + 1
                chunks.append(
                    Chunk(
                        chunk_id=content_id(document.doc_id, section, piece.text, occurrence),
                        doc_id=document.doc_id,
                        title=document.title,
                        lang=document.lang,
                        section=section,
                        paragraph=paragraph.index,
                        start=piece.start,
                        end=piece.end,
                        text=piece.text,
                        ordinal=len(chunks),
                        source=document.source,
                        date=document.date,
                        translation_of=document.translation_of,
                    )
                )
        if paragraph.trailing_heading is not None:
            sections.enter("- " + paragraph.trailing_heading)
    return chunks


def _pack(body: Span, count_tokens: Callable[[str], int], max_tokens: int) -> list[Span]:
    """Split a paragraph into spans of whole sentences within ``max_tokens``."""
    if count_tokens(body.text) <= max_tokens:
        return [body]
    units: list[Span] = []
    for sentence in split_sentences(body.text):
        sentence = Span(body.start + sentence.start, body.start + sentence.end, sentence.text)
        if count_tokens(sentence.text) <= max_tokens:
            units.append(sentence)
            continue
        for clause in split_clauses(sentence.text):
            clause = Span(sentence.start + clause.start, sentence.start + clause.end, clause.text)
            units.extend(_hard_split(clause, count_tokens, max_tokens))
    packed: list[Span] = []
    for unit in units:
        if packed:
            last = packed[-1]
            merged_text = _source_slice(body, last.start, unit.end)
            if count_tokens(merged_text) <= max_tokens:
                packed[-1] = Span(last.start, unit.end, merged_text)
                continue
        packed.append(unit)
    return packed


def _source_slice(body: Span, start: int, end: int) -> str:
    return body.text[start - body.start : end - body.start]


def _hard_split(span: Span, count_tokens: Callable[[str], int], max_tokens: int) -> list[Span]:
    """Last resort for a clause longer than the budget (no punctuation at all)."""
    if count_tokens(span.text) <= max_tokens:
        return [span]
    pieces: list[Span] = []
    start = 0
    text = span.text
    while start < len(text):
        end = len(text)
        while end - start > 1 and count_tokens(text[start:end]) > max_tokens:
            end = start + max(1, (end - start) * 3 // 4)
        pieces.append(Span(span.start + start, span.start + end, text[start:end]))
        start = end
    return pieces
