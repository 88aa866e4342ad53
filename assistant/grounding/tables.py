"""The grounding verifier's tables, read from ``assistant/grounding/data/*.json``.

Word lists, entity names, unit words and opposite pairs are data, not code: each file is
checked against its schema when it is read (a pydantic model that forbids unknown fields), and
``tests/unit/test_grounding_tables.py`` checks what a schema cannot (no name of two entities,
no opposite pair listed both ways).

Terms of one corpus, not of the language, live beside that corpus's ``glossary.json``:
``opposites.json`` there holds the opposite pairs its own sentences turn on
(``corpus_opposites``), in the format of ``data/opposites.json``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str = Field(default="", alias="_comment")


class EntityRow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    aliases: tuple[str, ...] = Field(min_length=1)
    country: bool = False
    located_in: str | None = Field(default=None, alias="in")


class EntityTables(_Table):
    entities: tuple[EntityRow, ...]
    abbreviations: dict[str, str]
    abbreviated_pairs: tuple[str, ...]


class NumberTables(_Table):
    cjk_digits: dict[str, int]
    cjk_small: dict[str, int]
    cjk_large: dict[str, int]
    en_units: dict[str, int]
    en_tens: dict[str, int]
    en_ordinals: dict[str, int]
    en_fractions: dict[str, int]
    multipliers: dict[str, int]
    unit_words: dict[str, tuple[str, ...]]
    work_units_not_before: dict[str, str]
    cjk_counters: str
    bare_counters: str
    period_units: dict[str, str]
    currencies: dict[str, str]
    multiplicative_words: dict[str, float]
    en_months: tuple[str, ...] = Field(min_length=12, max_length=12)


Pair = tuple[tuple[str, ...], tuple[str, ...]]  # (one side, the other side)
CORPUS_OPPOSITES = "opposites.json"  # beside a corpus's glossary.json


class OppositeTables(_Table):
    pairs: tuple[Pair, ...]


class WordTables(_Table):
    common_latin: tuple[str, ...]
    function_chars: str


def _read(name: str) -> Any:
    path = resources.files("assistant.grounding").joinpath("data", name)
    return json.loads(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def entities() -> EntityTables:
    return EntityTables.model_validate(_read("entities.json"))


@lru_cache(maxsize=1)
def numbers() -> NumberTables:
    return NumberTables.model_validate(_read("numbers.json"))


@lru_cache(maxsize=1)
def opposites() -> OppositeTables:
    return OppositeTables.model_validate(_read("opposites.json"))


@lru_cache(maxsize=1)
def words() -> WordTables:
    return WordTables.model_validate(_read("words.json"))


def corpus_opposites(corpus: Path | None) -> tuple[Pair, ...]:
    """The opposite pairs of one corpus (``opposites.json`` in its folder; none without it)."""
    path = corpus / CORPUS_OPPOSITES if corpus is not None else None
    if path is None or not path.is_file():
        return ()
    return OppositeTables.model_validate(json.loads(path.read_text(encoding="utf-8"))).pairs
