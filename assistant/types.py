"""The values the assistant hands out: frozen, typed, one call from JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


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
    n: int
    chunk_id: str
    doc_id: str
    title: str
    lang: str
    text: str
    original_text: str
    location: Location
    quotes: tuple[str, ...] = ()
    translation_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SentenceCheck:
    """One answer sentence and whether the passages it cites support it."""

    text: str
    citations: tuple[int, ...]
    supported: bool
    score: float
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    question: str
    language: str
    mode: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    grounding: str = "supported"  # supported | partial | refused
    sentences: tuple[SentenceCheck, ...] = ()
    notice: str | None = None
    evidence: float = 0.0
    standalone_question: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
