"""Retrieval and answer metrics (pure functions over plain values)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable, Sequence


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def passage_hits(passage_texts: Sequence[str], gold: Iterable[str]) -> list[bool]:
    """Whether each ranked passage contains any gold quote (white space and width ignored)."""
    golds = [_norm(quote) for quote in gold if quote.strip()]
    return [any(quote in _norm(text) for quote in golds) for text in passage_texts]


def hit_at(hits: Sequence[bool], k: int) -> float:
    return 1.0 if any(hits[:k]) else 0.0


def reciprocal_rank(hits: Sequence[bool]) -> float:
    for rank, hit in enumerate(hits, start=1):
        if hit:
            return 1.0 / rank
    return 0.0


def ndcg_at(hits: Sequence[bool], k: int = 10) -> float:
    gains = [1.0 / math.log2(rank + 1) for rank, hit in enumerate(hits[:k], start=1) if hit]
    ideal_count = min(k, sum(1 for hit in hits if hit)) or (1 if gains else 0)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, ideal_count + 1))
    return sum(gains) / ideal if ideal else 0.0


def fact_coverage(answer: str, facts: Sequence[Sequence[str]]) -> float | None:
    """Share of fact groups of which the answer mentions at least one variant."""
    if not facts:
        return None
    text = _norm(answer)
    covered = sum(1 for group in facts if any(_norm(variant) in text for variant in group))
    return covered / len(facts)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return ordered[low]
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Iterable[float]) -> float:
    items = list(values)
    return sum(items) / len(items) if items else 0.0
