"""The grounding verifier's tables (assistant/grounding/data/*.json): each file matches its
schema, and what a schema cannot say holds (no name of two entities, no pair listed both ways)."""

from __future__ import annotations

import json
from collections import defaultdict
from importlib import resources

import pytest
from conftest import FIXTURE_CORPUS
from pydantic import ValidationError

from assistant.grounding import tables
from assistant.grounding.entities import _alias_key

pytestmark = pytest.mark.unit


def test_every_table_file_is_read_and_matches_its_schema() -> None:
    folder = resources.files("assistant.grounding").joinpath("data")
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".json"))
    assert names == ["entities.json", "numbers.json", "opposites.json", "words.json"]
    assert tables.entities().entities
    assert tables.numbers().unit_words
    assert tables.opposites().pairs
    assert tables.words().common_latin


def test_a_table_with_an_unknown_field_is_refused() -> None:
    raw = json.loads(
        resources.files("assistant.grounding").joinpath("data", "opposites.json").read_text()
    )
    with pytest.raises(ValidationError):
        tables.OppositeTables.model_validate(raw | {"pairz": []})
    with pytest.raises(ValidationError):
        tables.EntityRow.model_validate({"key": "Not A Key", "aliases": ["x"]})


def test_no_name_belongs_to_two_entities() -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for row in tables.entities().entities:
        for alias in row.aliases:
            owners[_alias_key(alias)].add(row.key)
    shared = {name: keys for name, keys in owners.items() if len(keys) > 1}
    assert shared == {}


def test_entity_keys_are_unique_and_places_are_in_a_listed_country() -> None:
    rows = tables.entities().entities
    keys = [row.key for row in rows]
    assert len(keys) == len(set(keys))
    countries = {row.key for row in rows if row.country}
    assert {row.located_in for row in rows if row.located_in} <= countries
    assert not any(row.country and row.located_in for row in rows)
    assert set(tables.entities().abbreviations.values()) <= countries


def test_abbreviated_pairs_are_made_of_known_abbreviations() -> None:
    abbreviations = tables.entities().abbreviations
    for pair in tables.entities().abbreviated_pairs:
        letters = pair.replace("、", "")
        assert len(letters) == 2 and all(letter in abbreviations for letter in letters), pair
        assert abbreviations[letters[0]] != abbreviations[letters[1]], pair


def test_no_opposite_pair_is_listed_both_ways_and_no_term_is_its_own_opposite() -> None:
    # the general pairs, and a corpus's own (the fixture corpus's, as the verifier joins them)
    pairs = (*tables.opposites().pairs, *tables.corpus_opposites(FIXTURE_CORPUS))
    seen: set[tuple[frozenset[str], frozenset[str]]] = set()
    for first, second in pairs:
        one = frozenset(term.casefold() for term in first)
        other = frozenset(term.casefold() for term in second)
        assert not one & other, (first, second)
        assert (other, one) not in seen, (first, second)
        assert (one, other) not in seen, (first, second)
        seen.add((one, other))
    sides = [
        (frozenset(t.casefold() for t in a), frozenset(t.casefold() for t in b)) for a, b in pairs
    ]
    for index, (a, b) in enumerate(sides):
        for c, d in sides[index + 1 :]:
            assert not (a & d and b & c), "a pair listed both ways"


def test_no_unit_word_has_two_units_and_number_words_do_not_collide() -> None:
    numbers = tables.numbers()
    owners: dict[str, set[str]] = defaultdict(set)
    for unit, words in numbers.unit_words.items():
        for word in words:
            owners[word.casefold()].add(unit)
    assert {word: units for word, units in owners.items() if len(units) > 1} == {}
    cjk = [*numbers.cjk_digits, *numbers.cjk_small, *numbers.cjk_large]
    assert len(cjk) == len(set(cjk))
    english = [*numbers.en_units, *numbers.en_tens]
    assert len(english) == len(set(english))
    assert set(numbers.currencies.values()) <= {"TWD", "USD", "JPY", "CNY", "EUR"}
