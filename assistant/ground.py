"""The grounding verifier: is a claim supported by the passages it cites?

Shared by the assistant (checking generated sentences at run time) and the evaluation (judging
answers, and being judged on eval/claims.jsonl). Offline signals only: numbers must agree,
named terms must appear, and the claim must be close in meaning to a sentence of the passages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from ingest.embed import Embedder
from ingest.text import extract_numbers, split_sentences


@dataclass(frozen=True)
class GroundingVerdict:
    supported: bool
    score: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Verifier(Protocol):
    def verify(self, claim: str, passages: Sequence[str]) -> GroundingVerdict: ...


class OfflineVerifier:
    """Numbers first (a claim's numbers must all appear in the passages), then the best
    cross-lingual similarity between the claim and any passage sentence."""

    def __init__(self, embedder: Embedder, threshold: float = 0.86) -> None:
        self.embedder = embedder
        self.threshold = threshold

    def verify(self, claim: str, passages: Sequence[str]) -> GroundingVerdict:
        text = "\n".join(passages)
        missing = extract_numbers(claim) - extract_numbers(text)
        if missing:
            shown = ", ".join(sorted(format(number, "f") for number in missing))
            return GroundingVerdict(False, 0.0, f"number(s) not in the passage: {shown}")
        sentences = [span.text for span in split_sentences(text)] or [text]
        vectors = self.embedder.embed([claim, *sentences], kind="passage")
        score = float(np.max(vectors[1:] @ vectors[0])) if len(sentences) else 0.0
        if score < self.threshold:
            return GroundingVerdict(False, score, "no passage sentence says this")
        return GroundingVerdict(True, score, "a passage sentence says this")
