"""The offline grounding verifier: numbers, entities and opposite terms as vetoes (steps 1
to 3), then meaning: the claim is close in cross-lingual embedding space (multilingual-e5) to
a sentence of the passages; lexical overlap adds to the score.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.grounding.entities import EntityTable
from assistant.grounding.names import unnamed_names
from assistant.grounding.numbers import quantities, unmatched_quantities
from assistant.grounding.opposites import OPPOSITES, opposed_terms
from assistant.grounding.overlap import (
    bigram_coverage,
    claim_clauses,
    lexical_coverage,
    passage_segments,
)
from assistant.grounding.quantity import _compatible, _same_kind, _same_kind_values, is_date
from assistant.grounding.tables import corpus_opposites
from assistant.text import detect_language
from assistant.thresholds import verifier as fitted_thresholds
from ingest.embed import CachedEmbedder, Embedder


@dataclass(frozen=True)
class GroundingVerdict:
    supported: bool
    score: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Verifier(Protocol):
    """``editions``: the passages in another language (another edition of the same paragraphs,
    where the corpus has one), for a judge to read beside them; never what a claim cites."""

    def verify(
        self, claim: str, passages: Sequence[str], editions: Sequence[str] = ()
    ) -> GroundingVerdict: ...


@dataclass(frozen=True)
class Signals:
    """Everything the offline verifier measured for one claim (for calibration and reports)."""

    unmatched_numbers: tuple[str, ...]
    missing_entities: tuple[str, ...]
    similarity: float  # best cosine between the claim and a passage segment
    lexical: float  # share of the claim's shingles in the passages
    best_segment: str
    language: str = "en"
    length_ratio: float = 0.0  # log(claim length / best segment length), in characters
    verbatim: bool = False  # the claim is quoted word for word from a passage
    # the claim's share of Han/kana bigrams in the passages (named for the calibrated weight
    # ``clause_lexical_weight``: it was the weakest clause's share when claims were split)
    clause_lexical: float = 0.0
    passage_language: str = ""
    opposed: tuple[str, ...] = ()  # "claim term / passage term" pairs of opposites

    @property
    def pair(self) -> str:
        """How the claim's language relates to the passage's (see ``language_pair``)."""
        return language_pair(self.language, self.passage_language or self.language)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"pair": self.pair}


PAIRS = ("same", "same-en", "cross")
# The offline verifier's rule families, each of which ``OfflineVerifier(disabled=...)`` can
# switch off (``python -m eval.ablation`` measures what each is worth on held-out claims;
# docs/issue-16/ablation.md has the table that removed the others):
# numbers     quantities the passages do not state, or state of something else (step 1)
# entities    names (table, glossary, Latin-script names) the passages do not name (step 2)
# opposites   the claim uses one side of an opposite, the passage the other (step 3)
FAMILIES = frozenset({"numbers", "entities", "opposites"})


def language_pair(claim_language: str, passage_language: str) -> str:
    """``same`` language (Chinese or Japanese), ``same-en`` (English, where lexical overlap
    counts words, not characters) or ``cross``-lingual: each has its own threshold."""
    if claim_language != passage_language:
        return "cross"
    return "same-en" if claim_language == "en" else "same"


def pair_key(claim_language: str, passage_language: str) -> str:
    return f"{claim_language}>{passage_language}"


def _fitted(name: str) -> Any:
    return fitted_thresholds()[name]


@dataclass(frozen=True)
class Thresholds:
    """The decision's free parameters, chosen by ``python -m eval.calibrate`` with
    cross-validation on eval/claims.jsonl (grouped by passage) and written to
    ``assistant/data/thresholds.json``, where the defaults come from. ``score`` and
    ``length_baseline`` are per kind of pair (``language_pair``); ``offset`` puts each
    directed pair of languages on one scale before that (``pair_key``): how a faithful
    translation scores, by language pair, less the mean over pairs, measured on the corpus's
    aligned editions (no labels involved)."""

    score: dict[str, float] = field(default_factory=lambda: dict(_fitted("score")))
    lexical_weight: float = field(default_factory=lambda: float(_fitted("lexical_weight")))
    length_weight: float = field(default_factory=lambda: float(_fitted("length_weight")))
    clause_lexical_weight: float = field(
        default_factory=lambda: float(_fitted("clause_lexical_weight"))
    )
    length_baseline: dict[str, float] = field(
        default_factory=lambda: dict(_fitted("length_baseline"))
    )
    offset: dict[str, float] = field(default_factory=lambda: dict(_fitted("offset")))

    def for_pair(self, pair: str) -> float:
        return self.score.get(pair, self.score.get("cross", 0.86))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class OfflineVerifier:
    """Numbers, entities and opposite terms as vetoes; then embedding similarity."""

    def __init__(
        self,
        embedder: Embedder,
        threshold: float | None = None,
        *,
        glossary: Path | None = None,
        thresholds: Thresholds | None = None,
        cache_size: int = 4096,
        disabled: frozenset[str] = frozenset(),
    ) -> None:
        unknown = disabled - FAMILIES
        if unknown:
            raise ValueError(f"unknown rule families {sorted(unknown)}: use {sorted(FAMILIES)}")
        self.disabled = disabled  # rule families switched off (``FAMILIES``), for ablations
        self.embedder = embedder
        base = thresholds or Thresholds()
        if threshold is not None:  # one threshold for every pair of languages
            base = replace(base, score=dict.fromkeys(PAIRS, threshold))
        self.thresholds = base
        self.entities = EntityTable.with_glossary(glossary)
        # general opposite pairs, then the corpus's own (opposites.json beside its glossary)
        corpus = glossary.parent if glossary is not None else None
        self.opposites = (*OPPOSITES, *corpus_opposites(corpus))
        self._vectors = CachedEmbedder(embedder, cache_size)  # passages are checked often

    def verify(
        self, claim: str, passages: Sequence[str], editions: Sequence[str] = ()
    ) -> GroundingVerdict:
        """The checks read the cited passages only: a number or a name is checked against
        what the claim cites, not against a translation of it (``editions`` is unused)."""
        if quoted(claim, passages):  # an extractive answer's sentence: nothing to embed
            return GroundingVerdict(True, 1.0, "quoted verbatim from a passage")
        signals = self.signals(claim, passages)
        return self.decide(signals)

    def decide(self, signals: Signals, thresholds: Thresholds | None = None) -> GroundingVerdict:
        t = thresholds or self.thresholds
        score = combined_score(signals, t)
        if signals.unmatched_numbers:
            shown = ", ".join(signals.unmatched_numbers)
            return GroundingVerdict(False, 0.0, f"number(s) not in the passage: {shown}")
        if signals.missing_entities:
            shown = ", ".join(signals.missing_entities)
            return GroundingVerdict(False, min(score, 0.1), f"passage does not name: {shown}")
        if signals.opposed:
            shown = ", ".join(signals.opposed)
            reason = f"the passage says the opposite: {shown}"
            return GroundingVerdict(False, min(score, 0.3), reason)
        if signals.verbatim:
            return GroundingVerdict(True, max(score, 1.0), "quoted verbatim from a passage")
        if score < t.for_pair(signals.pair):
            return GroundingVerdict(False, score, "no passage sentence says this")
        return GroundingVerdict(True, score, "a passage sentence says this")

    # -- measurements ---------------------------------------------------------------------
    def signals(self, claim: str, passages: Sequence[str]) -> Signals:
        """What the checks measure; a family in ``self.disabled`` measures nothing (its
        signal is left at the value that vetoes nothing)."""
        on = FAMILIES - self.disabled
        text = "\n".join(passages)
        language, passage_language = detect_language(claim), detect_language(text)
        # Step 1: numbers
        numbers: tuple[str, ...] = ()
        if "numbers" in on:
            numbers = tuple(str(q) for q in unmatched_quantities(claim, passages))
            if not numbers and len(quantities(claim)) >= 2:
                numbers = self._misplaced_quantities(claim, passages)
            if not numbers:
                numbers = self._misattributed_figure(claim, passages)
        # Step 2: entities
        missing: tuple[str, ...] = ()
        if "entities" in on:
            known = {
                word.casefold()
                for mention in self.entities.mentions(claim)
                for word in re.findall(r"[A-Za-z][A-Za-z0-9-]*", mention.surface)
            }
            missing = (
                *self.entities.missing(claim, text),
                *unnamed_names(claim, text, language, passage_language, known),
            )
        # Step 3: opposite terms
        opposed = opposed_terms(claim, text, self.opposites) if "opposites" in on else []
        # Step 4: meaning, against the best-matching passage segment
        segments = passage_segments(passages)
        vectors = self.embed([claim, *segments])
        similarities = vectors[1:] @ vectors[0]
        best = int(np.argmax(similarities))
        return Signals(
            unmatched_numbers=numbers,
            missing_entities=missing,
            similarity=float(similarities[best]),
            lexical=lexical_coverage(claim, text),
            best_segment=segments[best],
            language=language,
            passage_language=passage_language,
            opposed=tuple(f"{o.claim_term} / {o.passage_term}" for o in opposed),
            length_ratio=float(np.log(max(len(claim), 1) / max(len(segments[best]), 1))),
            verbatim=quoted(claim, passages),
            clause_lexical=bigram_coverage(claim, text),
        )

    def _misplaced_quantities(self, claim: str, passages: Sequence[str]) -> tuple[str, ...]:
        """Numbers of the claim exchanged with each other: two claim clauses each match the
        passage clause that states the *other's* number ("40% of respondents, 45% of
        collaborations" against "45% 的受訪者…近 40% 的既有合作"). Only an exchange counts:
        one clause matched to the wrong passage clause is as likely a loose alignment."""
        clauses = [c for c in _at_numbers(claim_clauses(claim)) if quantities(c)]
        pieces = _number_pieces(passages)
        if len(clauses) < 2 or len(pieces) < 2:
            return ()
        # matched by what they say about the numbers, not by the numbers themselves
        vectors = self.embed([_NUMERAL.sub("#", piece) for piece in (*clauses, *pieces)])
        similarities = vectors[: len(clauses)] @ vectors[len(clauses) :].T
        aligned = [quantities(pieces[int(np.argmax(row))], generous=True) for row in similarities]
        said = [
            [q for q in quantities(clause) if not is_date(q)] for clause in clauses
        ]  # a year dates a clause; it is not said *about* something
        everywhere = quantities("\n".join(passages), generous=True)
        wrong: list[str] = []
        for index, numbers in enumerate(said):
            for q in numbers:
                if any(_compatible(q, p) for p in aligned[index]):
                    continue
                # a bound stated only loosely elsewhere ("nearly half" for the respondents'
                # 45%) is wrong where its clause states another figure (近 40%)
                loose = q.bound and not any(
                    _compatible(replace(q, bound=""), p) for p in everywhere
                )
                if loose and any(_same_kind(q, p) for p in aligned[index]):
                    wrong.append(
                        f"{q} (the passage says {_same_kind_values(q, aligned[index])} here)"
                    )
                    continue
                exchanged = any(
                    any(_same_kind(q, p) and _compatible(other, p) for p in aligned[index])
                    and any(_compatible(q, p) for p in aligned[second])
                    for second, others in enumerate(said)
                    if second != index
                    for other in others
                )
                if exchanged:
                    stated = _same_kind_values(q, aligned[index])
                    wrong.append(f"{q} (the passage says {stated} here)")
        return tuple(wrong)

    def _misattributed_figure(self, claim: str, passages: Sequence[str]) -> tuple[str, ...]:
        """A claim's one figure, stated by the passage of something else: the passage piece
        that best matches what the claim says about its figure ("9% of Taiwanese startups")
        states another figure of the same kind (14%), and clearly better than any piece that
        states the claim's figure ("日方企業…只有 9%")."""
        said = [q for q in quantities(claim) if not is_date(q)]
        if len(said) != 1:
            return ()
        figure = said[0]
        pieces = _number_pieces(passages)
        stated = [quantities(piece, generous=True) for piece in pieces]
        own = [i for i, qs in enumerate(stated) if any(_compatible(figure, q) for q in qs)]
        other = [
            i
            for i, qs in enumerate(stated)
            if i not in own and any(_same_kind(figure, q) for q in qs)
        ]
        if not own or not other:
            return ()
        vectors = self.embed([_NUMERAL.sub("#", text) for text in (claim, *pieces)])
        similarities = vectors[1:] @ vectors[0]
        best_other = max(other, key=lambda i: similarities[i])
        if similarities[best_other] - max(similarities[i] for i in own) <= _MISATTRIBUTED_MARGIN:
            return ()
        there = _same_kind_values(figure, stated[best_other])
        return (f"{figure} (the passage says {there} here)",)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of ``texts`` (as queries), cached: passages are checked again and again."""
        return self._vectors.embed(texts, kind="query")


def combined_score(signals: Signals, t: Thresholds) -> float:
    """Meaning, plus lexical overlap, minus a penalty for a claim much longer than the
    sentence it matches (it says more than the passage)."""
    shift = t.offset.get(pair_key(signals.language, signals.passage_language), 0.0)
    meaning = shift + signals.similarity
    baseline = t.length_baseline.get(signals.pair, 0.0)
    excess = max(0.0, signals.length_ratio - baseline)
    lexical = t.lexical_weight * signals.lexical + t.clause_lexical_weight * signals.clause_lexical
    return meaning + lexical - t.length_weight * excess


def vetoed(signals: Signals) -> bool:
    """Whether a hard check (numbers, entities, opposite terms) rejects the claim."""
    return bool(signals.unmatched_numbers or signals.missing_entities or signals.opposed)


_NUMERAL = re.compile(r"\d+(?:[.,]\d+)*")
# How much better (e5 cosine, numbers masked) the piece stating another figure must match the
# claim than any piece stating its own figure; below it, a loose alignment (fit sets only).
_MISATTRIBUTED_MARGIN = 0.07


_JOINER = re.compile(
    r"[與与和及と、。;;,,]|および|並びに|\b(?:and|with|as well as|while|versus|vs)\b"
)


def _at_numbers(clauses: Sequence[str]) -> list[str]:
    """Clauses cut again between consecutive numbers, after the last joiner or punctuation
    between them (與, と, and, with, 。) or else right before the second number, so that each
    piece speaks of one number: 「アンケート37件と | フィードバック39件」,
    "39 questionnaires with | 37 …"."""
    pieces: list[str] = []
    for clause in clauses:
        spans = [m.span() for m in _NUMERAL.finditer(clause)]
        cuts = [0]
        for (_, end), (start, _) in itertools.pairwise(spans):
            joiners = list(_JOINER.finditer(clause, end, start))
            cuts.append(joiners[-1].end() if joiners else start)
        cuts.append(len(clause))
        pieces.extend(
            clause[low:high] for low, high in itertools.pairwise(cuts) if clause[low:high].strip()
        )
    return pieces


def _number_pieces(passages: Sequence[str]) -> list[str]:
    """The passages' clauses cut at their numbers (``_at_numbers``), those that state one."""
    return [
        piece
        for passage in passages
        for piece in _at_numbers(claim_clauses(passage, min_chars=2))
        if quantities(piece, generous=True)
    ]


def quoted(claim: str, passages: Sequence[str]) -> bool:
    """Whether the claim is a passage's words (white space, width and case aside)."""
    squeezed = _squeeze(claim)
    return len(squeezed) >= 4 and any(squeezed in _squeeze(passage) for passage in passages)


def _squeeze(text: str) -> str:
    """NFKC, casefolded, without white space or sentence-final punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s。.!?!?]+", "", folded)
