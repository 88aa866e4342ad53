"""Step 1 of the grounding verifier: numbers agree.

Every quantity of the claim (79 萬 = 790,000 = 79万, 七十九萬, 三個月, "forty-five", 54% = 54
percent = 54パーセント, 四分之一 = 1/4) appears in the passages with a compatible unit: a
percentage is never a count, months are never years. A hedged claim number (約 60%, 6割強,
"nearly 40%", 三年多) is approximate: a passage value within 10% of it states it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from assistant.grounding import tables


@dataclass(frozen=True)
class Quantity:
    """A number as said: its value and, when the text says it, its unit class."""

    value: Decimal
    unit: str | None = None
    approximate: bool = False  # hedged in a claim (約, nearly, 強, or so): within _TOLERANCE
    bound: str = ""  # LOWER (more than, 以上, 超過) or UPPER (at most, 以下, 不到): a direction

    def __str__(self) -> str:
        if self.value == SEVERAL:
            return f"several ({self.unit})"
        if self.value == PERIOD:
            return f"a period ({self.unit})"
        shown = format(self.value, "f")
        if "." in shown:
            shown = shown.rstrip("0").rstrip(".")
        return (
            f"{_BOUND_SIGN.get(self.bound, '')}{'~' if self.approximate else ''}{shown}"
            f"{'%' if self.unit == 'percent' else ''}"
            + (f" ({self.unit})" if self.unit and self.unit != "percent" else "")
        )


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
# "more than half", 超過半數, 過半數: a bound, not the number itself (read only in a passage);
# "nearly half", 近半數, 約半数 are an approximate half.
_HALF_BOUND = re.compile(
    r"(?:超過|超过|逾|過|过|\b(?:more than|over|under|less than|at least|just over|just under|"
    r"well over)\s+(?:a\s+)?)$",
    re.IGNORECASE,
)
_HALF_BOUND_AFTER = re.compile(r"\s*(?:を?超え|を?超す|を上回|以上|以下|未満|未滿|不到|or more\b)")
# Words that make a number a bound, and its direction: "more than 30" and "30 or fewer" state
# the same number and opposite facts ("nearly 40%" is under 40%). 不足 is left out: it is also
# the noun "shortage" (人材不足).
LOWER, UPPER = "lower", "upper"
_BOUND_SIGN = {LOWER: "≥", UPPER: "≤"}
_ABOUT = r"\s*(?:約|约|およそ|大約|大约|about|around|roughly|nearly|approximately)?\s*$"
_LOWER_BEFORE = re.compile(
    r"(?:(?<![不未沒没])(?:超過|超过|逾|多於|多于|高於|高于)|至少|"
    r"(?<!\bnot )(?<!\bno )\b(?:more than|over|above)|"
    r"\b(?:at least|upwards of|in excess of|just over|well over|no fewer than|no less than))"
    + _ABOUT,
    re.IGNORECASE,
)
_UPPER_BEFORE = re.compile(
    r"(?:不到|最多|至多|最大|最高|高達|高达|少於|少于|低於|低于|將近|将近|接近|(?<![最附靠鄰邻親亲])近|"
    r"[不未沒没](?:超過|超过|逾|多於|多于|高於|高于)|\b(?:not|no) (?:more than|over|above)|"
    r"\bnot exceeding|"
    r"\b(?:less than|fewer than|under|up to|at most|just under|no more than|as many as|"
    r"as much as|as high as|below|nearly|almost|close to))" + _ABOUT,
    re.IGNORECASE,
)
_LOWER_AFTER = re.compile(r"\s*(?:以上|を?超え|を?超す|を上回|\bor more\b|\bplus\b)", re.IGNORECASE)
_UPPER_AFTER = re.compile(
    r"\s*(?:以下|未満|未滿|以內|以内|を下回|近く|\bor (?:less|fewer)\b|\bat most\b)",
    re.IGNORECASE,
)


def bound_of(text: str, start: int, end: int) -> str:
    """The direction a bound word gives the number at ``text[start:end]`` ("" for none)."""
    before = text[max(0, start - 24) : start]
    lower = bool(_LOWER_BEFORE.search(before) or _LOWER_AFTER.match(text, end))
    upper = bool(_UPPER_BEFORE.search(before) or _UPPER_AFTER.match(text, end))
    return LOWER if lower and not upper else UPPER if upper and not lower else ""


def reversed_bound(claim: Quantity, passage: Quantity) -> bool:
    """The claim bounds the number the other way from the passage (more than / at most)."""
    return bool(claim.bound and passage.bound and claim.bound != passage.bound)


# Words before a claim number that hedge it (約 60%, 近三成, nearly 40%, close to two in five).
_HEDGE_BEFORE = re.compile(
    r"(?:約莫|約|约|およそ|凡そ|ほぼ|大約|大约|大概|差不多|將近|将近|接近|(?<![最附靠鄰邻親亲])近|逾|"
    r"超過|超过|不到|不足|至少|"
    r"\b(?:about|around|roughly|approximately|approx\.|nearly|almost|close to|just over|"
    r"just under|well over|over|more than|less than|fewer than|some|up to|at least|under|"
    r"upwards of|in excess of|an estimated|estimated))\s*$",
    re.IGNORECASE,
)
# Words after one (6割強, 4割近く, 三年左右, 30人以上, "five years or so"). The one-character
# ones only when a particle or punctuation follows: 60%強化 is "strengthen by 60%".
_HEDGE_AFTER = re.compile(
    r"\s*(?:近く|近い|前後|程度|左右|上下(?![游遊班文級级層层])|余り|あまり|以上|以下|未満|未滿|不到|"
    r"有餘|有余|多(?=[的之來来前后後]|[^\w]|[のがをにでとはもや]|$)"
    r"|[強弱餘余超](?=[的之]|[^\w]|[のがをにでとはもや]|$)"
    r"|or so\b|or more\b|or less\b|or fewer\b)",
    re.IGNORECASE,
)
# 多/餘/余 between a number and its unit: 三十多年, 30餘家, 100余人, 3萬多人.
_HEDGE_MID = re.compile(r"\s*(?:多|餘|余)")
_VAGUE = re.compile(r"(?:數|数|幾|几|several|a few|a couple of)\s*(?=\S)", re.IGNORECASE)
# "take months", "lasted years", "for decades": a duration in bare units is several of them
_BARE_DURATION = re.compile(
    r"\b(?:take|takes|took|taken|taking|last|lasts|lasted|lasting|spend|spends|spent|wait|"
    r"waits|waited|for|within)\s+(?:many\s+|long\s+)?(?P<unit>months|years|weeks|days|decades)\b",
    re.IGNORECASE,
)
SEVERAL = Decimal(-1)  # "several months", 數週: a vague amount, still with a unit
PERIOD = Decimal(-2)  # "this quarter", 來年: the current or next period of a unit
_PERIOD_UNIT = _T.period_units
_CENTURY_SHARE = re.compile(
    r"(?P<quarter>四半世紀|quarter[- ]century|quarter of a century)|半個?世紀|half a century",
    re.IGNORECASE,
)
_PERIOD = re.compile(
    r"\b(?:this|next|last|the coming|the current)\s+(?P<unit>year|quarter|month|week)\b(?!s)"
    r"|(?:今|明|去|本|來|来|下個?|上個?|這個?|这个?)(?P<unit2>年度|年|季|月|週|周)",
    re.IGNORECASE,
)
_DECADE_SHORT = re.compile(r"(?<![\d.])(?P<value>[1-9]0)\s*年代")
# 9割 = 90%, 三成 = 30%, but not 成功, 成本, 割合, 割引 or 一成不變 ("unchanging")
# 六成四 = 64%, 3割5分 = 35%.
_TENTHS = re.compile(
    rf"(?P<value>[\d{_CJK_NUMERAL}]+)\s*"
    r"(?:成(?![功本立長长果績绩為为熟員员交就品分份形型效年人])(?<!一成(?=不[變变]))"
    rf"(?P<digit>[1-9一二三四五六七八九](?![\d{_CJK_NUMERAL}{_CJK_COUNTERS}]))?"
    r"|割(?![合引安高れりく愛爱譲让])(?:(?P<bu>[1-9一二三四五六七八九])分)?)"
)
# "two in five", "3 out of 10": a share (X < Y)
_EN_SMALL = "|".join(sorted([*_EN_UNITS, *_EN_TENS], key=len, reverse=True))
_IN_EN = re.compile(
    rf"\b(?P<num>{_EN_SMALL}|\d+)\s+(?:in|out\s+of)\s+(?P<den>{_EN_SMALL}|\d+)\b(?![.,]\d)",
    re.IGNORECASE,
)
# 五人に一人, 10社に3社
_IN_JA = re.compile(
    rf"(?P<den>[\d{_CJK_NUMERAL}]+)\s*(?P<counter>人|社|件|つ)に\s*"
    rf"(?P<num>[\d{_CJK_NUMERAL}]+)\s*(?P=counter)"
)
# 每五個人就有一個, 十家企業中有三家
_IN_ZH = re.compile(
    rf"(?P<each>每)?\s*(?P<den>[\d{_CJK_NUMERAL}]+)\s*(?:個|个|名|位|家|間|间)?\s*"
    r"(?P<noun>[^\W\d]{0,4}?)\s*(?P<among>之中|當中|当中|中|裡|里)?\s*[,，]?\s*"
    rf"(?:就|只|僅|仅|便)?\s*(?:會|会)?有\s*(?P<num>[\d{_CJK_NUMERAL}]+)\s*"
    r"(?:個|个|名|位|家|人|間|间)"
)
_TIME_UNITS = ("year", "month", "week", "day", "hour", "decade")
# Before a bare 千/萬 (千人, 萬人規模): 數萬人, 幾千家, 何万人, 成千上萬 are no amounts.
_VAGUE_BEFORE = re.compile(r"(?:[數数幾几何]|[千百]上)$")
# Counters after a bare 千/萬/万/億: a run without one is 千萬不要, 萬一, 万博; and not the
# idioms 万人受け, 萬人共知 ("everyone") or 万年筆, 萬年不變 ("forever").
_BARE_COUNTERS = _T.bare_counters
_BARE_IDIOM = re.compile(r"人[受向共]|(?<=[萬万億亿])年")
_TOLERANCE = Decimal("0.1")
# A month of the calendar (2025 年 7 月, 7月24日, July 24, 2025) is a date, not a duration.
CALENDAR_MONTH = "calendar-month"
_CJK_MONTH = re.compile(
    rf"(?<![\d{_CJK_NUMERAL}個个かヶカヵ箇])(?P<value>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
    r"\s*月(?![間间])"
)
_EN_MONTHS = _T.en_months
_EN_MONTH = re.compile(
    r"\b(?P<name>January|February|March|April|June|July|August|September|October|November|"
    r"December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.(?=\s*\d)"
    r"|May(?=\s*\d)|(?<=\d\s)May"
    r"|(?:(?<=\bin\s)|(?<=\bof\s)|(?<=\bby\s)|(?<=\bsince\s)|(?<=\buntil\s)|(?<=\bfrom\s)"
    r"|(?<=\bto\s)|(?<=\blate\s)|(?<=\bearly\s))May)\b"
)
# "第 1 回", 第三屆, 1st: a rank. 首屆, 首次, 初回, 初めて: the first (read in a passage).
ORDINAL = "ordinal"
_FIRST = re.compile(r"首[屆届次度批座家間间位任回期]|初回|初の|初めて|最初の")
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


_DECADE_LONG = re.compile(r"\b(?:a\s+)?decade-long\b", re.IGNORECASE)
_ONE_UNIT = re.compile(
    r"(?<!half )\b(?:a|an|one)\s+(?:single\s+)?(?P<unit>month|year|week|decade|quarter)"
    r"\b(?![-\w])",
    re.IGNORECASE,
)
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
    rest = text[position : position + 16]
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
            rest = text[position : position + 16]
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

    def add(
        value: Decimal | None,
        unit: str | None,
        start: int,
        end: int,
        hedged: bool = False,
        *,
        exact: bool = False,
    ) -> None:
        if value is None:
            return
        value = _norm_value(value)
        if unit is None:
            unit = _currency(text, start, end)
        approximate = (
            not generous
            and not exact
            and _tolerable(value, unit)
            and (hedged or _hedged(text, start, end))
        )
        found.add(Quantity(value, unit, approximate, bound_of(text, start, end)))
        taken.append((start, end))

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    # fractions first: 四分之一, 3分の1, a quarter, two-thirds, two in five, 五人に一人
    for match in _FRACTION_CJK.finditer(text):
        num, den = _any_value(match.group("num")), _any_value(match.group("den"))
        if num is not None and den:
            add(_fraction(num, den), "fraction", match.start(), match.end())
    for match in _FRACTION_EN.finditer(text):
        word = match.group("num").casefold()
        numerator = 1 if word in ("a", "an", "one") else _EN_UNITS[word]
        denominator = _EN_FRACTION[match.group("den").casefold()]
        add(_fraction(Decimal(numerator), Decimal(denominator)), "fraction", *match.span())
    for pattern in (_IN_EN, _IN_JA, _IN_ZH):
        for match in pattern.finditer(text):
            if pattern is _IN_ZH and (
                not (match.group("each") or match.group("among"))
                or any(ch in "年月週周天日時小" for ch in match.group("noun"))
            ):
                continue  # 每 2 年有 1 人: a rate over time, not a share
            num, den = _share_term(match.group("num")), _share_term(match.group("den"))
            if pattern is _IN_EN:
                unit, _, _ = _unit_after(text, match.end())
                if unit in (*_TIME_UNITS, "percent") or text[match.end() :].startswith("%"):
                    continue  # "two in five years", "3 in 10%"
            if num and den and num < den <= 100 and free(*match.span()):
                add(_fraction(num, den), "fraction", *match.span())
    for match in _CENTURY_SHARE.finditer(text):  # 半個世紀 = 50 years, 四半世紀 = 25
        years = 25 if match.group("quarter") else 50
        add(Decimal(years), "year", *match.span())
    for match in _PERIOD.finditer(text):  # this quarter, 下季: a period, not an amount
        word = (match.group("unit") or match.group("unit2")).casefold()
        add(PERIOD, _PERIOD_UNIT[word], *match.span())
    for match in _HALF.finditer(text):
        before = text[max(0, match.start() - 12) : match.start()]
        bound = _HALF_BOUND.search(before) or _HALF_BOUND_AFTER.match(text, match.end())
        if free(*match.span()) and (generous or not bound):
            add(Decimal("0.5"), "fraction", *match.span())
    # several months, 數週: the unit must still agree
    for match in _VAGUE.finditer(text):
        unit, _, end = _unit_after(text, match.end())
        if unit in ("year", "month", "week", "day", "hour", "decade"):
            add(SEVERAL, unit, match.start(), end)
    for match in _BARE_DURATION.finditer(text):
        unit, _, end = _unit_after(text, match.start("unit"))
        if unit and free(*match.span("unit")):
            add(SEVERAL, unit, match.start("unit"), end)
    for match in _CJK_MONTH.finditer(text):  # 7月, 十二月: a month of the calendar
        if free(*match.span()):
            add(_any_value(match.group("value")), CALENDAR_MONTH, *match.span(), exact=True)
    for match in _EN_MONTH.finditer(text):
        name = match.group("name").rstrip(".")
        month = next(i for i, m in enumerate(_EN_MONTHS, start=1) if m.startswith(name))
        add(Decimal(month), CALENDAR_MONTH, *match.span(), exact=True)
    if generous:
        for match in _FIRST.finditer(text):
            if free(*match.span()):
                found.add(Quantity(Decimal(1), ORDINAL))
    # 80年代 is the 1980s
    for match in _DECADE_SHORT.finditer(text):
        if free(*match.span()):
            add(Decimal(1900 + int(match.group("value"))), "decade", *match.span())
    # 9割 = 90%, 三成 = 30%
    for match in _TENTHS.finditer(text):
        value = _any_value(match.group("value"))
        extra = _any_value(match.group("digit") or match.group("bu") or "0")
        if value is not None and extra is not None and free(*match.span()) and value < 10:
            add(value * 10 + extra, "percent", *match.span())
    for match in _DIGITS.finditer(text):
        if not free(*match.span()):
            continue
        value = _any_value(match.group("value"))
        if match.group("suffix") or text[: match.start()].rstrip().endswith("第"):
            _, _, end = _unit_after(text, match.end())  # 第1回, 1st: a rank, not a count
            add(value, ORDINAL, match.start(), end, exact=True)
            continue
        unit, multiplier, end, hedged = _unit_after_hedged(text, match.end())
        if unit is None and value is not None and not _year_like(value):
            unit = _unit_after_words(text, end) or unit
        if value is not None:
            add(value * multiplier, unit, match.start(), end, hedged)
    for match in _DECADE_LONG.finditer(text):
        if free(*match.span()):
            add(Decimal(1), "decade", *match.span())
    # "a month", "one single year": one of a unit (a bare "one" is not a number in a claim)
    for match in _ONE_UNIT.finditer(text):
        if free(*match.span()) and not _is_rate(text, match.start()):
            add(Decimal(1), match.group("unit").casefold(), *match.span())
    for match in _CJK_RUN.finditer(text):
        if not free(*match.span()):
            continue
        run = match.group()
        after = text[match.end() : match.end() + 2]
        if after[:1] in "多餘余" and after[1:2]:  # 三十多年, 二十餘家
            after = after[1:]
        before = text[match.start() - 1 : match.start()] if match.start() else ""
        if run == "十" and after[:1] == "分" and after[1:2] not in ("之", "の", "鐘", "钟"):
            continue  # 十分: "enough", "very"
        if (
            not generous
            and all(ch in _CJK_LARGE or ch == "千" for ch in run)
            and (
                not after
                or after[0] not in _BARE_COUNTERS
                or _BARE_IDIOM.match(text, match.end())
                or _VAGUE_BEFORE.search(text, max(0, match.start() - 2), match.start())
            )
        ):
            continue  # 萬一, 千萬不要, 數萬人: not amounts; 千人規模, 萬家企業: amounts
        cjk = _cjk_value(run)
        if cjk is None:
            continue
        counted = bool(after) and after[0] in _CJK_COUNTERS
        ordinal = before == "第"
        if not generous and (cjk == 1 or not (counted or ordinal)):
            continue
        unit, multiplier, end, hedged = _unit_after_hedged(text, match.end())
        if ordinal:  # 第二多: "the second most", not "two-odd"
            _, _, end = _unit_after(text, match.end())
            add(Decimal(cjk), ORDINAL, match.start(), end, exact=True)
        else:
            add(Decimal(cjk) * multiplier, unit, match.start(), end, hedged or before == "上")
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
                found.add(Quantity(Decimal(rank), ORDINAL))
    return frozenset(found)


def _fraction(numerator: Decimal, denominator: Decimal) -> Decimal:
    ratio = Fraction(int(numerator)) / Fraction(int(denominator))
    return Decimal(ratio.numerator) / Decimal(ratio.denominator)


def _share_term(term: str) -> Decimal | None:
    """A term of "two in five" or 五人に一人: a digit string, an English or a CJK numeral."""
    word = term.casefold()
    if word in _EN_UNITS:
        return Decimal(_EN_UNITS[word])
    if word in _EN_TENS:
        return Decimal(_EN_TENS[word])
    return _any_value(term)


def _hedged(text: str, start: int, end: int) -> bool:
    """Whether a hedge (約, nearly, 強, 以上, or so) comes right before ``start`` or right
    after ``end``."""
    return bool(
        _HEDGE_BEFORE.search(text[max(0, start - 16) : start]) or _HEDGE_AFTER.match(text, end)
    )


def _tolerable(value: Decimal, unit: str | None) -> bool:
    """Whether a hedged number may be read as approximate: not a vague amount, a decade or a
    calendar year ("around 2030" is 2030, never 2100)."""
    if value == SEVERAL or unit == "decade":
        return False
    return not (unit in (None, "year") and value % 1 == 0 and 1000 <= value < 3000)


def _near(claim: Decimal, passage: Decimal) -> bool:
    return abs(claim - passage) <= abs(passage) * _TOLERANCE


# Durations in months: a quarter is three months, a decade ten years.
_MONTHS = {"month": 1, "quarter": 3, "year": 12, "decade": 120}


def _compatible(claim: Quantity, passage: Quantity) -> bool:
    """Whether ``passage`` states ``claim``: the same value (within 10% of the passage value
    when the claim hedges it) and no conflicting unit."""
    if claim.unit != passage.unit and {claim.unit, passage.unit} <= _MONTHS.keys():
        if _looks_like_year(claim) or _looks_like_year(passage):
            return False  # 2025年 is a date, not 24,300 months
        claim = replace(claim, value=claim.value * _MONTHS[str(claim.unit)], unit="month")
        passage = replace(passage, value=passage.value * _MONTHS[str(passage.unit)], unit="month")
    if {claim.unit, passage.unit} == {"fraction", "percent"}:  # a third is 33%, half is 50%
        claimed, stated = (
            q.value * 100 if q.unit == "fraction" else q.value for q in (claim, passage)
        )
        return _near(claimed, stated) if claim.approximate else abs(claimed - stated) < 1
    if "percent" in (claim.unit, passage.unit) or "fraction" in (claim.unit, passage.unit):
        if claim.unit != passage.unit:
            return False
    elif claim.unit is not None and passage.unit is not None and claim.unit != passage.unit:
        return False
    if claim.approximate:
        return _near(claim.value, passage.value)
    return claim.value == passage.value


def _same_kind(claim: Quantity, passage: Quantity) -> bool:
    """Two different numbers of one kind: the same unit, or both plain counts (37
    questionnaires, 39 responses) but not a year (2025) against a count."""
    if claim.unit != passage.unit or claim.value == passage.value:
        return False
    return claim.unit is not None or not any(_looks_like_year(q) for q in (claim, passage))


def _year_like(value: Decimal) -> bool:
    return value % 1 == 0 and 1800 <= value <= 2200


def _looks_like_year(quantity: Quantity) -> bool:
    return _year_like(quantity.value)


def is_date(quantity: Quantity) -> bool:
    """A calendar year (2025, 2025年, the 1980s): it dates a statement rather than counts."""
    if quantity.unit == CALENDAR_MONTH:
        return True
    return quantity.unit in (None, "year", "decade") and 1800 <= quantity.value <= 2200


def _same_kind_values(claim: Quantity, stated: Iterable[Quantity]) -> str:
    return ", ".join(sorted(str(p) for p in stated if _same_kind(claim, p)))


def unmatched_quantities(claim: str, passages: Sequence[str]) -> list[Quantity]:
    """The claim's quantities that no passage states (with a compatible unit). A number with
    a unit the passages also use with numbers must be one of those: "a single month" is not
    matched by a stray 一 when the passage says 三か月."""
    stated = quantities("\n".join(passages), generous=True)

    def matched(q: Quantity) -> bool:
        if q.value == PERIOD:  # "this year" against a passage that names no period: can't tell
            periods = [p for p in stated if p.value == PERIOD]
            return not periods or any(p.unit == q.unit for p in periods)
        # 2025年 is a date; a currency or a rank is often named once for several numbers
        counted = (
            q.unit is not None
            and q.unit not in CURRENCIES
            and q.unit != ORDINAL
            and not _looks_like_year(q)
        )
        alike = [p for p in stated if counted and _same_unit(q, p)]
        return any(_compatible(q, p) and not reversed_bound(q, p) for p in (alike or stated))

    return sorted(
        (q for q in quantities(claim) if not matched(q)),
        key=lambda q: (q.value, q.unit or "", q.approximate),
    )


def _same_unit(claim: Quantity, passage: Quantity) -> bool:
    return claim.unit == passage.unit or {claim.unit, passage.unit} == {"fraction", "percent"}
