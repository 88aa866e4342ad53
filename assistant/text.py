"""Pure text functions shared by ingest, retrieval, answers and the verifier.

Everything here is deterministic and free of I/O: sentence and clause segmentation with character
offsets, language detection for the three languages we serve, normalisation for lexical matching
across Traditional/Simplified Chinese and Japanese kanji, and number extraction that treats
79 萬, 790,000 and 79万 as the same number.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

Language = Literal["zh-TW", "ja", "en"]

SENTENCE_END = "\u3002\uff01\uff1f!?"  # 。!? and ASCII !?
CLAUSE_END = "\uff0c\uff1a\uff1b,:;\u3001"  # ,:; and ASCII , : ; and 、
CLOSERS = "」』)〉》】\"'”’)]"

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
# Function characters common in Chinese and (almost) never written in Japanese.
_ZH_ONLY = re.compile(r"[是麼么嗎吗們们這这沒没還还哪什呢您嘛於于與与為为該该]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "vs", "inc", "co", "st", "no", "jr"})
_CJK_CHAR = r"\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"


@dataclass(frozen=True)
class Span:
    """A piece of a text with its character offsets: ``text == source[start:end]``."""

    start: int
    end: int
    text: str


def detect_language(text: str) -> Language:
    """zh-TW, ja or en, by script: kana mean Japanese unless Chinese-only function characters
    outnumber them (a Chinese sentence quoting 根回し is still Chinese); Han without kana is
    Chinese; Simplified Chinese is reported as zh-TW (the corpus is Traditional). The verifier's
    similarity thresholds were fitted by this; what a reader writes and reads in is
    ``frame_language``."""
    kana = len(_KANA.findall(text))
    if kana and kana > len(_ZH_ONLY.findall(text)) + text.count("的") / 2:
        return "ja"
    if _HAN.search(text):
        return "zh-TW"
    return "en"


def frame_language(text: str) -> Language:
    """The language of a question's or an answer's grammar, not of the terms it quotes: English
    when English function words carry it ("What is 稟議制?", "Why does 根回し matter?"), else
    ``detect_language``. Questions are answered in it."""
    return "en" if _english_frame(text) else detect_language(text)


@lru_cache(maxsize=1)
def _english_function_words() -> frozenset[str]:
    text = resources.files("assistant").joinpath("data", "function_words.json").read_text("utf-8")
    return frozenset(json.loads(text)["en"])


def _english_frame(text: str) -> bool:
    """Two English function words or more (``data/function_words.json``), more of them than
    Chinese-only function characters, and a Latin word for every three CJK characters at least
    (a term of 2–4 characters is one word of the sentence)."""
    words = _LATIN_WORD.findall(text)
    known = _english_function_words()
    function = sum(1 for word in words if word.casefold() in known)
    if function < 2 or function <= len(_ZH_ONLY.findall(text)):
        return False
    cjk = len(_HAN.findall(text)) + len(_KANA.findall(text))
    return len(words) * 3 >= cjk


def _is_latin_sentence_end(text: str, i: int) -> bool:
    """A '.', '!' or '?' ends a sentence when followed by white space or the end of the text,
    and the '.' is not part of a number or a one-letter abbreviation ("U.S.", "Web 2.0")."""
    ch = text[i]
    if ch not in ".!?":
        return False
    nxt = i + 1
    while nxt < len(text) and text[nxt] in CLOSERS:
        nxt += 1
    if nxt < len(text) and not text[nxt].isspace():
        return False
    if ch == ".":
        j = i - 1
        while j >= 0 and text[j].isalpha():
            j -= 1
        word = text[j + 1 : i].casefold()
        if len(word) == 1 or word in _ABBREVIATIONS:
            return False
    return True


def _inside_number(text: str, i: int) -> bool:
    """'790,000' and '10:30' are numbers, not clause boundaries."""
    return (
        text[i] in ",:."
        and 0 < i < len(text) - 1
        and text[i - 1].isdigit()
        and text[i + 1].isdigit()
    )


def _segment(text: str, enders: str, latin: bool) -> list[Span]:
    spans: list[Span] = []
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        boundary = ch == "\n" or (ch in enders and not _inside_number(text, i))
        boundary = boundary or (latin and _is_latin_sentence_end(text, i))
        if boundary:
            end = i + 1
            while end < n and text[end] in CLOSERS:
                end += 1
            _append_trimmed(spans, text, start, end)
            start = end
            i = end
            continue
        i += 1
    _append_trimmed(spans, text, start, n)
    return spans


def _append_trimmed(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end, text[start:end]))


def split_sentences(text: str) -> list[Span]:
    """Sentences of a text, with offsets. Ends on 。!?!? (with closing quotes), on Latin
    .!? followed by a space, and on line breaks. Decimal points and "Web 2.0" do not split."""
    return _segment(text, SENTENCE_END, latin=True)


def split_clauses(text: str) -> list[Span]:
    """Finer pieces for sentences too long for a chunk: also splits on , : ; (ASCII and
    full-width) and 、, which this corpus uses inside long sentences."""
    spans: list[Span] = []
    for sentence in split_sentences(text):
        for clause in _segment(sentence.text, SENTENCE_END + CLAUSE_END, latin=True):
            spans.append(
                Span(sentence.start + clause.start, sentence.start + clause.end, clause.text)
            )
    return spans


def ends_sentence(text: str) -> bool:
    stripped = text.rstrip().rstrip(CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_END + ".!?"


@lru_cache(maxsize=1)
def _opencc() -> tuple[Any, Any]:
    import opencc

    return opencc.OpenCC("jp2t"), opencc.OpenCC("t2s")


def _simplified(text: str) -> str:
    if not _HAN.search(text):
        return text
    jp2t, t2s = _opencc()
    return str(t2s.convert(jp2t.convert(text)))


def fold_han(text: str) -> str:
    """NFKC, and one script for Han characters: Japanese shinjitai and Traditional Chinese
    become Simplified, so that 經濟, 経済 and 经济 compare equal. Case is kept."""
    return _simplified(unicodedata.normalize("NFKC", text))


def fold_script(text: str) -> str:
    """``fold_han`` and casefold: the form lexical matching compares."""
    return _simplified(unicodedata.normalize("NFKC", text).casefold())


# A word is letters of any script but Chinese and Japanese (which are bigrams): "JASMの熊本" is
# "jasm" and the bigrams of の熊本, not one token.
_LETTER = rf"[^\W\d_{_CJK_CHAR}]"
_TOKEN = re.compile(
    rf"(?P<cjk>[{_CJK_CHAR}]+)|(?P<num>\d+(?:[.,]\d+)*%?)|(?P<word>{_LETTER}+(?:['’]{_LETTER}+)*)"
)
_EN_STOP = frozenset(
    (
        "a",
        "an",
        "the",
        "of",
        "to",
        "in",
        "on",
        "for",
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "by",
        "with",
        "as",
        "at",
        "from",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "into",
        "than",
        "then",
        "so",
        "such",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "why",
        "when",
        "where",
        "do",
        "does",
        "did",
        "can",
        "could",
        "should",
        "would",
        "will",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "about",
        "there",
        "their",
        "they",
        "them",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "he",
        "she",
        "his",
        "her",
        "also",
        "more",
        "most",
        "very",
        "much",
        "many",
    )
)


def lexical_tokens(text: str) -> list[str]:
    """Tokens for BM25: Han/kana runs as character unigrams and bigrams, Latin words casefolded
    and lightly stemmed, numbers kept whole. Works on mixed zh/ja/en text."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(fold_script(text)):
        if match.group("cjk"):
            tokens.extend(_cjk_tokens(match.group("cjk")))
        elif match.group("num"):
            tokens.append(match.group("num").replace(",", "").rstrip("%"))
        else:
            word = match.group("word").replace("’", "'")
            if word in _EN_STOP or len(word) < 2:
                continue
            tokens.append(_stem(word))
    return tokens


_HIRAGANA = re.compile(r"^[\u3040-\u309f\u30fc]+$")


def _cjk_tokens(run: str) -> list[str]:
    """Character bigrams (unigrams for one-character runs); pure-hiragana pieces are Japanese
    grammar (です, ている) and would match every Japanese passage, so they are dropped."""
    pieces = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
    return [piece for piece in pieces if not _HIRAGANA.match(piece)]


def _stem(word: str) -> str:
    for suffix in ("'s", "ies", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.])(?P<value>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*"
    r"(?P<unit>萬|万|億|亿|千|thousand\b|million\b|billion\b)?",
    re.IGNORECASE,
)
_MULTIPLIER = {
    "萬": 10_000,
    "万": 10_000,
    "億": 100_000_000,
    "亿": 100_000_000,
    "千": 1_000,
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
}


def extract_numbers(text: str) -> frozenset[Decimal]:
    """Numbers written with digits, normalised: separators dropped, 萬/万/億/thousand/million
    applied, '%' ignored. '2.0' in 'Web 2.0' is 2.0; ordinal suffixes ('21st') are read as 21."""
    text = unicodedata.normalize("NFKC", text)
    values: set[Decimal] = set()
    for match in _NUMBER.finditer(text):
        try:
            value = Decimal(match.group("value").replace(",", ""))
        except InvalidOperation:
            continue
        unit = (match.group("unit") or "").lower()
        value *= _MULTIPLIER.get(unit, 1)
        values.add(value.normalize())
    return frozenset(values)


def paragraph_spans(text: str) -> list[Span]:
    """A document's paragraphs: its non-empty lines, with offsets."""
    spans: list[Span] = []
    offset = 0
    for line in text.splitlines(keepends=True):
        _append_trimmed(spans, text, offset, offset + len(line))
        offset += len(line)
    return spans


def has_searchable_content(text: str) -> bool:
    """Whether ``text`` has a letter or a digit (not only space, punctuation or emoji)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)
