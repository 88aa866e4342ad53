"""Step 1 of the grounding verifier: numbers agree.

Every quantity of the claim (79 萬 = 790,000 = 79万, 七十九萬, 三個月, "forty-five", 54% = 54
percent = 54パーセント, 四分之一 = 1/4) appears in the passages with a compatible unit: a
percentage is never a count, months are never years.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction


@dataclass(frozen=True)
class Quantity:
    """A number as said: its value and, when the text says it, its unit class."""

    value: Decimal
    unit: str | None = None

    def __str__(self) -> str:
        if self.value == SEVERAL:
            return f"several ({self.unit})"
        shown = format(self.value, "f")
        if "." in shown:
            shown = shown.rstrip("0").rstrip(".")
        return f"{shown}{'%' if self.unit == 'percent' else ''}" + (
            f" ({self.unit})" if self.unit and self.unit != "percent" else ""
        )


_CJK_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CJK_DIGIT |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CJK_SMALL = {"十": 10, "百": 100, "千": 1000}
_CJK_LARGE = {"萬": 10**4, "万": 10**4, "億": 10**8, "亿": 10**8, "兆": 10**12}
_CJK_NUMERAL = "".join([*_CJK_DIGIT, *_CJK_SMALL, *_CJK_LARGE])
_EN_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_EN_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_EN_ORDINAL = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
_EN_FRACTION = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4}
_MULTIPLIER = {
    "萬": 10**4, "万": 10**4, "億": 10**8, "亿": 10**8, "千": 10**3, "兆": 10**12,
    "hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
}  # fmt: skip

# Unit words after a number, by class. Longest first so that 年代 wins over 年.
_UNIT_WORDS: dict[str, tuple[str, ...]] = {
    "percent": ("%", "percent", "per cent", "パーセント", "個百分點", "百分點", "ポイント"),
    "decade": ("年代", "s"),
    "year": ("年間", "年", "years", "year", "歳", "yrs"),
    "month": ("個月", "か月", "ヶ月", "カ月", "ヵ月", "箇月", "月間", "months", "month"),
    "week": ("週間", "個星期", "星期", "週", "周", "weeks", "week"),
    "day": ("天", "日間", "days", "day"),
    "hour": ("小時", "工時", "時間", "hours", "hour"),
    "person": (
        "人", "名", "位", "people", "persons", "person", "workers", "worker", "employees",
        "staff", "members",
    ),
    "firm": ("家", "社", "companies", "company", "firms", "firm"),
    "times": ("次", "回", "倍", "times", "fold"),
    "stage": ("階段", "段階", "phases", "phase", "stages", "stage"),
}  # fmt: skip
_UNIT_OF = sorted(
    ((word, unit) for unit, words in _UNIT_WORDS.items() for word in words),
    key=lambda item: -len(item[0]),
)
# Counters that make a run of CJK numerals a number (三個月, 四十年, 兩大, 三次, 39社).
_CJK_COUNTERS = (
    "個月年月週周天日時小人名位家社次回倍成割份件項種大階段期代世紀歲歳輪場支條条所座億萬万千"
    "分之のつヶか箇国國席点點張台部本"
)


def _en_number_pattern() -> re.Pattern[str]:
    units = "|".join(sorted(_EN_UNITS, key=len, reverse=True))
    tens = "|".join(_EN_TENS)
    ordinals = "|".join(_EN_ORDINAL)
    return re.compile(
        rf"\b(?:(?P<tens>{tens})(?:[-\s](?P<ord>{ordinals})\b|[-\s](?P<unit>{units})\b)?"
        rf"|(?P<small>{units}))\b",
        re.IGNORECASE,
    )


_DIGITS = re.compile(
    r"(?<![A-Za-z0-9_.])(?P<value>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<suffix>st|nd|rd|th)?"
)
_EN_NUMBER = _en_number_pattern()
_CJK_RUN = re.compile(rf"[{_CJK_NUMERAL}]+")
_FRACTION_CJK = re.compile(
    rf"(?P<den>[\d{_CJK_NUMERAL}]+)\s*分\s*[之の]\s*(?P<num>[\d{_CJK_NUMERAL}]+)"
)
_FRACTION_EN = re.compile(
    r"\b(?P<num>a|an|one|two|three)[-\s](?P<den>half|halves|thirds?|quarters?)\b(?!-\w)",
    re.IGNORECASE,
)
# "half" said alone (半數, 一半, half of): 1/2. Not 過半 or 大半 ("more than half", "most"),
# which no single number states, and not "half a year" or 半年, which are durations.
_HALF = re.compile(
    r"半[數数](?!年)|一半|半分(?=[のがをはも以])"
    r"|\bhalf\b(?!\s*(?:-|an?\s+)(?:year|month|week|day|hour|decade|century)|-)",
    re.IGNORECASE,
)
# "more than half", 超過半數, 近半數: a bound, not the number itself (read only in a passage)
_HEDGE = re.compile(
    r"(?:超過|超过|逾|過|过|近|約|约|將近|将近|ほぼ|約|\b(?:more than|over|nearly|almost|about|"
    r"around|roughly|under|less than|at least)\s+(?:a\s+)?)$",
    re.IGNORECASE,
)
_VAGUE = re.compile(r"(?:數|数|幾|几|several|a few|a couple of)\s*(?=\S)", re.IGNORECASE)
SEVERAL = Decimal(-1)  # "several months", 數週: a vague amount, still with a unit
_DECADE_SHORT = re.compile(r"(?<![\d.])(?P<value>[1-9]0)\s*年代")
_TENTHS = re.compile(rf"(?P<value>[\d{_CJK_NUMERAL}]+)\s*[成割](?![\w功本立長长果績绩])")


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


def _unit_after(text: str, end: int) -> tuple[str | None, Decimal, int]:
    """The unit class right after ``end`` (skipping space and 個/か counters), a multiplier
    (萬, thousand, …) if one comes first, and where the unit ends."""
    multiplier = Decimal(1)
    position = end
    rest = text[position : position + 16]
    stripped = rest.lstrip(" ")
    offset = len(rest) - len(stripped)
    for word, factor in sorted(_MULTIPLIER.items(), key=lambda item: -len(item[0])):
        if stripped.casefold().startswith(word) and (
            not word.isascii() or not stripped[len(word) : len(word) + 1].isalpha()
        ):
            multiplier = Decimal(factor)
            position += offset + len(word)
            rest = text[position : position + 16]
            stripped = rest.lstrip(" ")
            offset = len(rest) - len(stripped)
            break
    if stripped[:1] in ("個", "个", "つ") and stripped[1:2] != "月":
        offset += 1
        stripped = stripped[1:]
    lowered = stripped.casefold()
    for word, unit in _UNIT_OF:
        if lowered.startswith(word):
            if word.isascii() and word.isalpha():
                after = lowered[len(word) : len(word) + 1]
                if after.isalpha():
                    continue
                if word == "s" and offset:  # "1980s" only, never "1980 s"
                    continue
            return unit, multiplier, position + offset + len(word)
    return None, multiplier, position


def _norm_value(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001")).normalize() if value % 1 else value.normalize()


def quantities(text: str, *, generous: bool = False) -> frozenset[Quantity]:
    """The quantities a text states.

    A claim is read strictly (``generous=False``): CJK numerals count only with a counter
    (三個月, 四十年, 兩大) and "one"/一 are not numbers. A passage is read generously: every
    numeral counts, English ordinals too, so that a claim is never faulted for a number the
    passage does state.
    """
    text = unicodedata.normalize("NFKC", text)
    found: set[Quantity] = set()
    taken: list[tuple[int, int]] = []

    def add(value: Decimal | None, unit: str | None, start: int, end: int) -> None:
        if value is None:
            return
        found.add(Quantity(_norm_value(value), unit))
        taken.append((start, end))

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    # fractions first: 四分之一, 3分の1, a quarter, two-thirds
    for match in _FRACTION_CJK.finditer(text):
        num, den = _any_value(match.group("num")), _any_value(match.group("den"))
        if num is not None and den:
            add(_fraction(num, den), "fraction", match.start(), match.end())
    for match in _FRACTION_EN.finditer(text):
        word = match.group("num").casefold()
        numerator = 1 if word in ("a", "an", "one") else _EN_UNITS[word]
        denominator = _EN_FRACTION[match.group("den").casefold()]
        add(_fraction(Decimal(numerator), Decimal(denominator)), "fraction", *match.span())
    for match in _HALF.finditer(text):
        hedged = _HEDGE.search(text[max(0, match.start() - 12) : match.start()])
        if free(*match.span()) and (generous or not hedged):
            add(Decimal("0.5"), "fraction", *match.span())
    # several months, 數週: the unit must still agree
    for match in _VAGUE.finditer(text):
        unit, _, end = _unit_after(text, match.end())
        if unit in ("year", "month", "week", "day", "hour", "decade"):
            add(SEVERAL, unit, match.start(), end)
    # 80年代 is the 1980s
    for match in _DECADE_SHORT.finditer(text):
        if free(*match.span()):
            add(Decimal(1900 + int(match.group("value"))), "decade", *match.span())
    # 9割 = 90%, 三成 = 30%
    for match in _TENTHS.finditer(text):
        value = _any_value(match.group("value"))
        if value is not None and free(*match.span()) and value < 10:
            add(value * 10, "percent", *match.span())
    for match in _DIGITS.finditer(text):
        if not free(*match.span()):
            continue
        value = _any_value(match.group("value"))
        unit, multiplier, end = _unit_after(text, match.end())
        if value is not None:
            add(value * multiplier, unit, match.start(), end)
    for match in _CJK_RUN.finditer(text):
        if not free(*match.span()):
            continue
        run = match.group()
        if all(ch in _CJK_LARGE or ch == "千" for ch in run) and not generous:
            continue  # 萬一, 千萬: not amounts
        cjk = _cjk_value(run)
        if cjk is None:
            continue
        counted = match.end() < len(text) and text[match.end()] in _CJK_COUNTERS
        ordinal = match.start() > 0 and text[match.start() - 1] == "第"
        if not generous and (cjk == 1 or not (counted or ordinal)):
            continue
        unit, multiplier, end = _unit_after(text, match.end())
        add(Decimal(cjk) * multiplier, unit, match.start(), end)
    for match in _EN_NUMBER.finditer(text):
        if not free(*match.span()):
            continue
        if match.group("tens"):
            number = _EN_TENS[match.group("tens").casefold()]
            if match.group("ord"):
                number += _EN_ORDINAL[match.group("ord").casefold()]
            elif match.group("unit"):
                number += _EN_UNITS[match.group("unit").casefold()]
        else:
            number = _EN_UNITS[match.group("small").casefold()]
            if number == 1 and not generous:
                continue
        unit, multiplier, end = _unit_after(text, match.end())
        add(Decimal(number) * multiplier, unit, match.start(), end)
    if generous:
        if re.search(r"[雙双両兩两]|\bboth\b|\bpair\b", text, re.IGNORECASE):
            found.add(Quantity(Decimal(2)))
        for word, rank in _EN_ORDINAL.items():
            if re.search(rf"\b{word}\b", text, re.IGNORECASE):
                found.add(Quantity(Decimal(rank)))
    return frozenset(found)


def _fraction(numerator: Decimal, denominator: Decimal) -> Decimal:
    ratio = Fraction(int(numerator)) / Fraction(int(denominator))
    return Decimal(ratio.numerator) / Decimal(ratio.denominator)


def _compatible(claim: Quantity, passage: Quantity) -> bool:
    if {claim.unit, passage.unit} == {"fraction", "percent"}:  # a third is 33%, half is 50%
        fraction, percent = (claim, passage) if claim.unit == "fraction" else (passage, claim)
        return abs(fraction.value * 100 - percent.value) < 1
    if claim.value != passage.value:
        return False
    if "percent" in (claim.unit, passage.unit) or "fraction" in (claim.unit, passage.unit):
        return claim.unit == passage.unit
    return claim.unit is None or passage.unit is None or claim.unit == passage.unit


def _same_kind(claim: Quantity, passage: Quantity) -> bool:
    return claim.unit is not None and claim.unit == passage.unit and claim.value != passage.value


def _same_kind_values(claim: Quantity, stated: Iterable[Quantity]) -> str:
    return ", ".join(sorted(str(p) for p in stated if _same_kind(claim, p)))


def unmatched_quantities(claim: str, passages: Sequence[str]) -> list[Quantity]:
    """The claim's quantities that no passage states (with a compatible unit)."""
    stated = quantities("\n".join(passages), generous=True)
    return sorted(
        (q for q in quantities(claim) if not any(_compatible(q, p) for p in stated)),
        key=lambda q: (q.value, q.unit or ""),
    )
