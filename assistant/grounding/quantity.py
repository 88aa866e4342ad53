"""A number as said (value, unit class, hedge, bound) and when one number states another:
the same value (within 10% of the passage's when the claim hedges it), no conflicting unit (a
percentage is never a count, months are never years, a quarter is three months), no bound
turned the other way ("more than 30" against "30 or fewer")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal


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


# A bound's direction: more than, 以上 (LOWER) or at most, 以下 (UPPER); see bounds.py
LOWER, UPPER = "lower", "upper"
_BOUND_SIGN = {LOWER: "≥", UPPER: "≤"}


def reversed_bound(claim: Quantity, passage: Quantity) -> bool:
    """The claim bounds the number the other way from the passage (more than / at most), or
    bounds it on the wrong side of the passage's exact figure ("more than 30" against 28,
    "nearly 40%" against 43%). At the figure itself it is not faulted: 30 may be rounded."""
    units = {claim.unit, passage.unit} - {None}
    if not claim.bound or claim.bound == passage.bound or min(claim.value, passage.value) < 0:
        return False
    if len(units) > 1 and units != _SHARES:
        return False
    claimed, stated = _share(claim), _share(passage)
    if passage.bound:  # "more than a third" agrees with "nearly 40%", "at least 30" not "≤ 30"
        return claimed >= stated if claim.bound == LOWER else claimed <= stated
    if claim.bound == LOWER:
        return stated < claimed
    return stated > claimed


_SHARES = {"fraction", "percent"}


def _share(quantity: Quantity) -> Decimal:
    """A fraction as a percentage (half is 50), any other value as it is."""
    return quantity.value * 100 if quantity.unit == "fraction" else quantity.value


def contradicted(claim: Quantity, stated: Iterable[Quantity]) -> bool:
    """The passage bounds the claim's own figure the other way: "at least 30" against "30 or
    fewer", wherever else the passage says 30 without a bound."""
    return bool(claim.bound) and any(
        p.bound and p.bound != claim.bound and _same_unit(claim, p) and _share(p) == _share(claim)
        for p in stated
    )


# A bound claim states a figure on its side and near it: "more than a third" 38%, "nearly
# half" 45%, "more than 30" 35, but not "more than a third" 45%.
_BOUND_WINDOW = Decimal("1.2")


def _within_bound(claim: Quantity, claimed: Decimal, passage: Quantity, stated: Decimal) -> bool:
    if not claim.bound or claim.bound == passage.bound or claimed <= 0 or stated <= 0:
        return False  # "nearly 41%" is no rounding of "nearly 40%"
    low, high = (
        (claimed, claimed * _BOUND_WINDOW)
        if claim.bound == LOWER
        else (claimed / _BOUND_WINDOW, claimed)
    )
    # a bound passage figure is a range too: "nearly 40%" is 36% to 40%
    stated_low = stated * (1 - _TOLERANCE) if passage.bound == UPPER else stated
    stated_high = stated * (1 + _TOLERANCE) if passage.bound == LOWER else stated
    return low <= stated_high and stated_low <= high


SEVERAL = Decimal(-1)  # "several months", 數週: a vague amount, still with a unit
PERIOD = Decimal(-2)  # "this quarter", 來年: the current or next period of a unit
_TOLERANCE = Decimal("0.1")
# A month of the calendar (2025 年 7 月, 7月24日, July 24, 2025) is a date, not a duration.
CALENDAR_MONTH = "calendar-month"
# "第 1 回", 第三屆, 1st: a rank. 首屆, 首次, 初回, 初めて: the first (read in a passage).
ORDINAL = "ordinal"


def _tolerable(value: Decimal, unit: str | None) -> bool:
    """Whether a hedged number may be read as approximate: not a vague amount, a decade or a
    calendar year ("around 2030" is 2030, never 2100)."""
    if value == SEVERAL or unit == "decade":
        return False
    return not (unit in (None, "year") and value % 1 == 0 and 1000 <= value < 3000)


def _near(claim: Decimal, passage: Decimal) -> bool:
    return abs(claim - passage) <= abs(passage) * _TOLERANCE


def _roundness(value: Decimal) -> Decimal:
    """The largest step of 1 or 5 times a power of ten that ``value`` is a multiple of:
    800,000 -> 100,000; 55 -> 5; 61.5 -> 0.5; 311 -> 1."""
    step = Decimal(1).scaleb(-6)
    best = step
    while step <= abs(value):
        for candidate in (step, step * 5):
            if candidate <= abs(value) and value % candidate == 0:
                best = candidate
        step *= 10
    return best


def _rounded(claim: Decimal, passage: Decimal) -> bool:
    """A hedge rounds a figure; it does not move it: "about 800,000" states 790,000 and
    "nearly 40%" 38.5%, but "about 36%" does not state 35% nor "about 12" 11. The claim's
    figure is the passage's, or rounder than it and within 10% of it."""
    if claim == passage:
        return True
    return _near(claim, passage) and _roundness(claim) > _roundness(passage)


# Durations in their smallest unit: a quarter is three months, a decade ten years, a week
# seven days (a month is no fixed number of days).
_DURATIONS = ({"month": 1, "quarter": 3, "year": 12, "decade": 120}, {"day": 1, "week": 7})


def _compatible(claim: Quantity, passage: Quantity) -> bool:
    """Whether ``passage`` states ``claim``: the same value (within 10% of the passage value
    when the claim hedges it) and no conflicting unit."""
    for scale in _DURATIONS:
        if claim.unit != passage.unit and {claim.unit, passage.unit} <= scale.keys():
            if _looks_like_year(claim) or _looks_like_year(passage):
                return False  # 2025年 is a date, not 24,300 months
            base = min(scale, key=scale.__getitem__)
            claim = replace(claim, value=claim.value * scale[str(claim.unit)], unit=base)
            passage = replace(passage, value=passage.value * scale[str(passage.unit)], unit=base)
    if {claim.unit, passage.unit} == {"fraction", "percent"}:  # a third is 33%, half is 50%
        claimed, stated = (
            q.value * 100 if q.unit == "fraction" else q.value for q in (claim, passage)
        )
        if claim.approximate:
            return _near(claimed, stated) or _within_bound(claim, claimed, passage, stated)
        return abs(claimed - stated) < 1
    if "percent" in (claim.unit, passage.unit) or "fraction" in (claim.unit, passage.unit):
        if claim.unit != passage.unit:
            return False
    elif claim.unit is not None and passage.unit is not None and claim.unit != passage.unit:
        return False
    if claim.approximate:
        return _rounded(claim.value, passage.value) or _within_bound(
            claim, claim.value, passage, passage.value
        )
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


def _same_unit(claim: Quantity, passage: Quantity) -> bool:
    return claim.unit == passage.unit or {claim.unit, passage.unit} == {"fraction", "percent"}
