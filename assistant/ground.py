"""The grounding verifier: is a claim supported by the passages it cites?

Shared by the assistant (checking generated sentences at run time) and the evaluation (judging
answers, and being judged on eval/claims.jsonl). Offline signals only, checked in this order:

Step 1: numbers agree. Every quantity of the claim (79 萬 = 790,000 = 79万, 七十九萬, 三個月,
        "forty-five", 54% = 54 percent = 54パーセント, 四分之一 = 1/4) appears in the passages with
        a compatible unit: a percentage is never a count, months are never years.
Step 2: named entities agree. A country, organisation or glossary term the claim names (in any
        of zh-TW, ja, en) must be named by the passages too.
Step 3: roles agree. When the claim names two countries, swapping them must not fit the
        passages' characters better ("台灣規劃、日本執行" against "日本規劃、台灣執行"), and what
        a CJK claim says of one country (the subject of its clause) must not be what the
        passages say of the other ("台湾は資金とブランドを持つ" against "日本擁有資金與品牌").
Step 4: polarity agrees. A claim that negates what the best-matching sentence asserts (or the
        reverse) is not supported.
Step 5: meaning agrees. The claim, and each of its clauses, is close in cross-lingual embedding
        space (multilingual-e5) to a sentence of the passages; lexical overlap adds to the score.

An optional ``LLMJudge`` checks claim by claim with any LangChain chat model, as RAGAS
faithfulness does; ``CombinedVerifier`` lets the offline checks veto it.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, cast

import numpy as np

from ingest.embed import Embedder
from ingest.text import detect_language, fold_script, lexical_tokens, split_sentences


@dataclass(frozen=True)
class GroundingVerdict:
    supported: bool
    score: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Verifier(Protocol):
    def verify(self, claim: str, passages: Sequence[str]) -> GroundingVerdict: ...


# --------------------------------------------------------------------------------------------
# Step 1: quantities
# --------------------------------------------------------------------------------------------


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
    r"\b(?P<num>a|an|one|two|three)[-\s](?P<den>half|halves|thirds?|quarters?)\b", re.IGNORECASE
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


# --------------------------------------------------------------------------------------------
# Step 2 and 3: named entities
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    """A named thing and its names in zh-TW, ja and en. ``forms`` are the names used when a
    claim's two entities are swapped, by role: ``han`` (zh-TW), ``kana`` (ja), ``en``,
    ``en_adj``."""

    key: str
    aliases: tuple[str, ...]
    forms: dict[str, str] = field(default_factory=dict)
    swappable: bool = False


def _country(key: str, zh: str, ja: str, en: str, adj: str, *aliases: str) -> Entity:
    forms = {"zh-TW": zh, "ja": ja, "en": en, "en_adj": adj}
    return Entity(key, (zh, ja, en, adj, *aliases), forms, swappable=True)


def _org(key: str, *aliases: str) -> Entity:
    return Entity(key, aliases)


def _group(entity: Entity) -> str:
    if entity.key.startswith("glossary:"):
        return "glossary"
    return "country" if entity.swappable else "other"


# General knowledge: countries, regions and organisations the Taiwan–Japan ecosystem talks
# about, with their usual names and abbreviations in the three languages.
ENTITIES: tuple[Entity, ...] = (
    _country("taiwan", "台灣", "台湾", "Taiwan", "Taiwanese", "臺灣", "台商", "台資", "台企",
             "台方", "台系", "Formosa", "中華民國", "ROC"),
    _country("japan", "日本", "日本", "Japan", "Japanese", "日方", "日商", "日資", "日系",
             "日企", "日本国", "ニッポン", "にっぽん"),
    _country("china", "中國", "中国", "China", "Chinese", "中方", "中資", "中国大陸", "中國大陸",
             "PRC", "非中", "脱中国", "脫中", "Non-China", "一帶一路"),
    _country("korea", "韓國", "韓国", "Korea", "Korean", "南韓", "韓方", "South Korea"),
    _country("usa", "美國", "アメリカ", "United States", "American", "米国", "美方", "U.S.",
             "USA", "US", "America"),
    _country("india", "印度", "インド", "India", "Indian"),
    _country("indonesia", "印尼", "インドネシア", "Indonesia", "Indonesian", "印度尼西亞"),
    _country("philippines", "菲律賓", "フィリピン", "Philippines", "Philippine", "Filipino"),
    _country("vietnam", "越南", "ベトナム", "Vietnam", "Vietnamese", "Viet Nam"),
    _country("thailand", "泰國", "タイ王国", "Thailand", "Thai"),
    _country("malaysia", "馬來西亞", "マレーシア", "Malaysia", "Malaysian"),
    _country("singapore", "新加坡", "シンガポール", "Singapore", "Singaporean"),
    _country("germany", "德國", "ドイツ", "Germany", "German"),
    _country("uk", "英國", "イギリス", "United Kingdom", "British", "英国", "Britain", "UK"),
    _country("france", "法國", "フランス", "France", "French"),
    _country("russia", "俄羅斯", "ロシア", "Russia", "Russian"),
    _country("australia", "澳洲", "オーストラリア", "Australia", "Australian", "豪州"),
    _country("israel", "以色列", "イスラエル", "Israel", "Israeli"),
    _org("southeast_asia", "東南亞", "東南アジア", "Southeast Asia", "South-East Asia",
         "Southeast Asian"),
    _org("asean", "ASEAN", "東協", "東盟"),
    _org("middle_east", "中東", "Middle East", "Middle Eastern"),
    _org("europe", "歐洲", "欧州", "ヨーロッパ", "Europe", "European", "EU", "歐盟", "欧州連合"),
    _org("africa", "非洲", "アフリカ", "Africa", "African"),
    _org("latin_america", "拉丁美洲", "中南美", "ラテンアメリカ", "Latin America", "中南米"),
    _org("indo_pacific", "印太", "インド太平洋", "Indo-Pacific"),
    _org("asia_pacific", "亞太", "アジア太平洋", "Asia-Pacific", "Asia Pacific"),
    _org("silicon_valley", "矽谷", "シリコンバレー", "Silicon Valley"),
    _org("global_south", "全球南方", "グローバルサウス", "グローバル・サウス", "Global South"),
    _org("kumamoto", "熊本", "Kumamoto"),
    _org("tokyo", "東京", "Tokyo"),
    _org("osaka", "大阪", "Osaka"),
    _org("taipei", "台北", "臺北", "Taipei"),
    _org("hsinchu", "新竹", "Hsinchu"),
    _org("tsmc", "台積電", "TSMC", "台湾積体電路製造", "Taiwan Semiconductor Manufacturing"),
    _org("jasm", "JASM", "Japan Advanced Semiconductor Manufacturing"),
    _org("rapidus", "Rapidus", "ラピダス"),
    _org("sony", "Sony", "ソニー", "索尼"),
    _org("toyota", "Toyota", "トヨタ", "豐田"),
    _org("jica", "JICA", "國際協力機構", "国際協力機構", "ジャイカ",
         "Japan International Cooperation Agency"),
    _org("jetro", "JETRO", "ジェトロ", "日本貿易振興機構", "Japan External Trade Organization"),
    _org("meti", "METI", "經產省", "經濟產業省", "経済産業省", "経産省",
         "Ministry of Economy, Trade and Industry"),
    _org("moea", "MOEA", "經濟部", "台湾経済部", "Ministry of Economic Affairs"),
    _org("nedo", "NEDO", "新エネルギー・産業技術総合開発機構"),
    _org("itri", "ITRI", "工研院", "工業技術研究院", "Industrial Technology Research Institute"),
    _org("sequoia", "Sequoia", "紅杉", "セコイア"),
    _org("economist", "Economist", "經濟學人", "エコノミスト"),
    _org("un", "United Nations", "聯合國", "国際連合", "国連"),
    _org("wto", "WTO", "世界貿易組織", "世界貿易機関"),
    _org("oda", "ODA", "政府開發援助", "政府開発援助", "official development assistance"),
)  # fmt: skip

# Abbreviated pairs: 台日 names Taiwan and Japan; 中、韓 names China and Korea.
_ABBREVIATION = {
    "台": "taiwan", "臺": "taiwan", "日": "japan", "中": "china", "韓": "korea", "美": "usa",
    "米": "usa", "印": "india", "越": "vietnam", "菲": "philippines",
}  # fmt: skip
_PAIR = re.compile(r"(台|臺|日|中|韓|美|米)、?(台|臺|日|韓|美|米|中)")
# The pairs that name two countries (日中 is also "daytime", 美中 also "in beauty").
_PAIRS = frozenset(
    {"台日", "日台", "臺日", "日臺", "台美", "美台", "日美", "美日", "日米", "米日", "日韓", "韓日",
     "台韓", "韓台", "中韓", "韓中", "米中", "中、韓", "中、日", "日、韓", "台、日", "日、台",
     "美、中", "中、美", "美、日", "日、美"}
)  # fmt: skip


@dataclass(frozen=True)
class Mention:
    entity: str
    start: int
    end: int
    surface: str
    abbreviated: bool = False  # the 台 of 台日


# After a country's name, these make it a possessive or an object, not the clause's subject.
_NOT_SUBJECT = re.compile(
    r"\s*(?:側|方|企業|社)?(?:の|的|之|に|を|と|與|与|和|及|から|へ|より|對|对|向)"
)


def _is_subject(text: str, mention: Mention, start: int, end: int) -> bool:
    """台湾は…, 日本急需…, 台湾の起業家は… and 台灣的創業者… are subjects; 日本の材料に依存,
    與日本, 對台灣 are not."""
    if start < mention.start and text[mention.start - 1] in "與与和對对向由於于":
        return text[mention.start - 1] == "由"  # 由日本導航: the agent
    follower = _NOT_SUBJECT.match(text, mention.end)
    if not follower:
        return True
    if follower.group().strip().endswith("の"):  # 台湾の起業家は: the topic is the country's
        rest = text[mention.end : end]
        topic = rest.find("は")
        return topic >= 0 and not re.search(r"[をにへ]", rest[:topic])
    if follower.group().strip().endswith("的"):  # 台灣的創業者 at the head of a clause
        return not text[start : mention.start].strip(" 「『(")
    return False


_MARKED_SUBJECT = re.compile(r"\s*(?:は|が|も|則|则)")

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
                self._keys.setdefault(alias.casefold(), key)
            else:
                pattern = re.escape(fold_script(alias))
                self._keys.setdefault(fold_script(alias), key)
            parts[_group(self.entities[key])].append(pattern)
        # countries apart, so that a term naming one ("Japan plans") still names the country
        self._patterns = [re.compile("|".join(p), re.IGNORECASE) for p in parts.values() if p]

    @classmethod
    def with_glossary(cls, glossary: Path | None) -> EntityTable:
        """The built-in table plus the glossary's named terms (groups with a capitalised
        English name: JICA, Dejima, Global South, …)."""
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
                entities.append(Entity(f"glossary:{number}:{english[0]}", aliases))
        return cls(entities)

    def mentions(self, text: str) -> list[Mention]:
        folded = _fold_han(text)
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
        return [
            m
            for m in found
            if not any(
                o.start <= m.start
                and m.end <= o.end
                and (o.end - o.start) > (m.end - m.start)
                and o.entity != m.entity
                for o in outer
            )
        ]

    def missing(self, claim: str, passages: str) -> list[str]:
        """Entities the claim names and the passages do not; 台日 in a claim is satisfied by
        雙方 ("both sides") in the passages."""
        named = self.keys(passages)
        both = bool(_BOTH_SIDES.search(passages))
        absent: dict[str, bool] = {}
        for mention in self.mentions(claim):
            if mention.entity in named:
                continue
            excused = mention.abbreviated and both
            absent[mention.entity] = absent.get(mention.entity, True) and excused
        return sorted(_entity_label(key) for key, excused in absent.items() if not excused)

    def keys(self, text: str) -> set[str]:
        return {mention.entity for mention in self.mentions(text)}

    def subject_clauses(self, text: str) -> list[tuple[str, set[str]]]:
        """Each clause of a CJK text with its subject (the first country named in it that is
        not a possessive or an object, 日本の/日本的/與日本; else the previous clause's) and
        its content bigrams, names blanked."""
        found: list[tuple[str, set[str]]] = []
        for sentence in split_sentences(unicodedata.normalize("NFKC", text)):
            subject = ""
            body = sentence.text
            mentions = [
                m
                for m in self.mentions(body)
                if self.entities[m.entity].swappable and not m.abbreviated
            ]
            blanked = list(body)
            for m in mentions:
                blanked[m.start : m.end] = " " * (m.end - m.start)
            starts = [0, *(m.end() for m in _CLAUSE_END.finditer(body))]
            ends = [*(m.start() for m in _CLAUSE_END.finditer(body)), len(body)]
            for start, end in zip(starts, ends, strict=True):
                # the clause's first subject, and any later one a particle marks as such
                # (日本が航路を定め台湾が動力を供給する); a later bare name is an object
                cuts: list[Mention] = []
                for m in mentions:
                    if (
                        start <= m.start < end
                        and _is_subject(body, m, start, end)
                        and (not cuts or _MARKED_SUBJECT.match(body, m.end))
                    ):
                        cuts.append(m)
                pieces = [(start, cuts[0].start if cuts else end, subject)]
                for index, m in enumerate(cuts):
                    stop = cuts[index + 1].start if index + 1 < len(cuts) else end
                    pieces.append((m.start, stop, m.entity))
                for low, high, who in pieces:
                    subject = who or subject
                    grams = _content_bigrams("".join(blanked[low:high]))
                    if subject and grams:
                        found.append((subject, grams))
        return found

    def role_conflicts(self, claim: str, passages: str) -> int:
        """Clauses of the claim whose content the passages say of the other country, minus
        those they say of the same one (CJK text on both sides)."""
        said: dict[str, set[str]] = {}
        for subject, grams in self.subject_clauses(passages):
            said.setdefault(subject, set()).update(grams)
        balance = 0
        for subject, grams in self.subject_clauses(claim):
            if subject not in said or len(said) < 2:
                continue
            own = len(grams & said[subject])
            other = max(len(grams & g) for s, g in said.items() if s != subject)
            if other >= 2 and other > own:
                balance += 1
            elif own >= 2 and own > other:
                balance -= 1
        return balance

    def swapped(self, claim: str, first: str, second: str, language: str) -> str:
        """The claim with the names of two swappable entities exchanged."""
        a, b = self.entities[first], self.entities[second]
        role = {"zh-TW": "zh-TW", "ja": "ja"}.get(language, "en")
        pieces = []
        last = 0
        for mention in sorted(self.mentions(claim), key=lambda m: m.start):
            if mention.entity not in (first, second) or mention.start < last:
                continue
            source, target = (a, b) if mention.entity == first else (b, a)
            surface = mention.surface
            if len(surface) == 1:  # 台日 → 日台
                replacement = next(k for k, v in _ABBREVIATION.items() if v == target.key)
            elif surface.casefold() == source.forms.get("en_adj", "").casefold():
                replacement = target.forms["en_adj"]
            elif surface.isascii():
                replacement = target.forms["en"]
            else:
                replacement = target.forms.get(role, target.forms["zh-TW"])
            pieces.append(claim[last : mention.start])
            pieces.append(replacement)
            last = mention.end
        pieces.append(claim[last:])
        return "".join(pieces)


# --------------------------------------------------------------------------------------------
# Step 4: negation cues
# --------------------------------------------------------------------------------------------

_NEGATION_ZH = re.compile(r"[不未沒没無无非別别勿否毋莫]")
_NOT_NEGATION_ZH = re.compile(
    r"不得不|不可或缺|不可欠|無往不利|不斷|不断|不僅|不仅|不只|不少|不久|不過|不过|不但|不論|不论|"
    r"不管|無疑|无疑|不能不|不可不|無不|无不|不同|不足|不利|不安|不確|不可思議|無論|无论|非常|非中|未來|未来|否則|否则|別人|"
    r"別的|特別|特别|區別|区别|差別|差别|個別|个别|莫大|無數|無限|無人|無料|"
    r"並非只|不再只|非同|非典型|非營利|非营利|非洲|不動產|不动产"
)
_NEGATION_JA = re.compile(
    r"ない|なかった|なく|ません|ぬ(?![ぁ-ん])|ず(?:に|、|。|,|$)|ではな|じゃな|無し|非|不|無|未"
)
_NOT_NEGATION_JA = re.compile(
    r"なければならない|なくてはならない|ざるを得ない|ざるをえない|少ない|少なく|危ない|"
    r"しかない|に違いない|かもしれない|ならない|足りない|いけない|欠かせない|不可欠|"
    r"不足|不利|不安|不確|非常|非中|未来|無論|まず|必ず|わずか|わず|ずつ|"
    r"だけではなく|のみならず|ばかりでなく|非同"
)
_NEGATION_EN = re.compile(
    r"\b(?:not|no|never|none|nor|neither|without|cannot|nothing|nobody|rather than|instead of"
    r"|fail(?:s|ed)? to|lack(?:s|ed)?)\b|n't\b",
    re.IGNORECASE,
)
_NOT_NEGATION_EN = re.compile(
    r"\b(?:not only|no more than|no less than|no fewer than|nothing but|no doubt|not just"
    r"|not least|not merely)\b",
    re.IGNORECASE,
)


def negation_count(text: str, language: str | None = None) -> int:
    """How many negation cues a text has (idioms and 'not only'/'不僅' do not count)."""
    return len(_negation_cues(text, language))


def _negation_cues(text: str, language: str | None = None) -> list[tuple[int, int]]:
    """Spans of the negation cues of a text, after masking idioms that only look negative."""
    language = language or detect_language(text)
    text = unicodedata.normalize("NFKC", text)

    def masked(pattern: re.Pattern[str], value: str) -> str:
        return pattern.sub(lambda m: " " * len(m.group()), value)

    if language == "en":
        return [m.span() for m in _NEGATION_EN.finditer(masked(_NOT_NEGATION_EN, text))]
    cleaned = masked(_NOT_NEGATION_ZH, text)
    if language == "ja":
        cleaned = masked(_NOT_NEGATION_JA, cleaned)
        return [m.span() for m in _NEGATION_JA.finditer(cleaned)]
    return [m.span() for m in _NEGATION_ZH.finditer(cleaned)]


_SCOPE_CHARS = 8
_FUNCTION_CHARS = set(
    "是要在於于会會能應应再用來来对對為为了的被將将把有並并就也都而且其這这那之與与和及或"
)
_CJK_ONLY = re.compile(r"[^\u3040-\u30ff\u3400-\u9fff]")
_CLAUSE_END = re.compile(r"[,,;;。.!?!?、::—]")
_KANA_CUE = re.compile(r"[\u3040-\u30ff]")


def _cjk_cues(text: str) -> list[tuple[int, int, bool]]:
    """Negation cues of CJK text, each with whether its scope follows it (不是要忍受: Han
    cues) or precedes it (忍受ではなく: Japanese verb endings)."""
    cleaned = _mask(_NOT_NEGATION_JA, _mask(_NOT_NEGATION_ZH, text))
    cues = [(m.start(), m.end(), True) for m in _NEGATION_ZH.finditer(cleaned)]
    cues += [
        (m.start(), m.end(), False)
        for m in _NEGATION_JA.finditer(cleaned)
        if _KANA_CUE.match(m.group())
    ]
    return cues


def _mask(pattern: re.Pattern[str], value: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), value)


def _clause_around(text: str, position: int) -> tuple[int, int]:
    starts = [m.end() for m in _CLAUSE_END.finditer(text, 0, position)]
    following = _CLAUSE_END.search(text, position)
    return (starts[-1] if starts else 0), (following.start() if following else len(text))


def _negated_scopes(text: str) -> list[tuple[int, int]]:
    """Where each negation cue's scope lies, up to the clause's end: the characters after a
    Han cue (不是要忍受), before a Japanese ending (忍受ではなく)."""
    scopes = []
    for start, end, forward in _cjk_cues(text):
        low, high = _clause_around(text, start)
        if forward:
            scopes.append((end, min(high, end + _SCOPE_CHARS)))
        else:
            scopes.append((max(low, start - _SCOPE_CHARS), start))
    return scopes


def _negated_clauses(text: str) -> set[str]:
    grams: set[str] = set()
    for start, _, _ in _cjk_cues(text):
        low, high = _clause_around(text, start)
        grams |= _content_bigrams(text[low:high])
    return grams


def _content_bigrams(text: str) -> set[str]:
    run = _CJK_ONLY.sub("", fold_script(text))
    grams = {run[i : i + 2] for i in range(len(run) - 1)}
    return {g for g in grams if not (set(g) & _FUNCTION_CHARS)}


def negation_conflict(claim: str, segment: str) -> bool:
    """True when one side negates what the other asserts, for CJK text on both sides: a phrase
    in the scope of a negation cue on one side appears on the other side outside any."""
    claim_language, segment_language = detect_language(claim), detect_language(segment)
    if "en" in (claim_language, segment_language):
        return False
    claim_text = unicodedata.normalize("NFKC", claim)
    segment_text = unicodedata.normalize("NFKC", segment)

    def conflict(a: str, b: str) -> bool:
        asserted = _content_bigrams(b) - _negated_clauses(b)
        for start, end in _negated_scopes(a):
            if any(not _is_name(gram) for gram in _content_bigrams(a[start:end]) & asserted):
                return True
        return False

    return conflict(segment_text, claim_text) or conflict(claim_text, segment_text)


_NAMES = frozenset(fold_script(n) for n in ("台灣", "日本", "中國", "台日", "日台", "韓國", "美國"))


def _is_name(gram: str) -> bool:
    return gram in _NAMES


# --------------------------------------------------------------------------------------------
# Step 5: meaning (embeddings) and lexical overlap
# --------------------------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(r"[,,;;::]|——|—|\s(?:while|whereas|but|and which)\s|、(?=[^、]{8,})")


_EDGE_PUNCTUATION = re.compile(r"^[\s。.!?!?]+|[\s。.!?!?]+$")


def claim_clauses(claim: str, min_chars: int = 6) -> list[str]:
    """A claim's clauses: the pieces between , ; : and 'while'/'but' that carry content."""
    pieces = [_EDGE_PUNCTUATION.sub("", piece) for piece in _CLAUSE_BREAK.split(claim)]
    return [piece for piece in pieces if len(piece) >= min_chars] or [claim]


def passage_segments(passages: Sequence[str]) -> list[str]:
    """Sentences of the passages, each also joined with the next (a claim may span two)."""
    segments: list[str] = []
    for passage in passages:
        sentences = [span.text for span in split_sentences(passage) if span.text.strip()]
        segments.extend(sentences)
        segments.extend(" ".join(pair) for pair in itertools.pairwise(sentences))
        if len(sentences) > 2 and len(passage) <= 600:
            segments.append(passage)
    seen: dict[str, None] = {}
    for segment in segments:
        seen.setdefault(segment, None)
    return list(seen) or [""]


def _shingles(text: str) -> set[str]:
    """Character trigrams of CJK runs and Latin word bigrams, after folding scripts."""
    folded = fold_script(text)
    grams: set[str] = set()
    for run in re.findall(r"[\u3040-\u30ff\u3400-\u9fff]+", folded):
        grams.update(run[i : i + 3] for i in range(max(1, len(run) - 2)))
    words = [w for w in lexical_tokens(re.sub(r"[\u3040-\u30ff\u3400-\u9fff]", " ", folded))]
    grams.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    grams.update(words)
    return grams


def lexical_coverage(claim: str, passage: str) -> float:
    """Share of the claim's shingles found in the passage."""
    wanted = _shingles(claim)
    if not wanted:
        return 0.0
    return len(wanted & _shingles(passage)) / len(wanted)


def clause_lexical_coverage(clauses: Sequence[str], passage: str) -> float:
    """The weakest clause's share of content bigrams (Han and kana, scripts folded) found in
    the passage: a clause the passage does not speak of shares few of them. 0 for a claim
    without CJK text."""
    available = _content_bigrams(passage)
    shares = [
        len(grams & available) / len(grams)
        for grams in (_content_bigrams(clause) for clause in clauses)
        if len(grams) >= 3
    ]
    return min(shares) if shares else 0.0


# --------------------------------------------------------------------------------------------
# The offline verifier
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signals:
    """Everything the offline verifier measured for one claim (for calibration and reports)."""

    unmatched_numbers: tuple[str, ...]
    missing_entities: tuple[str, ...]
    swap_gain: float  # how much better the entity-swapped claim fits (> 0 is suspect)
    swapped_pair: tuple[str, ...]
    negation_mismatch: bool
    similarity: float  # best cosine between the claim and a passage segment
    clause_similarity: float  # worst clause's best cosine
    lexical: float  # share of the claim's shingles in the passages
    best_segment: str
    language: str = "en"
    length_ratio: float = 0.0  # log(claim length / best segment length), in characters
    verbatim: bool = False  # the claim is quoted word for word from a passage
    clause_lexical: float = 0.0  # worst clause's share of Han/kana bigrams in the passages
    role_conflicts: int = 0  # claim clauses whose content the passages say of another country

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Fitted by `python -m eval.calibrate` on eval/claims.jsonl (240 claims); see its output for
# the cross-validated and held-out accuracy of this procedure.
_DEFAULT_SCORE = {"zh-TW": 0.9991, "ja": 0.8604, "en": 0.8538}
_DEFAULT_LENGTH = {"zh-TW": -0.213, "ja": 0.178, "en": 1.090}


@dataclass(frozen=True)
class Thresholds:
    """The decision's free parameters, chosen by ``python -m eval.calibrate`` with
    cross-validation on eval/claims.jsonl (grouped by passage). ``score`` is per language of
    the claim: cross-lingual similarities run lower than same-language ones."""

    score: dict[str, float] = field(default_factory=lambda: dict(_DEFAULT_SCORE))
    lexical_weight: float = 0.10
    clause_weight: float = 0.5
    length_weight: float = 0.02
    clause_lexical_weight: float = 0.2
    length_baseline: dict[str, float] = field(default_factory=lambda: dict(_DEFAULT_LENGTH))
    swap_margin: float = 0.0

    def for_language(self, language: str) -> float:
        return self.score.get(language, self.score.get("en", 0.86))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class OfflineVerifier:
    """Numbers, entities, roles and polarity as vetoes; then embedding similarity."""

    def __init__(
        self,
        embedder: Embedder,
        threshold: float | None = None,
        *,
        glossary: Path | None = None,
        thresholds: Thresholds | None = None,
        cache_size: int = 4096,
    ) -> None:
        self.embedder = embedder
        base = thresholds or Thresholds()
        if threshold is not None:  # one threshold for every language
            base = replace(base, score={lang: threshold for lang in ("zh-TW", "ja", "en")})
        self.thresholds = base
        self.entities = EntityTable.with_glossary(glossary)
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()  # the chat checks answers from several threads
        self._cache_size = cache_size

    def verify(self, claim: str, passages: Sequence[str]) -> GroundingVerdict:
        if _quoted(claim, passages):  # an extractive answer's sentence: nothing to embed
            return GroundingVerdict(True, 1.0, "quoted verbatim from a passage")
        signals = self.signals(claim, passages)
        return self.decide(signals)

    def decide(self, signals: Signals, thresholds: Thresholds | None = None) -> GroundingVerdict:
        t = thresholds or self.thresholds
        score = combined_score(signals, t)
        if signals.unmatched_numbers:
            shown = ", ".join(signals.unmatched_numbers)
            return GroundingVerdict(False, 0.0, f"number(s) not in the passage: {shown}")
        if signals.missing_entities:
            shown = ", ".join(signals.missing_entities)
            return GroundingVerdict(False, min(score, 0.1), f"passage does not name: {shown}")
        if signals.swap_gain > t.swap_margin:
            pair = " and ".join(signals.swapped_pair)
            return GroundingVerdict(False, min(score, 0.2), f"roles of {pair} are swapped")
        if signals.role_conflicts > 0:
            return GroundingVerdict(
                False, min(score, 0.2), "the passage says this of another country"
            )
        if signals.negation_mismatch:
            return GroundingVerdict(False, min(score, 0.3), "negation differs from the passage")
        if signals.verbatim:
            return GroundingVerdict(True, max(score, 1.0), "quoted verbatim from a passage")
        if score < t.for_language(signals.language):
            return GroundingVerdict(False, score, "no passage sentence says this")
        return GroundingVerdict(True, score, "a passage sentence says this")

    # -- measurements ---------------------------------------------------------------------
    def signals(self, claim: str, passages: Sequence[str]) -> Signals:
        text = "\n".join(passages)
        language = detect_language(claim)
        # Step 1: numbers
        numbers = tuple(str(q) for q in unmatched_quantities(claim, passages))
        if not numbers and len(quantities(claim)) >= 2:
            numbers = self._misplaced_quantities(claim, passages)
        # Step 2: entities
        claim_entities = self.entities.keys(claim)
        passage_entities = self.entities.keys(text)
        missing = tuple(self.entities.missing(claim, text))
        # Step 5 (needed by 3 and 4): the best-matching passage segment
        segments = passage_segments(passages)
        clauses = claim_clauses(claim)
        vectors = self._embed([claim, *clauses, *segments])
        claim_vector = vectors[0]
        clause_vectors = vectors[1 : 1 + len(clauses)]
        segment_vectors = vectors[1 + len(clauses) :]
        similarities = segment_vectors @ claim_vector
        best = int(np.argmax(similarities))
        similarity = float(similarities[best])
        clause_similarity = float(np.min(np.max(clause_vectors @ segment_vectors.T, axis=1)))
        lexical = lexical_coverage(claim, text)
        # Step 3: roles
        swap_gain, pair = self._swap_gain(
            claim, language, claim_entities & passage_entities, segments, segment_vectors,
            similarity, lexical, text,
        )  # fmt: skip
        # Step 4: polarity against the best segment
        mismatch = negation_conflict(claim, segments[best])
        return Signals(
            unmatched_numbers=numbers,
            missing_entities=missing,
            swap_gain=swap_gain,
            swapped_pair=pair,
            negation_mismatch=mismatch,
            similarity=similarity,
            clause_similarity=clause_similarity,
            lexical=lexical,
            best_segment=segments[best],
            language=language,
            length_ratio=float(np.log(max(len(claim), 1) / max(len(segments[best]), 1))),
            verbatim=_quoted(claim, passages),
            clause_lexical=clause_lexical_coverage(clauses, text),
            role_conflicts=(
                self.entities.role_conflicts(claim, text)
                if language != "en" and detect_language(text) != "en"
                else 0
            ),
        )

    def _misplaced_quantities(self, claim: str, passages: Sequence[str]) -> tuple[str, ...]:
        """Numbers of the claim that the passages state, but about something else: the passage
        clause closest to the claim's clause states a different number of the same kind
        ("40% of respondents, 45% of collaborations" against "45% 的受訪者…近 40% 的既有合作")."""
        clauses = [c for c in claim_clauses(claim) if quantities(c)]
        pieces = [
            c
            for p in passages
            for c in claim_clauses(p, min_chars=2)
            if quantities(c, generous=True)
        ]
        if len(clauses) < 2 or len(pieces) < 2:
            return ()
        vectors = self._embed([*clauses, *pieces])
        similarities = vectors[: len(clauses)] @ vectors[len(clauses) :].T
        wrong: list[str] = []
        for index, clause in enumerate(clauses):
            aligned = quantities(pieces[int(np.argmax(similarities[index]))], generous=True)
            for q in quantities(clause):
                if any(_compatible(q, p) for p in aligned):
                    continue
                if any(_same_kind(q, p) for p in aligned):
                    wrong.append(f"{q} (the passage says {_same_kind_values(q, aligned)} here)")
        return tuple(wrong)

    def _swap_gain(
        self,
        claim: str,
        language: str,
        shared: set[str],
        segments: Sequence[str],
        segment_vectors: np.ndarray,
        similarity: float,
        lexical: float,
        text: str,
    ) -> tuple[float, tuple[str, ...]]:
        swappable = sorted(k for k in shared if self.entities.entities[k].swappable)
        best_gain, best_pair = -1.0, cast(tuple[str, ...], ())
        for i, first in enumerate(swappable):
            for second in swappable[i + 1 :]:
                swapped = self.entities.swapped(claim, first, second, language)
                if swapped == claim:
                    continue
                # Embeddings barely see who does what; the text's own characters do.
                gain = lexical_coverage(swapped, text) - lexical
                if gain > best_gain:
                    best_gain, best_pair = gain, (first, second)
        return best_gain, best_pair

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts``, from an LRU cache: passages are checked again and again."""
        with self._cache_lock:
            missing = [text for text in dict.fromkeys(texts) if text not in self._cache]
        fresh = self.embedder.embed(missing, kind="query") if missing else np.zeros((0, 1))
        with self._cache_lock:
            for text, vector in zip(missing, fresh, strict=True):
                self._cache[text] = vector
            rows = []
            for text in texts:
                self._cache.move_to_end(text)
                rows.append(self._cache[text])
            while len(self._cache) > max(self._cache_size, len(texts)):
                self._cache.popitem(last=False)
        return np.vstack(rows)


def combined_score(signals: Signals, t: Thresholds) -> float:
    """Meaning (whole claim and its weakest clause), plus lexical overlap, minus a penalty
    for a claim much longer than the sentence it matches (it says more than the passage)."""
    meaning = (1 - t.clause_weight) * signals.similarity + t.clause_weight * (
        signals.clause_similarity
    )
    baseline = t.length_baseline.get(signals.language, 0.0)
    excess = max(0.0, signals.length_ratio - baseline)
    lexical = t.lexical_weight * signals.lexical + t.clause_lexical_weight * signals.clause_lexical
    return meaning + lexical - t.length_weight * excess


def _quoted(claim: str, passages: Sequence[str]) -> bool:
    squeezed = _squeeze(claim)
    return len(squeezed) >= 4 and any(squeezed in _squeeze(passage) for passage in passages)


def _squeeze(text: str) -> str:
    """NFKC, casefolded, without white space or sentence-final punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s。.!?!?]+", "", folded)


def _entity_label(key: str) -> str:
    return key.split(":", 2)[-1]


@lru_cache(maxsize=1)
def _converters() -> tuple[Any, Any]:
    import opencc

    return opencc.OpenCC("jp2t"), opencc.OpenCC("t2s")


def _fold_han(text: str) -> str:
    """NFKC and one script for Han characters (like ``fold_script``) but keeping case."""
    text = unicodedata.normalize("NFKC", text)
    jp2t, t2s = _converters()
    return str(t2s.convert(jp2t.convert(text)))


# --------------------------------------------------------------------------------------------
# The LLM judge (when an endpoint is configured)
# --------------------------------------------------------------------------------------------

JUDGE_SYSTEM = (
    "You check whether a statement is supported by the given passages, as RAGAS faithfulness "
    "does: the statement is supported only if it can be directly inferred from the passages. "
    "The statement and the passages may be in different languages (Traditional Chinese, "
    "Japanese, English); judge the meaning. Numbers, names and who did what must match; a "
    "statement that adds anything the passages do not say is not supported. Reply with one "
    "word: yes or no."
)
JUDGE_HUMAN = "Passages:\n{passages}\n\nStatement:\n{claim}\n\nSupported (yes or no)?"
_YES = re.compile(r"^\W*(yes|supported|true|是|はい)\b", re.IGNORECASE)


def judge_prompt() -> Any:
    """The judge's prompt (a LangChain ``ChatPromptTemplate``)."""
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages([("system", JUDGE_SYSTEM), ("human", JUDGE_HUMAN)])


class LLMJudge:
    """Claim-by-claim verdicts from any LangChain chat model (``BaseChatModel``)."""

    def __init__(self, model: Any) -> None:
        from langchain_core.output_parsers import StrOutputParser

        self.chain = judge_prompt() | model | StrOutputParser()

    def verify(self, claim: str, passages: Sequence[str]) -> GroundingVerdict:
        numbered = "\n".join(f"[{n}] {text}" for n, text in enumerate(passages, start=1))
        reply = str(self.chain.invoke({"passages": numbered, "claim": claim}))
        supported = bool(_YES.match(reply.strip()))
        return GroundingVerdict(supported, 1.0 if supported else 0.0, f"LLM judge: {reply[:40]}")


class CombinedVerifier:
    """The offline checks first: a wrong number, a missing entity, swapped roles or a
    contradicted negation is final. Otherwise the LLM judge decides; if it fails (endpoint
    down), the offline verdict stands."""

    def __init__(self, offline: OfflineVerifier, judge: Verifier) -> None:
        self.offline = offline
        self.judge = judge

    def verify(self, claim: str, passages: Sequence[str]) -> GroundingVerdict:
        signals = self.offline.signals(claim, passages)
        verdict = self.offline.decide(signals)
        if vetoed(signals, self.offline.thresholds):
            return verdict
        try:
            return self.judge.verify(claim, passages)
        except Exception as error:  # an endpoint error must not stop an evaluation
            return replace(verdict, reason=f"{verdict.reason} (LLM judge failed: {error})")


def vetoed(signals: Signals, thresholds: Thresholds) -> bool:
    """Whether a hard check (numbers, entities, roles, negation) rejects the claim."""
    return bool(
        signals.unmatched_numbers
        or signals.missing_entities
        or signals.swap_gain > thresholds.swap_margin
        or signals.role_conflicts > 0
        or signals.negation_mismatch
    )


def make_verifier(settings: Any, embedder: Embedder) -> Verifier:
    """The verifier for these settings: offline, plus the LLM judge when an endpoint is
    configured."""
    offline = OfflineVerifier(embedder, glossary=Path(settings.corpus_dir) / "glossary.json")
    if not getattr(settings, "llm_configured", False):
        return offline
    from assistant.generate import chat_model

    return CombinedVerifier(offline, LLMJudge(chat_model(settings, max_tokens=8)))
