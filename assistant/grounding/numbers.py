"""Step 1 of the grounding verifier: numbers agree.

Every quantity of the claim (79 萬 = 790,000 = 79万, 七十九萬, 三個月, "forty-five", 54% = 54
percent = 54パーセント, 四分之一 = 1/4) appears in the passages with a compatible unit: a
percentage is never a count, months are never years. A hedged claim number (約 60%, 6割強,
"nearly 40%", 三年多) is approximate: a passage value within 10% of it states it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction

from assistant.grounding.bounds import _HALF_BOUND, _HALF_BOUND_AFTER, _hedged, bound_of
from assistant.grounding.quantity import (
    CALENDAR_MONTH,
    ORDINAL,
    PERIOD,
    SEVERAL,
    Quantity,
    _compatible,
    _looks_like_year,
    _same_unit,
    _tolerable,
    _year_like,
    contradicted,
    reversed_bound,
)
from assistant.grounding.units import (
    _BARE_COUNTERS,
    _CJK_COUNTERS,
    _CJK_DIGIT,
    _CJK_LARGE,
    _CJK_NUMERAL,
    _EN_FRACTION,
    _EN_MONTHS,
    _EN_ORDINAL,
    _EN_SMALL,
    _EN_TENS,
    _EN_UNITS,
    _MULTIPLICATIVE,
    _PERIOD_UNIT,
    _TIME_UNITS,
    _TIMES_OF,
    CURRENCIES,
    _any_value,
    _cjk_value,
    _currency,
    _is_rate,
    _unit_after,
    _unit_after_hedged,
    _unit_after_words,
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
_VAGUE = re.compile(r"(?:數|数|幾|几|several|a few|a couple of)\s*(?=\S)", re.IGNORECASE)
# "take months", "lasted years", "for decades": a duration in bare units is several of them
_BARE_DURATION = re.compile(
    r"\b(?:take|takes|took|taken|taking|last|lasts|lasted|lasting|spend|spends|spent|wait|"
    r"waits|waited|for|within)\s+(?:many\s+|long\s+)?(?P<unit>months|years|weeks|days|decades)\b",
    re.IGNORECASE,
)
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
# 2億3,000万円: one amount in two multipliers
_OKU_MAN = re.compile(r"(?P<oku>\d+)\s*[億亿]\s*(?P<man>\d{1,4}|\d,\d{3})\s*[萬万]")
# "two in five", "3 out of 10": a share (X < Y)
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
# Before a bare 千/萬 (千人, 萬人規模): 數萬人, 幾千家, 何万人, 成千上萬 are no amounts.
_VAGUE_BEFORE = re.compile(r"(?:[數数幾几何]|[千百]上)$")
_BARE_IDIOM = re.compile(r"人[受向共]|(?<=[萬万億亿])年")
_CJK_MONTH = re.compile(
    rf"(?<![\d{_CJK_NUMERAL}個个かヶカヵ箇])(?P<value>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
    r"\s*月(?![間间])"
)
_EN_MONTH = re.compile(
    r"\b(?P<name>January|February|March|April|June|July|August|September|October|November|"
    r"December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.(?=\s*\d)"
    r"|May(?=\s*\d)|(?<=\d\s)May"
    r"|(?:(?<=\bin\s)|(?<=\bof\s)|(?<=\bby\s)|(?<=\bsince\s)|(?<=\buntil\s)|(?<=\bfrom\s)"
    r"|(?<=\bto\s)|(?<=\blate\s)|(?<=\bearly\s))May)\b"
)
# a year and a half: 一年半, 1年半, 一個半月, 3か月半, 1時間半; 半年, "half a year"
_AND_A_HALF = re.compile(
    rf"(?P<value>[\d{_CJK_NUMERAL}]+)\s*(?:(?P<zh>個半)(?P<zhunit>月|小時|鐘頭)"
    r"|(?P<unit>年|個月|か月|ヶ月|カ月|ヵ月|時間)半)"
)
_HALF_UNIT = re.compile(
    r"(?<![上下前後后])半(?P<unit>年|個月|か月|ヶ月)(?!度|期|[份分])"
    r"|\bhalf an? (?P<en>year|month|hour)\b|\ban? (?P<en2>year|month|hour) and a half\b",
    re.IGNORECASE,
)
_HALF_UNITS = {
    "年": "year",
    "個月": "month",
    "か月": "month",
    "ヶ月": "month",
    "カ月": "month",
    "ヵ月": "month",
    "月": "month",
    "時間": "hour",
    "小時": "hour",
    "鐘頭": "hour",
}
_FIRST = re.compile(r"首[屆届次度批座家間间位任回期]|初回|初の|初めて|最初の")
_DECADE_LONG = re.compile(r"\b(?:a\s+)?decade-long\b", re.IGNORECASE)
_ONE_UNIT = re.compile(
    r"(?<!half )\b(?:a|an|one)\s+(?:single\s+)?(?P<unit>month|year|week|decade|quarter)"
    r"\b(?![-\w])",
    re.IGNORECASE,
)


# A range's first figure takes the unit of its second: 30-50%, 3〜5年, 三至五年, 3 to 5 million
_RANGE_TO = re.compile(
    r"\s*(?:[-–—~〜～]|至|到|から|\bto\b)\s*"
    rf"(?P<second>\d[\d,]*(?:\.\d+)?|[{''.join(_CJK_DIGIT)}十百千]+)"
)


def _range_unit(text: str, end: int) -> tuple[str | None, Decimal]:
    """The unit (or currency) and multiplier said after the second figure of a range that
    starts at ``end``: 300至500萬日圓 is 3,000,000 to 5,000,000 yen (none without a range)."""
    second = _RANGE_TO.match(text, end)
    if not second:
        return None, Decimal(1)
    unit, multiplier, after = _unit_after(text, second.end())
    return unit or _currency(text, second.start("second"), after), multiplier


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
            and (hedged or _hedged(text, start, end) or bool(bound_of(text, start, end)))
        )
        found.add(Quantity(value, unit, approximate, bound_of(text, start, end)))
        taken.append((start, end))

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    # a year and a half, 半年: durations before the fraction "a half"
    for match in _AND_A_HALF.finditer(text):
        whole = _any_value(match.group("value"))
        if whole is not None:
            half_of = _HALF_UNITS[match.group("zhunit") or match.group("unit")]
            add(whole + Decimal("0.5"), half_of, *match.span())
    for match in _HALF_UNIT.finditer(text):
        word = match.group("unit") or match.group("en") or match.group("en2")
        whole = Decimal("1.5") if match.group("en2") else Decimal("0.5")
        add(whole, _HALF_UNITS.get(word, word.casefold()), *match.span())
    # then fractions: 四分之一, 3分の1, a quarter, two-thirds, two in five, 五人に一人
    for match in _FRACTION_CJK.finditer(text):
        num, den = _any_value(match.group("num")), _any_value(match.group("den"))
        if num is not None and den:
            add(_fraction(num, den), "fraction", match.start(), match.end())
    for match in _FRACTION_EN.finditer(text):
        if not free(*match.span()):
            continue
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
    for match in _MULTIPLICATIVE.finditer(text):  # doubled, 倍増: two times
        if free(*match.span()):
            add(_TIMES_OF[match.group().casefold()], "times", *match.span(), exact=True)
    for match in _HALF.finditer(text):
        before = text[max(0, match.start() - 12) : match.start()]
        bound = _HALF_BOUND.search(before) or _HALF_BOUND_AFTER.match(text, match.end())
        # a bound half ("more than half", "nearly half") only where its direction is read
        if free(*match.span()) and (generous or not bound or bound_of(text, *match.span())):
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
    for match in _OKU_MAN.finditer(text):
        oku, man = (Decimal(match.group(g).replace(",", "")) for g in ("oku", "man"))
        unit, _, end = _unit_after(text, match.end())
        add(oku * 100_000_000 + man * 10_000, unit, match.start(), end)
    for match in _DIGITS.finditer(text):
        if not free(*match.span()):
            continue
        value = _any_value(match.group("value"))
        if match.group("suffix") or text[: match.start()].rstrip().endswith("第"):
            _, _, end = _unit_after(text, match.end())  # 第1回, 1st: a rank, not a count
            add(value, ORDINAL, match.start(), end, exact=True)
            continue
        unit, multiplier, end, hedged = _unit_after_hedged(text, match.end())
        if unit is None and multiplier == 1:
            unit, multiplier = _range_unit(text, end)
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
        if unit is None and multiplier == 1 and not ordinal:
            unit, multiplier = _range_unit(text, end)
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
        if contradicted(q, stated):
            return False
        return any(_compatible(q, p) and not reversed_bound(q, p) for p in (alike or stated))

    return sorted(
        (q for q in quantities(claim) if not matched(q)),
        key=lambda q: (q.value, q.unit or "", q.approximate),
    )
