"""Opposite terms: a claim that says "bottom-up" where its passage says "top-down" (pure).

A short table of opposites that business and technology writing turns on, each side named in
Traditional Chinese, Japanese and English (``data/opposites.json``). A claim contradicts its
passage when it uses one side and not the other, the passage uses the other side and not the
first, and neither use is under a negation ("not short-term" is not a contradiction of
"long-term").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from assistant.grounding import tables
from assistant.grounding.negation import negation_count
from assistant.grounding.overlap import _CLAUSE_END
from assistant.grounding.tables import Pair
from assistant.text import fold_script

# (one side, the other side), from data/opposites.json; CJK forms match as substrings after
# folding scripts, English forms as whole words (an -s, -ed or -ing ending allowed).
# A corpus's own pairs come from beside its glossary (``tables.corpus_opposites``).
OPPOSITES: tuple[Pair, ...] = tables.opposites().pairs


@dataclass(frozen=True)
class Opposition:
    claim_term: str
    passage_term: str


def opposed_terms(claim: str, passage: str, pairs: Sequence[Pair] = OPPOSITES) -> list[Opposition]:
    """Where the claim uses one side of an opposite and the passage only the other."""
    found = []
    for first, second in pairs:
        for said, other in ((first, second), (second, first)):
            claimed = _asserted(claim, said)
            if not claimed or _uses(claim, other):
                continue
            stated = _asserted(passage, other)
            if stated and not _uses(passage, said):
                found.append(Opposition(claimed, stated))
    return found


def _asserted(text: str, forms: tuple[str, ...]) -> str | None:
    """The first of ``forms`` the text uses outside a negated clause."""
    for clause in _CLAUSE_END.split(text):
        term = _uses(clause, forms)
        if term and not negation_count(clause):
            return term
    return None


def _uses(text: str, forms: tuple[str, ...]) -> str | None:
    """The first of ``forms`` (in their order) that the text uses."""
    return next((form for _, form in _positions(text, forms)), None)


@lru_cache(maxsize=512)
def _word(form: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(form)}(?:s|es|d|ed|ing)?\b", re.IGNORECASE)


def _positions(text: str, forms: tuple[str, ...]) -> list[tuple[int, str]]:
    """Where each of ``forms`` occurs, form by form in their order."""
    found: list[tuple[int, str]] = []
    folded = fold_script(text).casefold()
    for form in forms:
        if form.isascii():
            found.extend((m.start(), form) for m in _word(form).finditer(text))
        else:
            needle = re.escape(_folded(form))
            found.extend((m.start(), form) for m in re.finditer(needle, folded))
    return found


@lru_cache(maxsize=512)
def _folded(form: str) -> str:
    return fold_script(form).casefold()
