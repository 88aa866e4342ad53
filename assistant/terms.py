"""A question's glossary terms in the language of its grammar (``corpus/glossary.json``).

Founders quote terms in the script they met them in: "What is 稟議制?", "什麼是 nemawashi?". The
embedder scores such a question against the English (or Chinese) edition as if half of it were
noise, so the best passage can fall under the refusal threshold. Before a question is embedded
and searched, a term named only in another language's form gets the question's own name for it,
with the quoted form kept beside it: "What is ringi (稟議制)?". The user still sees what they typed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

from assistant.text import Language

# What is left of a question once its term and frame are out, if it asked for anything else
_WORDS = re.compile(r"[^\W_]")


@dataclass(frozen=True)
class Term:
    """One glossary entry: each language's names for it, the preferred name first."""

    names: Mapping[str, tuple[str, ...]]

    def all_names(self) -> list[str]:
        """Every language's names, longest first ("ringi system" before "ringi")."""
        names = {name for found in self.names.values() for name in found}
        return sorted(names, key=len, reverse=True)

    def mentioned_in(self, text: str) -> bool:
        return any(_find(text, name) for name in self.all_names())


@dataclass(frozen=True)
class Terms:
    entries: tuple[Term, ...]

    @classmethod
    def load(cls, path: Path) -> Terms:
        """The glossary at ``path``; no terms when there is no such file."""
        if not path.is_file():
            return cls(())
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            tuple(
                Term(
                    {
                        language: tuple(
                            name.strip()
                            for name in (names if isinstance(names, list) else [names])
                            if name.strip()
                        )
                        for language, names in entry.items()
                    }
                )
                for entry in raw
            )
        )

    def in_language(self, question: str, language: Language) -> str:
        """``question`` with each term it names only in another language's form written as
        ``language``'s name for it, the quoted form kept in brackets; else unchanged."""
        for term in self.entries:
            own = term.names.get(language, ())
            if not own or any(_find(question, name) for name in own):
                continue
            quoted = _first_mention(question, _other_names(term, language))
            if quoted is None:
                continue
            start, end = quoted
            question = f"{question[:start]}{own[0]} ({question[start:end]}){question[end:]}"
        return question

    def defined(self, question: str) -> Term | None:
        """The term ``question`` asks only the meaning of ("What is 稟議制?", "出島とは何ですか",
        "nemawashi?"), in any language; None when it asks anything more."""
        for term in self.entries:
            rest = question
            for name in term.all_names():
                rest = _remove(rest, name)
            if rest == question:
                continue
            for frame in _definition_frames():
                rest = _remove(rest, frame)
            if not _WORDS.search(rest):
                return term
        return None


@lru_cache(maxsize=1)
def _definition_frames() -> tuple[str, ...]:
    path = resources.files("assistant").joinpath("data", "definition_frames.json")
    raw = json.loads(path.read_text("utf-8"))
    frames = {frame for key, found in raw.items() if not key.startswith("_") for frame in found}
    return tuple(sorted(frames, key=len, reverse=True))


def _remove(text: str, name: str) -> str:
    return _pattern(name).sub(" ", text)


def _other_names(term: Term, language: str) -> list[str]:
    names = {name for lang, found in term.names.items() if lang != language for name in found}
    return sorted(names, key=len, reverse=True)  # "ringi system" before "ringi"


def _first_mention(question: str, names: Sequence[str]) -> tuple[int, int] | None:
    for name in names:
        found = _find(question, name)
        if found is not None:
            return found.span()
    return None


def _find(text: str, name: str) -> re.Match[str] | None:
    return _pattern(name).search(text)


@cache  # a glossary's names and the frames: a few hundred patterns
def _pattern(name: str) -> re.Pattern[str]:
    if name.isascii():  # a whole word, any case: "Dejima" is not inside "Dejimas"
        return re.compile(rf"(?<![A-Za-z0-9']){re.escape(name)}(?![A-Za-z0-9'])", re.I)
    return re.compile(re.escape(name))
