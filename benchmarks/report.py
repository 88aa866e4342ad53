"""Rows beside their LangChain baseline, targets met or missed, the table and the JSON.

The table shows the headline rows, what a user feels (cold and warm ask, opening a store,
retrieval at 100k chunks, re-ingest, ingest, the chat's first answer, generated answers);
the supporting rows (CPU time, imports, per-backend and per-size figures) follow with
``--details`` and are always in the JSON."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from benchmarks.stats import Summary

Better = Literal["lower", "higher"]
# The order of the table: a question cold and warm, opening a store as it grows, retrieval at
# 100k chunks, ingest, the chat, generated answers
ORDER = ("cold", "warm", "open", "memory", "scale", "ingest", "ui", "llm")


@dataclass(frozen=True)
class Row:
    """One figure: ours and the naive LangChain pipeline's, measured in the same run."""

    section: str
    name: str
    unit: str
    ours: Summary | None
    baseline: Summary | None = None
    better: Better = "lower"
    note: str = ""
    headline: bool = False  # what a user feels: in the table; the rest with --details

    @property
    def shown_first(self) -> bool:
        """In the table: a headline row, or a generated answer's wait (every llm row)."""
        return self.headline or self.section == "llm"

    @property
    def advantage(self) -> float | None:
        """How many times better ours is at the median (> 1: ours wins)."""
        if self.ours is None or self.baseline is None or not self.ours.p50 or not self.baseline.p50:
            return None
        if self.better == "lower":
            return self.baseline.p50 / self.ours.p50
        return self.ours.p50 / self.baseline.p50

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "name": self.name,
            "unit": self.unit,
            "better": self.better,
            "ours": self.ours.to_dict() if self.ours else None,
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "ours_vs_baseline": self.advantage,
            "note": self.note,
            "headline": self.shown_first,
        }


@dataclass(frozen=True)
class Target:
    name: str
    goal: str
    value: str
    met: bool | None  # None: could not be measured in this run

    @property
    def verdict(self) -> str:
        return {True: "MET", False: "MISSED", None: "NOT MEASURED"}[self.met]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "goal": self.goal,
            "value": self.value,
            "met": self.met,
            "verdict": self.verdict,
        }


@dataclass
class Report:
    mode: str
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profiles: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "mode": self.mode,
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
            },
            "rows": [row.to_dict() for row in self.rows],
            "targets": [target.to_dict() for target in self.targets],
            "notes": self.notes,
            "profiles": self.profiles,
            "extra": self.extra,
        }

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3f}"


def cell(summary: Summary | None) -> str:
    if summary is None:
        return "—"
    if summary.p50 == summary.p95:
        return f"{_number(summary.p50)} (n={summary.n})"
    return f"{_number(summary.p50)} / {_number(summary.p95)} (n={summary.n})"


def advantage_cell(row: Row) -> str:
    ratio = row.advantage
    if ratio is None:
        return "—"
    if row.better == "lower" and row.unit not in ("s", "ms"):  # a size: tokens, MB
        return f"{ratio:.1f}× fewer" if ratio >= 1 else f"{1 / ratio:.1f}× more"
    if row.better == "lower":
        return f"{ratio:.1f}× faster" if ratio >= 1 else f"{1 / ratio:.1f}× slower"
    return f"{ratio:.2f}× higher" if ratio >= 1 else f"{ratio:.2f}× (lower)"


def table(report: Report, details: bool = False) -> str:
    """The headline rows as a fixed-width text table (p50 / p95, n samples), the targets, and
    with ``details`` the supporting rows in a second table."""
    headline = sorted(
        (row for row in report.rows if row.shown_first),
        key=lambda row: ORDER.index(row.section) if row.section in ORDER else len(ORDER),
    )
    rest = [row for row in report.rows if not row.shown_first]
    out = ["what users feel (medians and p95 of n runs; LangChain measured in the same run)"]
    out += _rows_table(headline)
    if details:
        out += ["", "details", *_rows_table(rest)]
    shown = headline + (rest if details else [])
    notes = [f"  [{i}] {row.name}: {row.note}" for i, row in enumerate(shown, 1) if row.note]
    if notes:
        out += ["", "notes:", *notes]
    out += ["", "targets:"]
    out += [
        f"  {target.verdict:<12} {target.name}: {target.value} (goal: {target.goal})"
        for target in report.targets
    ]
    if report.notes:
        out += ["", *[f"* {note}" for note in report.notes]]
    if report.profiles:
        out += ["", "profiles:", *[f"  {name}: {path}" for name, path in report.profiles.items()]]
    return "\n".join(out)


def _rows_table(rows: list[Row]) -> list[str]:
    header = ("section", "measure", "unit", "Kakehashi p50 / p95", "LangChain p50 / p95", "vs LC")
    lines = [
        (row.section, row.name, row.unit, cell(row.ours), cell(row.baseline), advantage_cell(row))
        for row in rows
    ]
    widths = [max(_width(text) for text in column) for column in zip(header, *lines, strict=True)]
    out = [_format(header, widths), _format(tuple("-" * w for w in widths), widths)]
    return out + [_format(line, widths) for line in lines]


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _format(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(
        text + " " * (width - _width(text)) for text, width in zip(cells, widths, strict=True)
    )
