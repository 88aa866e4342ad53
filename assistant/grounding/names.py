"""Names the entity table does not know: Latin-script names in a claim (GreenVolt, JETRO,
Kizuna Partners) must be in the passages that are written with such names (pure).

Only where the passage can be expected to spell the name the same way: the claim and the
passage in one language, or a passage in English. "Toho Seiki" against 東邦精機 cannot be
checked without a transliteration table; it is left to the other checks. An acronym is
named when the passage spells it out (PoC: proof-of-concept, CVC: corporate venture
capital).
"""

from __future__ import annotations

import re
import unicodedata

from assistant.grounding import tables

_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9&'’-]*[A-Za-z0-9]|[A-Z]")
# A capitalised word here starts a sentence or a quotation, so it says nothing of a name.
_STARTS = re.compile(r"(?:^|[.!?:;。!?:;「『“\"(\n]|—|–)\s*$")
# Capitalised words that are no names: pronouns, prepositions, months, titles (data/words.json)
_COMMON = frozenset(tables.words().common_latin)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.casefold())


def _spelled_out(acronym: str, words: list[str]) -> bool:
    """Whether consecutive words of the passage start with the acronym's letters."""
    letters = acronym.casefold().rstrip("s") if len(acronym) > 2 else acronym.casefold()
    n = len(letters)
    return n >= 2 and any(
        all(words[i + j].startswith(letters[j]) for j in range(n))
        for i in range(len(words) - n + 1)
    )


def _mostly_latin(text: str) -> bool:
    """English text that quotes a Japanese or Chinese name (杜の都キャピタル) is still English:
    language detection says Japanese as soon as it sees kana."""
    latin = len(re.findall(r"[A-Za-z]", text))
    return latin > len(re.findall(r"[\u3040-\u30ff\u3400-\u9fff]", text))


def claim_names(claim: str, claim_language: str) -> list[str]:
    """Latin-script names in a claim: acronyms and CamelCase anywhere (JETRO, PoC, GreenVolt),
    Latin words in Chinese or Japanese text, and capitalised English words that do not start
    a sentence."""
    names = []
    english = claim_language == "en" or _mostly_latin(claim)
    for match in _LATIN.finditer(claim):
        word = match.group()
        if word.casefold() in _COMMON or len(word) < 2:
            continue
        inner_capital = any(ch.isupper() for ch in word[1:])
        mid_sentence = word[0].isupper() and not _STARTS.search(claim[: match.start()])
        if not english or inner_capital or mid_sentence:
            names.append(word)
    return names


def unnamed_names(
    claim: str, passages: str, claim_language: str, passage_language: str, known: set[str]
) -> list[str]:
    """The claim's Latin-script names that the passages do not write (``known``: names the
    entity table already checks, casefolded)."""
    if passage_language != "en" and (claim_language != passage_language or _mostly_latin(claim)):
        return []
    if len(_LATIN.findall(passages)) < 2:
        return []  # a passage written without Latin names: nothing to compare with
    folded = unicodedata.normalize("NFKC", passages).casefold().replace("’", "'")
    words = _words(folded)
    missing = []
    for name in claim_names(claim, claim_language):
        key = unicodedata.normalize("NFKC", name).casefold().replace("’", "'")
        stem = re.sub(r"(?:'s|s)$", "", key) if len(key) > 3 else key
        if key in known or stem in known:
            continue
        if stem in folded or _spelled_out(name, words):
            continue
        missing.append(name)
    return list(dict.fromkeys(missing))
