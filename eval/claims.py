"""Judge the judge: score a verifier on a labelled claims file.

A claims file is JSON Lines: ``id``, ``lang``, ``claim``, ``passage``, ``label``
(``supported`` | ``unsupported``) and, optionally, ``kind`` (paraphrase, wrong_number, …).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import ClaimsError
from assistant.grounding import GroundingVerdict, Verifier
from eval.editions import Editions
from eval.metrics import Confusion, confusion

LABELS = ("supported", "unsupported")


@dataclass(frozen=True)
class Claim:
    id: str
    lang: str
    claim: str
    passage: str
    label: str
    kind: str = ""


def load_claims(path: Path) -> list[Claim]:
    claims = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            claim = Claim(
                id=str(raw["id"]),
                lang=str(raw["lang"]),
                claim=str(raw["claim"]),
                passage=str(raw["passage"]),
                label=str(raw["label"]),
                kind=str(raw.get("kind") or ""),
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ClaimsError(f"{path}:{number}: not a valid claim: {error}") from error
        if claim.label not in LABELS:
            raise ClaimsError(f"{path}:{number}: label must be one of {LABELS}")
        claims.append(claim)
    return claims


# What issue #16's "zero wrong numbers or reversed bounds accepted" counts, by the kinds the
# claim files label them with (the number sets use the last three).
WRONG_NUMBER_KINDS = ("wrong_number", "unit_change", "reversed_bound", "wrong_unit_or_currency")


@dataclass(frozen=True)
class ClaimsReport:
    overall: Confusion
    by_kind: dict[str, Confusion]
    by_language: dict[str, Confusion]
    wrong_numbers_accepted: tuple[str, ...]
    wrong_numbers: int = 0  # claims of a kind in WRONG_NUMBER_KINDS

    @property
    def numbers_caught(self) -> float:
        """Share of the wrong-number claims rejected (1.0: no wrong number accepted)."""
        if not self.wrong_numbers:
            return 1.0
        return 1 - len(self.wrong_numbers_accepted) / self.wrong_numbers

    def gate_metrics(self) -> dict[str, Any]:
        """What ``--fail-under`` can name in claims mode."""
        return self.overall.to_dict() | {"numbers_caught": self.numbers_caught}

    def to_dict(self) -> dict[str, Any]:
        return {
            "numbers_caught": self.numbers_caught,
            "overall": self.overall.to_dict(),
            "by_kind": {k: v.to_dict() for k, v in self.by_kind.items()},
            "by_language": {k: v.to_dict() for k, v in self.by_language.items()},
            "wrong_numbers_accepted": list(self.wrong_numbers_accepted),
        }

    def markdown(self) -> str:
        o = self.overall
        lines = [
            "## Verifier on labelled claims",
            "",
            f"accuracy **{o.accuracy:.3f}**, balanced accuracy **{o.balanced_accuracy:.3f}**, "
            f"catching unsupported: precision **{o.unsupported_precision:.3f}**, "
            f"recall **{o.unsupported_recall:.3f}** (n={o.total})",
            "",
            o.matrix(),
            "",
            "wrong numbers accepted: "
            + (", ".join(self.wrong_numbers_accepted) if self.wrong_numbers_accepted else "none"),
            "",
            _breakdown("language", self.by_language),
            "",
            _breakdown("kind", self.by_kind),
        ]
        return "\n".join(lines)


def _breakdown(name: str, groups: dict[str, Confusion]) -> str:
    lines = [
        f"| {name} | n | accuracy | balanced acc. | unsupp. precision | unsupp. recall |",
        "|---|---|---|---|---|---|",
    ]
    for key, table in sorted(groups.items()):
        lines.append(
            f"| {key} | {table.total} | {table.accuracy:.3f} | {table.balanced_accuracy:.3f} | "
            f"{table.unsupported_precision:.3f} | {table.unsupported_recall:.3f} |"
        )
    return "\n".join(lines)


def judge(
    verifier: Verifier,
    claims: Iterable[Claim],
    progress: bool = False,
    editions: Editions | None = None,
) -> list[tuple[Claim, GroundingVerdict]]:
    """Each claim's verdict against its passage and, given ``editions`` (the corpus's), the
    passage's other edition where the corpus has one."""
    from tqdm import tqdm

    items = list(claims)
    return [
        (claim, verify(verifier, claim, editions))
        for claim in tqdm(items, desc="claims", disable=not progress)
    ]


def verify(verifier: Verifier, claim: Claim, editions: Editions | None = None) -> GroundingVerdict:
    other = editions.other(claim.passage, claim.lang) if editions is not None else None
    return verifier.verify(claim.claim, [claim.passage], editions=[other] if other else ())


def report(judged: Sequence[tuple[Claim, GroundingVerdict]]) -> ClaimsReport:
    def table(rows: Sequence[tuple[Claim, GroundingVerdict]]) -> Confusion:
        return confusion(
            [claim.label == "supported" for claim, _ in rows],
            [verdict.supported for _, verdict in rows],
        )

    kinds: dict[str, list[tuple[Claim, GroundingVerdict]]] = defaultdict(list)
    languages: dict[str, list[tuple[Claim, GroundingVerdict]]] = defaultdict(list)
    for row in judged:
        kinds[row[0].kind or "-"].append(row)
        languages[row[0].lang].append(row)
    numeric = [(c, v) for c, v in judged if c.kind in WRONG_NUMBER_KINDS]
    wrong = tuple(claim.id for claim, verdict in numeric if verdict.supported)
    return ClaimsReport(
        overall=table(judged),
        by_kind={k: table(v) for k, v in kinds.items()},
        by_language={k: table(v) for k, v in languages.items()},
        wrong_numbers_accepted=wrong,
        wrong_numbers=len(numeric),
    )


def verdict_records(judged: Sequence[tuple[Claim, GroundingVerdict]]) -> list[dict[str, Any]]:
    return [
        {
            "id": claim.id,
            "lang": claim.lang,
            "label": claim.label,
            "kind": claim.kind,
            "verdict": "supported" if verdict.supported else "unsupported",
            "score": round(verdict.score, 4),
            "reason": verdict.reason,
        }
        for claim, verdict in judged
    ]
