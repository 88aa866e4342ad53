"""Summaries of repeated measurements: medians and 95th percentiles, never single runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


@dataclass(frozen=True)
class Summary:
    """Repeated samples of one quantity (seconds, chunks/s, MB...)."""

    n: int
    p50: float
    p95: float
    mean: float
    min: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        if not samples:
            raise ValueError("no samples to summarise")
        values = np.asarray(samples, dtype=np.float64)
        return cls(
            n=len(values),
            p50=float(np.percentile(values, 50)),
            p95=float(np.percentile(values, 95)),
            mean=float(values.mean()),
            min=float(values.min()),
            max=float(values.max()),
        )

    def scaled(self, factor: float) -> Summary:
        """The same samples in another unit (seconds → milliseconds: ``scaled(1000)``)."""
        return Summary(
            self.n,
            self.p50 * factor,
            self.p95 * factor,
            self.mean * factor,
            self.min * factor,
            self.max * factor,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def timed(func: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


def interleaved(
    ours: Callable[[T], object],
    theirs: Callable[[T], object],
    inputs: Sequence[T],
    *,
    warmup: int = 2,
    budget_s: float | None = None,
    min_runs: int = 5,
) -> tuple[list[float], list[float]]:
    """Seconds per call of ``ours`` and ``theirs``, alternating on each input so both see the
    same machine noise, after ``warmup`` untimed calls each. ``theirs`` stops once it has spent
    ``budget_s`` seconds (and done ``min_runs`` calls); ``ours`` runs on every input."""
    for item in inputs[:warmup]:
        ours(item)
        theirs(item)
    mine: list[float] = []
    other: list[float] = []
    for item in inputs[warmup:]:
        mine.append(timed(partial(ours, item))[0])
        if budget_s is None or sum(other) < budget_s or len(other) < min_runs:
            other.append(timed(partial(theirs, item))[0])
    return mine, other
