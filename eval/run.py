"""Run a questions file through the assistant and score retrieval and refusals."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eval.metrics import fact_coverage, hit_at, mean, passage_hits, percentile, reciprocal_rank

LANGS = ("zh", "ja", "en")


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    question: str
    gold: tuple[str, ...]
    facts: tuple[tuple[str, ...], ...]
    answerable: bool


class QuestionsError(ValueError):
    pass


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
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise QuestionsError(f"{path}:{number}: not a valid question: {error}") from error
    return questions


class Asks(Protocol):
    def retrieve(self, question: str, k: int = 10) -> Sequence[Any]: ...

    def ask(self, question: str, k: int = 5) -> Any: ...


def run_questions(
    assistant: Asks, questions: Iterable[Question], progress: bool = False
) -> list[dict[str, Any]]:
    from tqdm import tqdm

    records = []
    items = list(questions)
    for question in tqdm(items, desc="questions", disable=not progress):
        passages = assistant.retrieve(question.question, k=10)
        answer = assistant.ask(question.question, k=5)
        hits = passage_hits([p.original_text for p in passages], question.gold)
        records.append(
            {
                "id": question.id,
                "lang": question.lang,
                "question": question.question,
                "answerable": question.answerable,
                "passages": [
                    {"text": p.text, "original_text": p.original_text, "doc_id": p.doc_id}
                    for p in passages
                ],
                "hits": hits,
                "answer": answer.answer,
                "answer_language": answer.language,
                "citations": [citation.to_dict() for citation in answer.citations],
                "refused": answer.refused,
                "evidence": answer.evidence,
                "fact_coverage": fact_coverage(answer.answer, question.facts),
                "timings_ms": answer.timings_ms,
            }
        )
    return records


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[record["lang"]].append(record)
        groups["all"].append(record)
    table: dict[str, dict[str, float]] = {}
    for lang in [*LANGS, "all"]:
        rows = groups.get(lang, [])
        if not rows:
            continue
        answerable = [r for r in rows if r["answerable"]]
        unanswerable = [r for r in rows if not r["answerable"]]
        table[lang] = {
            "questions": len(rows),
            "hit@1": mean(hit_at(r["hits"], 1) for r in answerable),
            "hit@5": mean(hit_at(r["hits"], 5) for r in answerable),
            "mrr": mean(reciprocal_rank(r["hits"]) for r in answerable),
            "false_refusals": sum(1 for r in answerable if r["refused"]),
            "false_answers": sum(1 for r in unanswerable if not r["refused"]),
            "fact_coverage": mean(
                r["fact_coverage"] for r in answerable if r["fact_coverage"] is not None
            ),
            "latency_p50_ms": percentile([r["timings_ms"].get("total", 0.0) for r in rows], 0.5),
            "latency_p95_ms": percentile([r["timings_ms"].get("total", 0.0) for r in rows], 0.95),
        }
    return table


def format_table(table: dict[str, dict[str, float]]) -> str:
    columns = ["questions", "hit@1", "hit@5", "mrr", "false_refusals", "false_answers",
               "fact_coverage", "latency_p50_ms"]
    lines = ["| lang | " + " | ".join(columns) + " |", "|" + "---|" * (len(columns) + 1)]
    for lang, row in table.items():
        cells = [
            f"{row[c]:.0f}" if c in ("questions", "false_refusals", "false_answers")
            else f"{row[c]:.3f}" if c not in ("latency_p50_ms",) else f"{row[c]:.0f}"
            for c in columns
        ]
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
