"""Extractive answers: the embedded default when no language model is configured (pure).

Step 1: split the retrieved passages into sentences.
Step 2: score each sentence against the question (embedding similarity + lexical overlap).
Step 3: refuse when the best evidence is too weak; else quote the best sentences, each followed
        by the ``[n]`` of its passage, framed in the question's language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.retrieve import CROSS_LINGUAL_BONUS
from assistant.types import Answer, Citation, Passage, SentenceCheck
from ingest.chunk import is_heading
from ingest.text import Language, lexical_tokens, split_sentences

MAX_SENTENCES = 3
SENTENCE_MARGIN = 0.035
LEXICAL_WEIGHT = 0.25
# Calibrated on eval/questions/dev.jsonl (scripts/calibrate_refusal.py): below this evidence the
# corpus is judged not to answer. Settings.min_evidence shifts it.
REFUSAL_THRESHOLD = 0.86
# e5 scores a question against a sentence in another language lower than against one in its own
# language. On the original-only store (ja/en questions, Chinese passages) the best cross-lingual
# threshold was 0.80, 0.06-0.08 under the same-language one: without CROSS_LINGUAL_BONUS, a new
# document with no translation would refuse every Japanese and English question.

FRAMES: dict[str, dict[str, str]] = {
    "zh-TW": {
        "intro": "根據語料:",
        "refusal": "抱歉,語料中找不到足以回答這個問題的內容。",
        "quoted_in": "(以下引文為{lang}原文)",
    },
    "ja": {
        "intro": "コーパスによると:",
        "refusal": (
            "申し訳ありません。コーパスには、この質問に答えられる内容が見つかりませんでした。"
        ),
        "quoted_in": "(以下は{lang}の原文からの引用です)",
    },
    "en": {
        "intro": "According to the corpus:",
        "refusal": "Sorry, the corpus does not contain enough to answer this question.",
        "quoted_in": "(quoted from the {lang} original)",
    },
}
LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "zh-TW": {"zh-TW": "中文", "ja": "日文", "en": "英文"},
    "ja": {"zh-TW": "中国語", "ja": "日本語", "en": "英語"},
    "en": {"zh-TW": "Chinese", "ja": "Japanese", "en": "English"},
}


@dataclass(frozen=True)
class ScoredSentence:
    passage: int  # index into the passages
    position: int  # order within the passage
    text: str
    score: float
    similarity: float


def candidate_sentences(passages: Sequence[Passage]) -> list[tuple[int, int, str]]:
    found = []
    for p_index, passage in enumerate(passages):
        for s_index, sentence in enumerate(split_sentences(passage.text)):
            text = sentence.text.strip()
            if len(text) < 4 or is_heading(text):
                continue
            found.append((p_index, s_index, text))
    return found


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
    (scripts/calibrate_refusal.py fits both on the dev questions, unanswerable ones included)."""
    return max(
        (
            sentence.similarity
            + (CROSS_LINGUAL_BONUS if passages[sentence.passage].lang != language else 0.0)
            for sentence in sentences
        ),
        default=0.0,
    )


def select(sentences: Sequence[ScoredSentence]) -> list[ScoredSentence]:
    if not sentences:
        return []
    ranked = sorted(sentences, key=lambda s: (-s.score, s.passage, s.position))
    best = ranked[0].score
    chosen = [s for s in ranked[:MAX_SENTENCES] if s.score >= best - SENTENCE_MARGIN]
    # The best sentence leads; sentences of one passage keep their order after it.
    lead = {s.passage: i for i, s in reversed(list(enumerate(chosen)))}
    return sorted(chosen, key=lambda s: (lead[s.passage], s.position))


def refusal(
    question: str, language: Language, evidence: float, timings: dict[str, float]
) -> Answer:
    return Answer(
        question=question,
        language=language,
        mode="extractive",
        answer=FRAMES[language]["refusal"],
        refused=True,
        timings_ms=timings,
        grounding="refused",
        evidence=evidence,
    )


def compose(
    question: str,
    language: Language,
    passages: Sequence[Passage],
    chosen: Sequence[ScoredSentence],
    evidence: float,
    timings: dict[str, float],
) -> Answer:
    numbers: dict[int, int] = {}
    quotes: dict[int, list[str]] = {}
    pieces: list[str] = []
    checks: list[SentenceCheck] = []
    for sentence in chosen:
        n = numbers.setdefault(sentence.passage, len(numbers) + 1)
        quotes.setdefault(sentence.passage, []).append(sentence.text)
        pieces.append(f"{sentence.text}[{n}]")
        checks.append(SentenceCheck(sentence.text, (n,), True, 1.0, "quoted verbatim"))
    cited_languages = {passages[p].lang for p in numbers}
    intro = FRAMES[language]["intro"]
    if cited_languages and language not in cited_languages:
        names = "、".join(LANGUAGE_NAMES[language][lang] for lang in sorted(cited_languages))
        gap = " " if language == "en" else ""
        intro += gap + FRAMES[language]["quoted_in"].format(lang=names)
    body = (" " if language == "en" else "").join(pieces)
    citations = tuple(
        Citation(
            n=n,
            chunk_id=passages[p].chunk_id,
            doc_id=passages[p].doc_id,
            title=passages[p].title,
            lang=passages[p].lang,
            text=passages[p].text,
            original_text=passages[p].original_text,
            location=passages[p].location,
            quotes=tuple(quotes[p]),
            translation_of=passages[p].translation_of,
        )
        for p, n in sorted(numbers.items(), key=lambda item: item[1])
    )
    return Answer(
        question=question,
        language=language,
        mode="extractive",
        answer=f"{intro}\n{body}",
        refused=False,
        citations=citations,
        timings_ms=timings,
        grounding="supported",
        sentences=tuple(checks),
        evidence=evidence,
    )


_MARKER = re.compile(r"\[(\d+)\]")


def cited_numbers(text: str) -> list[int]:
    return [int(match) for match in _MARKER.findall(text)]


def has_searchable_content(text: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)
