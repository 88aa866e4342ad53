"""Extractive answers: the embedded default when no language model is configured (pure).

Step 1: split the retrieved passages into sentences.
Step 2: score each sentence against the question (embedding similarity + lexical overlap).
Step 3: refuse when the best evidence is too weak; else quote the best sentences, each followed
        by the ``[n]`` of its passage, framed in the question's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from assistant import figures
from assistant.messages import language_name, message
from assistant.text import Language, lexical_tokens
from assistant.thresholds import refusal as fitted_refusal
from assistant.types import QUOTED, Answer, Citation, Mode, Passage, SentenceCheck
from ingest.chunk import quotable_sentences

MAX_SENTENCES = 3
SENTENCE_MARGIN = 0.035
LEXICAL_WEIGHT = 0.25


@dataclass(frozen=True)
class ScoredSentence:
    passage: int  # index into the passages
    position: int  # order within the passage
    text: str
    score: float
    similarity: float


def candidate_sentences(passages: Sequence[Passage]) -> list[tuple[int, int, str]]:
    return [
        (p_index, s_index, text)
        for p_index, passage in enumerate(passages)
        for s_index, text in quotable_sentences(passage.text)
    ]


def lexical_overlap(question: str, sentence: str) -> float:
    wanted = set(lexical_tokens(question))
    if not wanted:
        return 0.0
    return len(wanted & set(lexical_tokens(sentence))) / len(wanted)


def score_sentences(
    question: str,
    candidates: Sequence[tuple[int, int, str]],
    question_vector: np.ndarray,
    sentence_vectors: np.ndarray,
) -> list[ScoredSentence]:
    similarities = sentence_vectors @ question_vector if len(candidates) else np.zeros(0)
    return [
        ScoredSentence(
            p_index,
            s_index,
            text,
            float(similarity) + LEXICAL_WEIGHT * lexical_overlap(question, text),
            float(similarity),
        )
        for (p_index, s_index, text), similarity in zip(candidates, similarities, strict=True)
    ]


def evidence_score(
    sentences: Sequence[ScoredSentence], passages: Sequence[Passage], language: str
) -> float:
    """How strongly the corpus supports answering at all: the best similarity between the
    question and a passage sentence, cross-lingual pairs lifted to the same-language scale
    (``assistant.thresholds.Refusal``; calibration fits both, unanswerable questions included).
    The corpus is judged to answer when this reaches ``refusal_threshold()``."""
    offset = fitted_refusal().cross_lingual_offset
    return max(
        (
            sentence.similarity + (offset if passages[sentence.passage].lang != language else 0.0)
            for sentence in sentences
        ),
        default=0.0,
    )


def unanswered_parts(
    question: str,
    scored: Sequence[ScoredSentence],
    parts: Sequence[tuple[str, Sequence[ScoredSentence]]] = (),
) -> list[str]:
    """The parts of ``question`` the documents do not answer: each sentence of it (``parts``,
    scored on its own; the whole question when it has one) that asks for a figure none of its
    best sentences gives (``assistant.figures``). All of them: the question is not answered."""
    asked = parts or [(question, scored)]
    return [
        text
        for text, sentences in asked
        if figures.figure_missing(
            text,
            [s.text for s in sorted(sentences, key=lambda s: (-s.score, s.passage, s.position))],
        )
    ]


def with_unanswered(answer: Answer, parts: Sequence[str]) -> Answer:
    """``answer`` saying, after its quotes, which parts of the question it does not answer (as
    it is, when it is a refusal or says so already)."""
    if not parts or answer.refused or answer.unanswered:
        return answer
    lines = [message("answer.unanswered", answer.language, part=part) for part in parts]
    return replace(answer, answer="\n".join([answer.answer, *lines]), unanswered=tuple(parts))


def refusal_threshold(shift: float = 0.0) -> float:
    """The calibrated evidence threshold, moved by ``shift`` (``Settings.min_evidence``)."""
    return fitted_refusal().threshold + shift


def select(
    sentences: Sequence[ScoredSentence], parts: Sequence[Sequence[ScoredSentence]] = ()
) -> list[ScoredSentence]:
    """The best sentences (within ``SENTENCE_MARGIN`` of the best, at most ``MAX_SENTENCES``).
    For a question of several sentences, ``parts`` scores the same sentences against each of
    them: each part's best comes right after the best overall (at most one per part beyond
    ``MAX_SENTENCES``), so that what the second part asks is not crowded out by the first's."""
    if not sentences:
        return []
    ranked = sorted(sentences, key=lambda s: (-s.score, s.passage, s.position))
    best = ranked[0].score
    chosen = [s for s in ranked[:MAX_SENTENCES] if s.score >= best - SENTENCE_MARGIN]
    if parts:
        whole = {(s.passage, s.position): s for s in sentences}
        leads = [ranked[0]]
        for part in parts:
            top = min(part, key=lambda s: (-s.score, s.passage, s.position), default=None)
            if top is not None and (top.passage, top.position) in whole:
                leads.append(whole[(top.passage, top.position)])
        merged = list(dict.fromkeys([*leads, *chosen]))  # ScoredSentence is frozen: hashable
        chosen = merged[: max(MAX_SENTENCES, len(dict.fromkeys(leads)))]
    # The best sentence leads; sentences of one passage keep their order after it.
    lead = {s.passage: i for i, s in reversed(list(enumerate(chosen)))}
    return sorted(chosen, key=lambda s: (lead[s.passage], s.position))


def definition(
    naming: Sequence[ScoredSentence], scored: Sequence[ScoredSentence]
) -> list[ScoredSentence]:
    """For a question that asks what a term is: the best of the sentences ``naming`` it, the
    sentence after it in its passage (where a definition often goes on: 「…「根回し」にある。」
    「すなわち…」), then the next best naming sentences; those of one passage in their order."""
    if not naming:
        return []
    best = min(naming, key=lambda s: (-s.score, s.passage, s.position))
    after = min(
        (s for s in scored if s.passage == best.passage and s.position > best.position),
        key=lambda s: s.position,
        default=None,
    )
    picked = [best, *([after] if after else [])]
    taken = {(s.passage, s.position) for s in picked}
    chosen = [*picked, *(s for s in select(naming) if (s.passage, s.position) not in taken)]
    chosen = chosen[:MAX_SENTENCES]
    lead = {s.passage: i for i, s in reversed(list(enumerate(chosen)))}
    return sorted(chosen, key=lambda s: (lead[s.passage], s.position))


def refusal(question: str, language: Language, evidence: float) -> Answer:
    return Answer(
        question=question,
        language=language,
        mode="extractive",
        answer=message("answer.refusal", language),
        refused=True,
        grounding="refused",
        evidence=evidence,
    )


def compose(
    question: str,
    language: Language,
    passages: Sequence[Passage],
    chosen: Sequence[ScoredSentence],
    evidence: float,
) -> Answer:
    return compose_quotes(
        question, language, [(passages[s.passage], s.text) for s in chosen], evidence
    )


def intro(language: Language, cited_languages: set[str]) -> str:
    """The line before the quotes, which says in which language they are when none is in the
    question's."""
    line = message("answer.intro", language)
    if cited_languages and language not in cited_languages:
        names = "、".join(language_name(lang, language) for lang in sorted(cited_languages))
        gap = " " if language == "en" else ""
        line += gap + message("answer.quoted_in", language, lang=names)
    return line


def compose_quotes(
    question: str,
    language: Language,
    quotes: Sequence[tuple[Passage, str]],
    evidence: float,
    mode: Mode = "extractive",
    reasons: Sequence[str] = (),
) -> Answer:
    """The answer that quotes ``quotes`` in their order, each followed by the ``[n]`` of its
    passage, passages numbered in the order first quoted; ``reasons`` say why each is there
    (by default ``QUOTED``)."""
    numbers: dict[str, int] = {}
    cited: dict[str, Passage] = {}
    said: dict[str, list[str]] = {}
    pieces: list[str] = []
    checks: list[SentenceCheck] = []
    for index, (passage, text) in enumerate(quotes):
        n = numbers.setdefault(passage.chunk_id, len(numbers) + 1)
        cited[passage.chunk_id] = passage
        said.setdefault(passage.chunk_id, []).append(text)
        pieces.append(f"{text}[{n}]")
        reason = reasons[index] if index < len(reasons) else QUOTED
        checks.append(SentenceCheck(text, (n,), True, 1.0, reason))
    body = (" " if language == "en" else "").join(pieces)
    citations = tuple(
        Citation(n, cited[chunk_id], tuple(said[chunk_id]))
        for chunk_id, n in sorted(numbers.items(), key=lambda item: item[1])
    )
    return Answer(
        question=question,
        language=language,
        mode=mode,
        answer=f"{intro(language, {p.lang for p in cited.values()})}\n{body}",
        refused=False,
        citations=citations,
        grounding="supported",
        sentences=tuple(checks),
        evidence=evidence,
    )
