"""Regression gates: ``--fail-under METRIC=VALUE`` parsed (``parse_gate``) and checked against a
summary (``check_gates``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from assistant.errors import GateError
from eval.summary import GATED


@dataclass(frozen=True)
class Gate:
    scope: str  # a language or "all"
    metric: str
    minimum: float

    @property
    def name(self) -> str:
        return self.metric if self.scope == "all" else f"{self.scope}.{self.metric}"


CLAIMS_GATED = (
    "balanced_accuracy", "accuracy", "unsupported_precision", "unsupported_recall",
    "numbers_caught",
)  # fmt: skip


def parse_gate(text: str, metrics: Sequence[str] = GATED) -> Gate:
    """``METRIC=VALUE`` (overall) or ``LANG.METRIC=VALUE`` (zh, ja, en), METRIC one of
    ``metrics`` (the questions' by default, ``CLAIMS_GATED`` for a claims file)."""
    name, sep, value = text.partition("=")
    if not sep:
        raise GateError(f"--fail-under {text!r}: write METRIC=VALUE, e.g. hit@5=0.9")
    scope, dot, metric = name.strip().rpartition(".")
    if not dot:
        scope, metric = "all", name.strip()
    if metric not in metrics:
        raise GateError(
            f"--fail-under {text!r}: unknown metric {metric!r}; one of: {', '.join(metrics)}"
        )
    try:
        minimum = float(value)
    except ValueError as error:
        raise GateError(f"--fail-under {text!r}: {value!r} is not a number") from error
    return Gate(scope or "all", metric, minimum)


def check_gates(table: dict[str, dict[str, float]], gates: Sequence[Gate]) -> list[str]:
    """The failures, as messages; empty when every gate passes."""
    failures = []
    for gate in gates:
        row = table.get(gate.scope)
        if row is None or gate.metric not in row:
            failures.append(f"{gate.name}: not measured in this run")
        elif row[gate.metric] < gate.minimum:
            failures.append(f"{gate.name} = {row[gate.metric]:.3f} is under {gate.minimum:g}")
    return failures
