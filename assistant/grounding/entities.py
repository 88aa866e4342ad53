"""Step 2 of the grounding verifier: named entities agree.

A country, organisation or glossary term the claim names (in any of zh-TW, ja, en) must be
named by the passages too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from assistant.grounding import tables
from assistant.text import fold_han, fold_script


@dataclass(frozen=True)
class Entity:
    """A named thing and its names in zh-TW, ja and en; ``country``: a country, not a place
    or an organisation (a country is never read inside a longer name: 印度 in 印度太平洋)."""

    key: str
    aliases: tuple[str, ...]
    country: bool = False


def _group(entity: Entity) -> str:
    if entity.key.startswith("glossary:"):
        return "glossary"
    return "country" if entity.country else "other"


def _alias_key(alias: str) -> str:
    return alias.casefold() if alias.isascii() else fold_script(alias)


def _entity_label(key: str) -> str:
    return key.split(":", 2)[-1]


# General knowledge: countries, regions, places and organisations, with their usual names and
# abbreviations in the three languages (data/entities.json).
ENTITIES: tuple[Entity, ...] = tuple(
    Entity(row.key, row.aliases, country=row.country) for row in tables.entities().entities
)
# Places and institutions that say which country they are in: a passage that names 熊本 and
# 東京 speaks of Japan, so "Taiwanese companies in Japan" is not an unnamed country there.
_LOCATED_IN = {
    row.key: row.located_in for row in tables.entities().entities if row.located_in is not None
}
# 中国語, 日本語, "Chinese-speaking": a language, which names no country in a claim
_LANGUAGE_AFTER = re.compile(
    r"[語语]|\s*(?:-|\s)(?:language|speaking|speakers?|fluency)\b", re.IGNORECASE
)
# 台湾ドル, 日本円, "Taiwan dollars": a currency, whose figure the number checks read
_CURRENCY_AFTER = re.compile(r"ドル|円|[幣币元]|\s*dollars?\b", re.IGNORECASE)

# Abbreviated pairs: 台日 names Taiwan and Japan; 中、韓 names China and Korea.
_ABBREVIATION = tables.entities().abbreviations
_PAIR = re.compile(r"(台|臺|日|中|韓|美|米)、?(台|臺|日|韓|美|米|中)")
# The pairs that name two countries (日中 is also "daytime", 美中 also "in beauty").
_PAIRS = frozenset(tables.entities().abbreviated_pairs)


@dataclass(frozen=True)
class Mention:
    entity: str
    start: int
    end: int
    surface: str
    abbreviated: bool = False  # the 台 of 台日


# Words by which a passage refers to both parties without naming them (雙方 = 台日).
_BOTH_SIDES = re.compile(
    r"雙方|双方|彼此|兩國|两国|両国|両者|任何一方|いずれの側|どちらも|\bboth sides\b|\bthe two\b"
    r"|\beach other\b|\bboth countries\b",
    re.IGNORECASE,
)


class EntityTable:
    """Finds entity mentions in a text of any of the three languages (longest name first, so
    インド太平洋 is the Indo-Pacific and not India)."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self.entities = {entity.key: entity for entity in entities}
        names: list[tuple[str, str]] = []
        for entity in self.entities.values():
            for alias in entity.aliases:
                names.append((alias, entity.key))
        names.sort(key=lambda item: -len(item[0]))
        parts: dict[str, list[str]] = {"country": [], "other": [], "glossary": []}
        self._keys: dict[str, str] = {}
        for alias, key in names:
            if alias.isascii():
                # case-sensitive for short acronyms (US, EU, UK), else case-insensitive
                if alias.isupper() and len(alias) <= 4:
                    pattern = rf"(?-i:\b{re.escape(alias)}\b)"
                else:
                    pattern = rf"\b{re.escape(alias)}\b"
                self._keys.setdefault(_alias_key(alias), key)
            else:
                pattern = re.escape(fold_script(alias))
                self._keys.setdefault(_alias_key(alias), key)
            parts[_group(self.entities[key])].append(pattern)
        # countries apart, so that a term naming one ("Japan plans") still names the country
        self._patterns = [re.compile("|".join(p), re.IGNORECASE) for p in parts.values() if p]
        self._cached_mentions = lru_cache(maxsize=4096)(self._find_mentions)

    @classmethod
    def with_glossary(cls, glossary: Path | None) -> EntityTable:
        """The built-in table plus the glossary's named terms (groups with a capitalised
        English name: JICA, Dejima, Global South, …). A glossary group that shares a name
        with a built-in entity (METI, India) adds its names to that entity: one thing must
        have one key, or 經濟產業省 and METI would name two different things."""
        entities = list(ENTITIES)
        if glossary is not None and glossary.is_file():
            entries = json.loads(glossary.read_text(encoding="utf-8"))
            for number, entry in enumerate(entries):
                english = [term for term in entry.get("en", []) if term.strip()]
                if not any(term[:1].isupper() for term in english):
                    continue
                aliases = tuple(
                    term for terms in entry.values() for term in terms if len(term.strip()) >= 2
                )
                known = {_alias_key(a) for a in aliases}
                same = next(
                    (
                        i
                        for i, e in enumerate(entities)
                        if known & {_alias_key(a) for a in e.aliases}
                    ),
                    None,
                )
                if same is None:
                    entities.append(Entity(f"glossary:{number}:{english[0]}", aliases))
                else:
                    entity = entities[same]
                    extra = tuple(a for a in aliases if a not in entity.aliases)
                    entities[same] = replace(entity, aliases=(*entity.aliases, *extra))
        return cls(entities)

    def mentions(self, text: str) -> list[Mention]:
        """The entity names in ``text``, longest first where they overlap. Cached: one claim's
        checks ask for the same passage's mentions several times, and an answer's sentences
        cite the same passages."""
        return list(self._cached_mentions(text))

    def _find_mentions(self, text: str) -> tuple[Mention, ...]:
        folded = fold_han(text)
        if len(folded) != len(text):
            text = folded
        found = []
        for pattern in self._patterns:
            for match in pattern.finditer(folded):
                surface = match.group()
                key = self._keys.get(surface.casefold()) or self._keys.get(fold_script(surface))
                if key:
                    start, end = match.span()
                    found.append(Mention(key, start, end, text[start:end]))
        for match in _PAIR.finditer(text):
            if match.group() not in _PAIRS:
                continue
            for index in (1, 2):
                key = _ABBREVIATION[match.group(index)]
                span = match.span(index)
                found.append(Mention(key, *span, match.group(index), abbreviated=True))
        # a built-in name inside a longer built-in name is not a mention (インド太平洋 ≠ インド)
        outer = [m for m in found if not m.entity.startswith("glossary:")]
        return tuple(
            m
            for m in found
            if not any(
                o.start <= m.start
                and m.end <= o.end
                and (o.end - o.start) > (m.end - m.start)
                and o.entity != m.entity
                for o in outer
            )
        )

    def missing(self, claim: str, passages: str) -> list[str]:
        """Entities the claim names and the passages do not; 台日 in a claim is satisfied by
        雙方 ("both sides") in the passages."""
        named = self.keys(passages)
        named |= {_LOCATED_IN[key] for key in named if key in _LOCATED_IN}
        both = bool(_BOTH_SIDES.search(passages))
        absent: dict[str, bool] = {}
        for mention in self.mentions(claim):
            if mention.entity in named or self._said_within(mention.entity, passages):
                continue
            if self.entities[mention.entity].country and (
                _LANGUAGE_AFTER.match(claim, mention.end)
                or _CURRENCY_AFTER.match(claim, mention.end)
            ):
                continue
            excused = mention.abbreviated and both
            absent[mention.entity] = absent.get(mention.entity, True) and excused
        return sorted(_entity_label(key) for key, excused in absent.items() if not excused)

    def _said_within(self, key: str, text: str) -> bool:
        """A place or organisation named inside a longer name (熊本 in 「JASM 熊本廠」): the
        passage is read generously. Not countries: 印度 inside 印度太平洋 is not India."""
        entity = self.entities[key]
        if entity.country:
            return False
        folded = fold_script(text)
        return any(
            re.search(rf"\b{re.escape(alias)}\b", text, re.IGNORECASE)
            if alias.isascii()
            else fold_script(alias) in folded
            for alias in entity.aliases
        )

    def keys(self, text: str) -> set[str]:
        return {mention.entity for mention in self.mentions(text)}
