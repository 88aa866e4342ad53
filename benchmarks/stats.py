"""Summaries of repeated measurements: medians and 95th percentiles, never single runs."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def timed(func: Callable[[], T]) -> tuple[float, T]:
    """(seconds, result) of one call."""
    started = time.perf_counter()
    result = func()
    return time.perf_counter() - started, result


@dataclass(frozen=True)
class Paired:
    """Milliseconds per call of two pipelines measured in turn: wall time and process CPU time."""

    ours: Summary
    theirs: Summary
    ours_cpu: Summary
    theirs_cpu: Summary


def _clock(func: Callable[[T], object], item: T) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    func(item)
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def interleaved(
    ours: Callable[[T], object],
    theirs: Callable[[T], object],
    inputs: Sequence[T],
    *,
    rounds: int = 1,
    warmup: int = 2,
    budget_s: float | None = None,
    min_runs: int = 5,
) -> Paired:
    """``ours`` then ``theirs`` on each input, ``rounds`` times, so both see the same machine
    noise, after ``warmup`` untimed calls each. ``theirs`` stops once it has spent ``budget_s``
    seconds (and done ``min_runs`` calls); ``ours`` runs on every input."""
    for item in inputs[:warmup]:
        ours(item)
        theirs(item)
    mine: list[tuple[float, float]] = []
    other: list[tuple[float, float]] = []
    for _ in range(rounds):
        for item in inputs:
            mine.append(_clock(ours, item))
            spent_s = sum(wall for wall, _ in other) / 1000
            if budget_s is None or spent_s < budget_s or len(other) < min_runs:
                other.append(_clock(theirs, item))
    return Paired(
        Summary.of([wall for wall, _ in mine]),
        Summary.of([wall for wall, _ in other]),
        Summary.of([cpu for _, cpu in mine]),
        Summary.of([cpu for _, cpu in other]),
    )
