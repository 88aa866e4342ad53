"""The values the assistant hands out: frozen, typed, one call from JSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

from assistant.text import Language

Mode = Literal["extractive", "generative"]
Grounding = Literal["supported", "partial", "refused"]
__all__ = ["Answer", "Citation", "Grounding", "Language", "Location", "Mode", "Passage"]


@dataclass(frozen=True)
class Location:
    section: str
    paragraph: int
    start: int
    end: int

    def shown_section(self, title: str = "") -> str:
        """The section, or nothing where it only repeats the title (a document without
        headings is all under its title)."""
        return self.section if self.section.strip() != title.strip() else ""

    def label(self, title: str = "") -> str:
        where = f"¶{self.paragraph}"
        section = self.shown_section(title)
        return f"{section} · {where}" if section else where


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, in the edition best suited to the question, with its original."""

    chunk_id: str
    doc_id: str
    title: str
    lang: str
    text: str
    original_text: str
    location: Location
    score: float
    dense_score: float = 0.0
    lexical_score: float = 0.0
    translation_of: str | None = None
    original_doc_id: str | None = None

    @property
    def is_translation(self) -> bool:
        return self.translation_of is not None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """Passage ``n`` of an answer, and the sentences quoted from it (extractive answers)."""

    n: int
    passage: Passage
    quotes: tuple[str, ...] = ()

    @property
    def chunk_id(self) -> str:
        return self.passage.chunk_id

    @property
    def doc_id(self) -> str:
        return self.passage.doc_id

    @property
    def title(self) -> str:
        return self.passage.title

    @property
    def lang(self) -> str:
        return self.passage.lang

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def original_text(self) -> str:
        return self.passage.original_text

    @property
    def location(self) -> Location:
        return self.passage.location

    @property
    def translation_of(self) -> str | None:
        return self.passage.translation_of

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "chunk_id": self.chunk_id,
            "doc_id": self.doc_id,
            "title": self.title,
            "lang": self.lang,
            "text": self.text,
            "original_text": self.original_text,
            "location": asdict(self.location),
            "quotes": self.quotes,
            "translation_of": self.translation_of,
        }


QUOTED = "quoted verbatim"  # the reason of a sentence that is a passage's own words


@dataclass(frozen=True)
class SentenceCheck:
    """One answer sentence and whether the passages it cites support it."""

    text: str
    citations: tuple[int, ...]
    supported: bool
    score: float
    reason: str = ""

    @property
    def is_quote(self) -> bool:
        """Whether the sentence is a passage's own words, not a model's."""
        return self.reason.startswith(QUOTED)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    question: str
    language: Language
    mode: Mode
    answer: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    grounding: Grounding = "supported"
    sentences: tuple[SentenceCheck, ...] = ()
    notice: str | None = None
    evidence: float = 0.0
    standalone_question: str | None = None
    unanswered: tuple[str, ...] = ()  # the parts of the question the documents do not answer

    def __post_init__(self) -> None:
        # A copy nobody can change: the timings are the answer's, not the caller's dict.
        object.__setattr__(self, "timings_ms", MappingProxyType(dict(self.timings_ms)))

    def with_timings(self, **timings: float) -> Answer:
        """This answer with more stages timed (milliseconds)."""
        return replace(self, timings_ms={**self.timings_ms, **timings})

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "language": self.language,
            "mode": self.mode,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [citation.to_dict() for citation in self.citations],
            "timings_ms": dict(self.timings_ms),
            "grounding": self.grounding,
            "sentences": [sentence.to_dict() for sentence in self.sentences],
            "notice": self.notice,
            "evidence": self.evidence,
            "standalone_question": self.standalone_question,
            "unanswered": list(self.unanswered),
        }
