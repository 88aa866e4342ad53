"""Number words and unit words: the value of a CJK or English numeral (七十九萬, "forty-five")
and the unit class, multiplier and currency said right after or before a number (萬人, か月,
million yen, NT$). The word lists are data (``data/numbers.json``)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from assistant.grounding import tables
from assistant.grounding.bounds import _HEDGE_MID

# Number words and unit words (data/numbers.json)
_T = tables.numbers()
_CJK_DIGIT = _T.cjk_digits
_CJK_SMALL = _T.cjk_small
_CJK_LARGE = _T.cjk_large
_CJK_NUMERAL = "".join([*_CJK_DIGIT, *_CJK_SMALL, *_CJK_LARGE])
_EN_UNITS = _T.en_units
_EN_TENS = _T.en_tens
_EN_ORDINAL = _T.en_ordinals
_EN_FRACTION = _T.en_fractions
_MULTIPLIER = _T.multipliers
# Unit words after a number, by class. Longest first so that 年代 wins over 年.
_UNIT_WORDS = _T.unit_words
_UNIT_OF = sorted(
    ((word, unit) for unit, words in _UNIT_WORDS.items() for word in words),
    key=lambda item: -len(item[0]),
)
# Work-time units that share their first character with 人 and so need their second one to
# end the word: 3人日 but not 3人日本, 3人時 but not 3人時代.
_WORK_UNIT_NOT_BEFORE = _T.work_units_not_before
# Counters that make a run of CJK numerals a number (三個月, 四十年, 兩大, 三次, 39社).
_CJK_COUNTERS = _T.cjk_counters
_PERIOD_UNIT = _T.period_units
# English number words up to ninety, longest first (for "two in five", "twice")
_EN_SMALL = "|".join(sorted([*_EN_UNITS, *_EN_TENS], key=len, reverse=True))
_TIME_UNITS = ("year", "month", "week", "day", "hour", "decade")
# Counters after a bare 千/萬/万/億: a run without one is 千萬不要, 萬一, 万博; and not the
# idioms 万人受け, 萬人共知 ("everyone") or 万年筆, 萬年不變 ("forever").
_BARE_COUNTERS = _T.bare_counters
_EN_MONTHS = _T.en_months
# "1,000 workers a year", "twice a month": a rate, not one year; "took a year" is one.
_DURATION_BEFORE = re.compile(
    r"\b(?:for|in|within|over|after|about|nearly|almost|around|roughly|took|take|takes|taking|"
    r"taken|last|lasts|lasted|lasting|spend|spends|spent|than|just|only|under|barely|past|"
    r"whole|entire|full)\s*$",
    re.IGNORECASE,
)
_RATE_BEFORE = re.compile(rf"\d|\b(?:once|twice|thrice|times|{_EN_SMALL})\b", re.IGNORECASE)
# Currencies, before the number (NT$, 新台幣 約) or after it (億日圓, 万円, million yen). A bare
# "$", "dollars" or 元 names no currency: 元 is also the yen's 日元.
_CURRENCY_BEFORE = re.compile(
    r"(?P<code>NT\$|US\$|USD|TWD|JPY|NTD|[¥￥€]|新[台臺]幣|[台臺]幣|美金|美元|日幣|日圓|日元|人民幣)"
    r"\s*(?:約為|约为|約|约|大約|大约|近|逾|超過|超过|about|around|roughly|nearly|over)?\s*$",
    re.IGNORECASE,
)
_CURRENCY_AFTER = re.compile(
    r"\s*(?P<code>日圓|日円|日元|日幣|円|yen|US dollars|U\.S\. dollars|美元|美金|新[台臺]幣|"
    r"[台臺]幣|新?台湾ドル|米ドル|ドル|人民幣|人民币|euros?|ユーロ)",
    re.IGNORECASE,
)
_CURRENCY = _T.currencies
# doubled, 倍増, halved: a multiple said in one word (data/numbers.json)
_MULTIPLICATIVE = re.compile(
    r"(?<![A-Za-z])(?:"
    + "|".join(sorted(map(re.escape, _T.multiplicative_words), key=len, reverse=True))
    + r")(?![A-Za-z])",
    re.IGNORECASE,
)
_TIMES_OF = {word.casefold(): Decimal(str(n)) for word, n in _T.multiplicative_words.items()}
CURRENCIES = frozenset(_CURRENCY.values())


def _currency(text: str, start: int, end: int) -> str | None:
    """The currency a number is said in, when the text names one right before or after it."""
    before = _CURRENCY_BEFORE.search(text[max(0, start - 12) : start])
    after = _CURRENCY_AFTER.match(text, end)
    match = before or after
    return _CURRENCY.get(match.group("code").casefold()) if match else None


def _is_rate(text: str, start: int) -> bool:
    """Whether "a year" at ``start`` is "per year": a count comes before it in its clause
    ("1,000 engineers a year", "twice a month") and no word of duration right before it."""
    clause = re.split(r"[,;:。、,;:]", text[max(0, start - 60) : start])[-1]
    return not _DURATION_BEFORE.search(clause) and bool(_RATE_BEFORE.search(clause))


def _cjk_value(text: str) -> int | None:
    """七十九萬 → 790000, 二十一 → 21, 兩 → 2, 二〇二五 → 2025."""
    if any(ch in _CJK_SMALL or ch in _CJK_LARGE for ch in text):
        total = section = digit = 0
        for ch in text:
            if ch in _CJK_DIGIT:
                digit = _CJK_DIGIT[ch]
            elif ch in _CJK_SMALL:
                section += (digit or 1) * _CJK_SMALL[ch]
                digit = 0
            elif ch in _CJK_LARGE:
                total += ((section + digit) or 1) * _CJK_LARGE[ch]
                section = digit = 0
        return total + section + digit
    if all(ch in _CJK_DIGIT for ch in text):
        return int("".join(str(_CJK_DIGIT[ch]) for ch in text))
    return None


def _any_value(text: str) -> Decimal | None:
    text = text.replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        value = _cjk_value(text)
        return Decimal(value) if value is not None else None


_ENGLISH_WORD = re.compile(r"\s+[A-Za-z][A-Za-z-]*")
_RATE_WORDS = frozenset({"a", "an", "per", "each", "every"})


def _unit_after_words(text: str, end: int) -> str | None:
    """An English unit one or two words after ``end``: "790,000 Japanese companies"."""
    word = _ENGLISH_WORD.match(text, end)
    for _ in range(2):
        if not word or word.group().strip().casefold() in _RATE_WORDS:
            return None  # "NT$55,000 a month", "300 per year": a rate, not a duration
        unit, _, _ = _unit_after(text, word.end())
        if unit and unit != "decade":
            return unit
        word = _ENGLISH_WORD.match(text, word.end())
    return None


def _unit_after(text: str, end: int) -> tuple[str | None, Decimal, int]:
    """The unit class right after ``end`` (skipping space and 個/か counters), a multiplier
    (萬, thousand, …) if one comes first, and where the unit ends."""
    unit, multiplier, position, _ = _unit_after_hedged(text, end, hedges=False)
    return unit, multiplier, position


def _unit_after_hedged(
    text: str, end: int, *, hedges: bool = True
) -> tuple[str | None, Decimal, int, bool]:
    """:func:`_unit_after`, also skipping a 多/餘/余 before the multiplier or the unit
    (30多萬人, 3萬多人, 三十餘家); the last item says whether one was skipped."""
    multiplier = Decimal(1)
    position = end
    hedged = False
    if hedges and (mid := _HEDGE_MID.match(text, position)):
        position, hedged = mid.end(), True
    rest = text[position : position + 24]
    stripped = rest.lstrip(" ")
    offset = len(rest) - len(stripped)
    for word, factor in sorted(_MULTIPLIER.items(), key=lambda item: -len(item[0])):
        if stripped.casefold().startswith(word) and (
            not word.isascii() or not stripped[len(word) : len(word) + 1].isalpha()
        ):
            multiplier = Decimal(factor)
            position += offset + len(word)
            if hedges and not hedged and (mid := _HEDGE_MID.match(text, position)):
                position, hedged = mid.end(), True
            rest = text[position : position + 24]
            stripped = rest.lstrip(" ")
            offset = len(rest) - len(stripped)
            break
    counter = stripped[:1] in ("個", "个", "つ") and stripped[1:2] != "月"
    hyphen = stripped[:1] == "-" and stripped[1:2].isalpha()  # "a four-week immersion"
    if counter or hyphen:
        offset += 1
        stripped = stripped[1:]
    lowered = stripped.casefold()
    for word, unit in _UNIT_OF:
        if lowered.startswith(word):
            after = lowered[len(word) : len(word) + 1]
            if word.isascii() and word[-1].isalpha():
                if after.isalpha():
                    continue
                if word == "s" and offset:  # "1980s" only, never "1980 s"
                    continue
            if after and after in _WORK_UNIT_NOT_BEFORE.get(word, ""):
                continue
            return unit, multiplier, position + offset + len(word), hedged
    if hedged and multiplier == 1:  # "30多" with nothing after: not read as a hedge
        return _unit_after_hedged(text, end, hedges=False)
    return None, multiplier, position, hedged
