"""Retrieval and answer metrics (pure functions over plain values)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass


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


# -- the verifier judged on labelled claims -------------------------------------------------


@dataclass(frozen=True)
class Confusion:
    """Verdicts against labels. The positive class of precision and recall is *unsupported*:
    what the verifier is there to catch."""

    supported_accepted: int  # true negatives (correctly let through)
    supported_rejected: int  # false alarms
    unsupported_accepted: int  # misses: an unsupported claim let through
    unsupported_rejected: int  # caught

    @property
    def total(self) -> int:
        return (
            self.supported_accepted
            + self.supported_rejected
            + self.unsupported_accepted
            + self.unsupported_rejected
        )

    @property
    def accuracy(self) -> float:
        return _ratio(self.supported_accepted + self.unsupported_rejected, self.total)

    @property
    def balanced_accuracy(self) -> float:
        rates = []
        if self.supported_accepted + self.supported_rejected:
            rates.append(
                self.supported_accepted / (self.supported_accepted + self.supported_rejected)
            )
        if self.unsupported_accepted + self.unsupported_rejected:
            rates.append(self.unsupported_recall)
        return sum(rates) / len(rates) if rates else 0.0

    @property
    def unsupported_precision(self) -> float:
        return _ratio(
            self.unsupported_rejected, self.unsupported_rejected + self.supported_rejected
        )

    @property
    def unsupported_recall(self) -> float:
        return _ratio(
            self.unsupported_rejected, self.unsupported_rejected + self.unsupported_accepted
        )

    def to_dict(self) -> dict[str, float]:
        return {
            "n": self.total,
            "accuracy": self.accuracy,
            "balanced_accuracy": self.balanced_accuracy,
            "unsupported_precision": self.unsupported_precision,
            "unsupported_recall": self.unsupported_recall,
            "supported_accepted": self.supported_accepted,
            "supported_rejected": self.supported_rejected,
            "unsupported_accepted": self.unsupported_accepted,
            "unsupported_rejected": self.unsupported_rejected,
        }

    def summary(self) -> str:
        return (
            f"n={self.total} accuracy={self.accuracy:.3f} "
            f"balanced_accuracy={self.balanced_accuracy:.3f} "
            f"unsupported P={self.unsupported_precision:.3f} R={self.unsupported_recall:.3f} "
            f"[supported: {self.supported_accepted} accepted / {self.supported_rejected} rejected;"
            f" unsupported: {self.unsupported_accepted} accepted / "
            f"{self.unsupported_rejected} rejected]"
        )

    def matrix(self) -> str:
        """The confusion matrix as a markdown table."""
        return "\n".join(
            [
                "| label \\ verdict | supported | unsupported |",
                "|---|---|---|",
                f"| supported | {self.supported_accepted} | {self.supported_rejected} |",
                f"| unsupported | {self.unsupported_accepted} | {self.unsupported_rejected} |",
            ]
        )


def confusion(labels: Sequence[bool], verdicts: Sequence[bool]) -> Confusion:
    """``labels``/``verdicts``: True when supported."""
    if len(labels) != len(verdicts):
        raise ValueError("labels and verdicts differ in length")
    pairs = list(zip(labels, verdicts, strict=True))
    return Confusion(
        supported_accepted=sum(1 for label, verdict in pairs if label and verdict),
        supported_rejected=sum(1 for label, verdict in pairs if label and not verdict),
        unsupported_accepted=sum(1 for label, verdict in pairs if not label and verdict),
        unsupported_rejected=sum(1 for label, verdict in pairs if not label and not verdict),
    )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


# -- answers: citations, faithfulness, refusals ---------------------------------------------

Entails = Callable[[str, Sequence[str]], bool]


@dataclass(frozen=True)
class CitationScore:
    """ALCE's citation quality for one answer.

    recall: share of sentences whose cited passages, together, entail them (a sentence with
    no citation scores 0). precision: share of citations that are relevant; a citation is
    irrelevant when its sentence is not supported, or when it neither entails the sentence
    alone nor is needed (the other citations still entail it without it).
    faithfulness: supported sentences / all sentences (RAGAS), judged against every passage
    the answer cites.
    """

    sentences: int
    supported: int
    citations: int
    relevant_citations: int
    faithful: int

    @property
    def recall(self) -> float:
        return _ratio(self.supported, self.sentences)

    @property
    def precision(self) -> float:
        return _ratio(self.relevant_citations, self.citations)

    @property
    def faithfulness(self) -> float:
        return _ratio(self.faithful, self.sentences)


def citation_score(
    sentences: Sequence[tuple[str, Sequence[int]]],
    passages: dict[int, str],
    entails: Entails,
) -> CitationScore:
    """``sentences``: each answer sentence with the numbers it cites; ``passages``: the text
    of each citation number; ``entails(claim, passages)``: the judge."""
    supported = citations = relevant = faithful = 0
    everything = [passages[n] for n in sorted(passages)]
    for text, cited in sentences:
        cited = [n for n in dict.fromkeys(cited) if n in passages]
        citations += len(cited)
        if everything and entails(text, everything):
            faithful += 1
        if not cited or not entails(text, [passages[n] for n in cited]):
            continue
        supported += 1
        if len(cited) == 1:
            relevant += 1
            continue
        for n in cited:
            alone = entails(text, [passages[n]])
            needed = not entails(text, [passages[m] for m in cited if m != n])
            relevant += 1 if alone or needed else 0
    return CitationScore(len(sentences), supported, citations, relevant, faithful)


@dataclass(frozen=True)
class RefusalScore:
    """Refusal as a detector of unanswerable questions."""

    refused_unanswerable: int
    refused_answerable: int
    answered_unanswerable: int

    @property
    def precision(self) -> float:
        return _ratio(
            self.refused_unanswerable, self.refused_unanswerable + self.refused_answerable
        )

    @property
    def recall(self) -> float:
        return _ratio(
            self.refused_unanswerable, self.refused_unanswerable + self.answered_unanswerable
        )


def refusal_score(answerable: Sequence[bool], refused: Sequence[bool]) -> RefusalScore:
    pairs = list(zip(answerable, refused, strict=True))
    return RefusalScore(
        refused_unanswerable=sum(1 for a, r in pairs if not a and r),
        refused_answerable=sum(1 for a, r in pairs if a and r),
        answered_unanswerable=sum(1 for a, r in pairs if not a and not r),
    )


def question_language(lang: str) -> str:
    """The questions file says zh|ja|en; answers report zh-TW|ja|en."""
    return {"zh": "zh-TW", "zh-tw": "zh-TW", "zh-TW": "zh-TW"}.get(lang, lang)
