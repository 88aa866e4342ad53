"""Words that make a number a bound (more than, 以上, 超過, 6割強, at most, within, 以下, 不到,
1,400時間弱: a direction) or approximate (約, nearly, 三年多, or so: a hedge)."""

from __future__ import annotations

import re

from assistant.grounding.quantity import LOWER, UPPER

# "more than half", 超過半數, 過半數: a bound, not the number itself (read only in a passage);
# "nearly half", 近半數, 約半数 are an approximate half.
_HALF_BOUND = re.compile(
    r"(?:超過|超过|逾|過|过|\b(?:more than|over|under|less than|at least|just over|just under|"
    r"well over)\s+(?:a\s+)?)$",
    re.IGNORECASE,
)
_HALF_BOUND_AFTER = re.compile(
    r"\s*(?:を?超え|を?超す|を(?:やや|少し|わずかに)?[上下]回|以上|以下|未満|未滿|不到|or more\b)"
)
# Words that make a number a bound, and its direction: "more than 30" and "30 or fewer" state
# the same number and opposite facts ("nearly 40%" is under 40%). 不足 is left out: it is also
# the noun "shortage" (人材不足).
_ABOUT = r"\s*(?:約|约|およそ|大約|大约|about|around|roughly|nearly|approximately)?\s*$"
_LOWER_BEFORE = re.compile(
    r"(?:(?<![不未沒没])(?:超過|超过|逾|多於|多于|高於|高于|突破|超出)|至少|"
    r"(?<!\bnot )(?<!\bno )\b(?:more than|over|above|exceed(?:s|ed|ing)?|surpass(?:es|ed|ing)?|"
    r"top(?:s|ped)|beyond)|"
    r"少なくとも|最低でも|"
    r"\b(?:at least|upwards of|in excess of|just over|well over|no fewer than|no less than))"
    + _ABOUT,
    re.IGNORECASE,
)
_UPPER_BEFORE = re.compile(
    r"(?:不到|最多|至多|最大|最高|高達|高达|少於|少于|低於|低于|將近|将近|接近|(?<![最附靠鄰邻親亲])近|"
    r"未[達达滿满]到?|達不到|达不到|"
    r"[不未沒没](?:超過|超过|逾|多於|多于|高於|高于)|\b(?:not|no) (?:more than|over|above)|"
    r"\bnot exceeding|"
    r"(?<!\bno )\b(?:less than|fewer than)|"
    r"\b(?:under|up to|at most|within|just under|no more than|as many as|"
    r"short of|"
    r"as much as|as high as|below|nearly|almost|close to))" + _ABOUT,
    re.IGNORECASE,
)
# a currency word may come between a number and its bound word: 5000円以上, 1000億円を超える
_CURRENCY_WORD = r"\s*(?:日圓|日円|日元|日幣|円|圓|元|ドル|美元|美金|ユーロ|[台臺]幣|yen\b)?"
_LOWER_AFTER = re.compile(
    _CURRENCY_WORD + r"\s*(?:以上|を?超え|を?超す|を(?:やや|少し|わずかに)?上回|を突破"
    r"|超(?=[的之]|[^\w]|[のがをにでとはもや]|$)|強(?=[^\w]|[のがをにでとはもやだ]|$)"
    r"|\bor more\b|\bplus\b)",
    re.IGNORECASE,
)
_UPPER_AFTER = re.compile(
    _CURRENCY_WORD
    + r"\s*(?:以下|未満|未滿|以內|以内|を(?:やや|少し|わずかに)?下回|を切|を割|に満た|に届か|近く"
    r"|弱(?=[^\w]|[のがをにでとはもやだ]|$)|\bor (?:less|fewer)\b|\bat most\b)",
    re.IGNORECASE,
)


def bound_of(text: str, start: int, end: int) -> str:
    """The direction a bound word gives the number at ``text[start:end]`` ("" for none)."""
    before = text[max(0, start - 24) : start]
    lower = bool(_LOWER_BEFORE.search(before) or _LOWER_AFTER.match(text, end))
    upper = bool(_UPPER_BEFORE.search(before) or _UPPER_AFTER.match(text, end))
    return LOWER if lower and not upper else UPPER if upper and not lower else ""


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


def _hedged(text: str, start: int, end: int) -> bool:
    """Whether a hedge (約, nearly, 強, 以上, or so) comes right before ``start`` or right
    after ``end``."""
    return bool(
        _HEDGE_BEFORE.search(text[max(0, start - 16) : start]) or _HEDGE_AFTER.match(text, end)
    )
