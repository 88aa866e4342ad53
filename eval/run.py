"""Run a questions file through the assistant (and the naive baseline) and score it.

Step 1: for each question, retrieve the top 10 (Kakehashi and the baseline) and ask (top 5).
Step 2: grade retrieval against the gold quotes; split the answer into sentences with their
        ``[n]`` citations and let the verifier judge each (ALCE citation recall/precision,
        RAGAS-style faithfulness); fact coverage, refusal and answer language.
Step 3: summarise per language and overall (``eval.summary``); ``eval.gates`` turns thresholds
        into a verdict.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from assistant.citations import cited_numbers, sentences_with_citations, without_markers
from assistant.errors import QuestionsError
from assistant.text import frame_language
from eval.metrics import (
    citation_score,
    fact_coverage,
    mean,
    passage_hits,
    question_language,
)

LANGS = ("zh", "ja", "en")


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    question: str
    gold: tuple[str, ...]
    facts: tuple[tuple[str, ...], ...]
    answerable: bool
    # A question of several parts: each part as a question of its own, and whether the corpus
    # answers it (eval/questions/partly-answerable.jsonl); empty where not labelled.
    parts: tuple[tuple[str, bool], ...] = ()


def load_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(
                Question(
                    id=str(raw["id"]),
                    lang=str(raw["lang"]),
                    question=str(raw["question"]),
                    gold=tuple(raw.get("gold") or ()),
                    facts=tuple(tuple(group) for group in raw.get("facts") or ()),
                    answerable=bool(raw.get("answerable", True)),
                    parts=tuple(
                        (str(part["ask"]), bool(part["answerable"]))
                        for part in raw.get("parts") or ()
                    ),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise QuestionsError(f"{path}:{number}: not a valid question: {error}") from error
    return questions


class Asks(Protocol):
    def retrieve(self, question: str, k: int = 10) -> Sequence[Any]: ...

    def ask(self, question: str, k: int = 5) -> Any: ...


class Retrieves(Protocol):
    def retrieve(self, question: str, k: int = 10) -> Sequence[Any]: ...


class Judge(Protocol):
    def verify(self, claim: str, passages: Sequence[str]) -> Any: ...


# -- answers as sentences with citations -----------------------------------------------------


def answer_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences, each with the citation numbers it carries. A framing line
    without any citation ("根據語料:") is not a claim when other lines cite; a marker right
    after a sentence's full stop ("…。[1]", "….[1]") belongs to that sentence."""
    lines = [line for line in answer.splitlines() if line.strip()]
    if any(cited_numbers(line) for line in lines):
        lines = [line for line in lines if cited_numbers(line)]
    body = "\n".join(lines)
    return [
        (without_markers(body[sentence.start : sentence.end]), list(sentence.citations))
        for sentence in sentences_with_citations(body)
    ]


# -- one question ------------------------------------------------------------------------------
def _language_match(answer: Any, language: str) -> bool:
    """A generated answer must be written in the question's language; one that quotes the
    corpus (extractive, or quotes the model picked) does so under a frame in that language, in
    another language only where no edition exists, and says so."""
    if answer.language != language:
        return False
    if answer.mode != "generative" or answer.refused or quotes_only(answer):
        return True
    return bool(frame_language(without_markers(answer.answer)) == language)


def quotes_only(answer: Any) -> bool:
    """Whether every sentence of ``answer`` is a verbatim quote (none written by a model)."""
    return bool(answer.sentences) and all(check.is_quote for check in answer.sentences)


def said_missing(unanswered: Sequence[str], asks: Sequence[str]) -> set[int]:
    """The labelled parts (``asks``, each reworded as a question of its own) that the answer
    says it does not answer: each part it names is matched to the ask sharing the largest
    share of its character bigrams."""

    def bigrams(text: str) -> set[str]:
        letters = "".join(ch.lower() for ch in text if ch.isalnum())
        return {letters[i : i + 2] for i in range(len(letters) - 1)}

    named: set[int] = set()
    for part in unanswered:
        own = bigrams(part)
        overlaps = [len(own & bigrams(ask)) / (len(own | bigrams(ask)) or 1) for ask in asks]
        if overlaps and max(overlaps) > 0:
            named.add(overlaps.index(max(overlaps)))
    return named


def _passage_record(passage: Any) -> dict[str, Any]:
    return {
        "text": passage.text,
        "original_text": passage.original_text,
        "doc_id": passage.doc_id,
        "lang": getattr(passage, "lang", None),
    }


def evaluate_question(
    question: Question,
    assistant: Asks,
    verifier: Judge | None,
    baseline: Retrieves | None,
) -> dict[str, Any]:
    passages = assistant.retrieve(question.question, k=10)
    answer = assistant.ask(question.question, k=5)
    hits = passage_hits([p.original_text for p in passages], question.gold)
    record: dict[str, Any] = {
        "id": question.id,
        "lang": question.lang,
        "question": question.question,
        "answerable": question.answerable,
        "passages": [_passage_record(p) for p in passages[:10]],
        "hits": hits,
        "answer": answer.answer,
        "answer_language": answer.language,
        "language_match": _language_match(answer, question_language(question.lang)),
        "mode": answer.mode,
        "notice": answer.notice,
        "citations": [citation.to_dict() for citation in answer.citations],
        "refused": answer.refused,
        "evidence": getattr(answer, "evidence", None),
        "fact_coverage": None if answer.refused else fact_coverage(answer.answer, question.facts),
        "timings_ms": dict(answer.timings_ms),
        "unanswered": list(getattr(answer, "unanswered", ())),
    }
    if question.parts:
        named = said_missing(record["unanswered"], [ask for ask, _ in question.parts])
        record["parts"] = [
            {"ask": ask, "answerable": answerable, "said_missing": index in named}
            for index, (ask, answerable) in enumerate(question.parts)
        ]
    record["chars@5"] = mean(len(p.text) for p in passages[:5])
    if baseline is not None:
        naive = baseline.retrieve(question.question, k=10)
        record["baseline_hits"] = passage_hits([p.original_text for p in naive], question.gold)
        record["baseline_chars@5"] = mean(len(p.text) for p in naive[:5])
    if verifier is not None and not answer.refused:
        record.update(_grounding(answer, verifier))
    return record


def _grounding(answer: Any, verifier: Judge) -> dict[str, Any]:
    passages: dict[int, str] = {}
    for citation in answer.citations:
        texts = [citation.text]
        if citation.original_text and citation.original_text != citation.text:
            texts.append(citation.original_text)
        passages[citation.n] = "\n".join(texts)
    judged: dict[tuple[str, tuple[str, ...]], Any] = {}

    def verdict(claim: str, texts: Sequence[str]) -> Any:
        key = (claim, tuple(texts))
        if key not in judged:
            judged[key] = verifier.verify(claim, list(texts))
        return judged[key]

    sentences = answer_sentences(answer.answer)
    score = citation_score(
        sentences, passages, lambda claim, texts: bool(verdict(claim, texts).supported)
    )
    checks = []
    for text, cited in sentences:
        texts = [passages[n] for n in dict.fromkeys(cited) if n in passages]
        result = verdict(text, texts) if texts else None
        checks.append(
            {
                "text": text,
                "citations": cited,
                "supported": bool(result and result.supported),
                "score": round(float(result.score), 4) if result else 0.0,
                "reason": result.reason if result else "no citation",
            }
        )
    return {
        "sentences": checks,
        "citation_recall": score.recall,
        "citation_precision": score.precision,
        "faithfulness": score.faithfulness,
        "citation_counts": {
            "sentences": score.sentences,
            "supported": score.supported,
            "citations": score.citations,
            "relevant_citations": score.relevant_citations,
            "faithful": score.faithful,
        },
    }


def run_questions(
    assistant: Asks,
    questions: Iterable[Question],
    progress: bool = False,
    *,
    verifier: Judge | None = None,
    baseline: Retrieves | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    from tqdm import tqdm

    records = []
    for question in tqdm(list(questions), desc="questions", disable=not progress):
        record = evaluate_question(question, assistant, verifier, baseline)
        records.append(record)
        if on_record is not None:
            on_record(record)
    return records


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
