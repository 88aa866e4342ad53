"""Run a questions file through the assistant (and the naive baseline) and score it.

Step 1: for each question, retrieve the top 10 (Kakehashi and the baseline) and ask (top 5).
Step 2: grade retrieval against the gold quotes; split the answer into sentences with their
        ``[n]`` citations and let the verifier judge each (ALCE citation recall/precision,
        RAGAS-style faithfulness); fact coverage, refusal and answer language.
Step 3: summarise per language and overall; ``check_gates`` turns thresholds into a verdict.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from assistant.citations import cited_numbers, sentences_with_citations, without_markers
from assistant.errors import GateError, QuestionsError
from assistant.text import frame_language
from eval.metrics import (
    citation_score,
    fact_coverage,
    hit_at,
    mean,
    ndcg_at,
    passage_hits,
    percentile,
    question_language,
    reciprocal_rank,
    refusal_score,
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


def first_text_ms(timings: dict[str, float]) -> float:
    """When the first text of the answer was shown: the first checked sentence of a generated
    answer, the whole of any other."""
    total = float(timings.get("total", 0.0))
    if "first_sentence" in timings and "generate" in timings:
        return total - float(timings["generate"]) + float(timings["first_sentence"])
    return total


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


# -- summary -----------------------------------------------------------------------------------

# Metrics where higher is better; the ones --fail-under accepts.
GATED = (
    "hit@1", "hit@5", "mrr", "ndcg@10", "citation_recall", "citation_precision",
    "faithfulness", "fact_coverage", "refusal_precision", "refusal_recall", "language_match",
    "baseline_hit@1", "baseline_hit@5", "baseline_mrr", "baseline_ndcg@10",
    "missing_part_recall",
)  # fmt: skip


def _retrieval(rows: Sequence[dict[str, Any]], key: str, prefix: str) -> dict[str, float]:
    graded = [r[key] for r in rows if r["answerable"] and key in r]
    if not graded:
        return {}
    return {
        f"{prefix}hit@1": mean(hit_at(h, 1) for h in graded),
        f"{prefix}hit@5": mean(hit_at(h, 5) for h in graded),
        f"{prefix}mrr": mean(reciprocal_rank(h) for h in graded),
        f"{prefix}ndcg@10": mean(ndcg_at(h, 10) for h in graded),
    }


def summarize(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[record["lang"]].append(record)
        groups["all"].append(record)
    table: dict[str, dict[str, float]] = {}
    for lang in [*LANGS, *sorted(set(groups) - {*LANGS, "all"}), "all"]:
        rows = groups.get(lang, [])
        if not rows:
            continue
        answerable = [r for r in rows if r["answerable"]]
        answered = [r for r in rows if not r["refused"]]
        grounded = [r for r in answered if "citation_recall" in r]
        refusals = refusal_score([r["answerable"] for r in rows], [r["refused"] for r in rows])
        totals = [float(r["timings_ms"].get("total", 0.0)) for r in rows]
        row: dict[str, float] = {"questions": len(rows)}
        row |= _retrieval(rows, "hits", "")
        row |= _retrieval(rows, "baseline_hits", "baseline_")
        if grounded:
            row["citation_recall"] = mean(r["citation_recall"] for r in grounded)
            row["citation_precision"] = mean(r["citation_precision"] for r in grounded)
            row["faithfulness"] = mean(r["faithfulness"] for r in grounded)
        # a refused answerable question covers none of its facts
        covered = [r["fact_coverage"] or 0.0 for r in answerable]
        row["fact_coverage"] = mean(covered)
        if refusals.refused_unanswerable + refusals.refused_answerable:
            row["refusal_precision"] = refusals.precision
        if refusals.refused_unanswerable + refusals.answered_unanswerable:
            row["refusal_recall"] = refusals.recall
        row["false_refusals"] = refusals.refused_answerable
        row["false_answers"] = refusals.answered_unanswerable
        row["language_match"] = mean(1.0 if r["language_match"] else 0.0 for r in rows)
        for key in ("chars@5", "baseline_chars@5"):
            sizes = [r[key] for r in rows if key in r]
            if sizes:
                row[key] = mean(sizes)
        if answered:
            row["generated"] = mean(1.0 if r.get("mode") == "generative" else 0.0 for r in answered)
        row |= _missing_parts(rows)
        row["first_text_p50_ms"] = percentile([first_text_ms(r["timings_ms"]) for r in rows], 0.5)
        row["latency_p50_ms"] = percentile(totals, 0.5)
        row["latency_p95_ms"] = percentile(totals, 0.95)
        table[lang] = row
    return table


def _missing_parts(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    """How well answers say which parts of a question the documents do not answer: of the
    labelled parts of answered questions, the unanswerable ones said missing (recall) and the
    answerable ones said missing (false); and the answered answerable questions of sets without
    labelled parts (each part of which is answered) that call a part missing."""
    answered = [r for r in rows if not r["refused"] and r["answerable"]]
    labelled = [part for r in answered for part in r.get("parts", ())]
    missing = [part for part in labelled if not part["answerable"]]
    present = [part for part in labelled if part["answerable"]]
    unlabelled = [r for r in answered if "parts" not in r and "unanswered" in r]
    row: dict[str, float] = {}
    if missing:
        row["missing_part_recall"] = mean(1.0 if p["said_missing"] else 0.0 for p in missing)
    if present:
        row["present_part_said_missing"] = mean(1.0 if p["said_missing"] else 0.0 for p in present)
    if unlabelled:
        row["answers_saying_part_missing"] = float(sum(1 for r in unlabelled if r["unanswered"]))
    return row


COLUMNS = (
    ("questions", "n", "{:.0f}"),
    ("hit@1", "hit@1", "{:.3f}"),
    ("baseline_hit@1", "naive hit@1", "{:.3f}"),
    ("hit@5", "hit@5", "{:.3f}"),
    ("baseline_hit@5", "naive hit@5", "{:.3f}"),
    ("mrr", "MRR", "{:.3f}"),
    ("baseline_mrr", "naive MRR", "{:.3f}"),
    ("ndcg@10", "nDCG@10", "{:.3f}"),
    ("baseline_ndcg@10", "naive nDCG@10", "{:.3f}"),
    ("citation_recall", "cit. recall", "{:.3f}"),
    ("citation_precision", "cit. precision", "{:.3f}"),
    ("faithfulness", "faithful", "{:.3f}"),
    ("fact_coverage", "facts", "{:.3f}"),
    ("refusal_precision", "refusal P", "{:.3f}"),
    ("refusal_recall", "refusal R", "{:.3f}"),
    ("false_refusals", "false refusals", "{:.0f}"),
    ("false_answers", "false answers", "{:.0f}"),
    ("language_match", "lang match", "{:.3f}"),
    ("chars@5", "chars@5", "{:.0f}"),
    ("baseline_chars@5", "naive chars@5", "{:.0f}"),
    ("generated", "generated", "{:.3f}"),
    ("missing_part_recall", "missing part said", "{:.3f}"),
    ("present_part_said_missing", "answered part said missing", "{:.3f}"),
    ("answers_saying_part_missing", "answers saying a part is missing", "{:.0f}"),
    ("first_text_p50_ms", "first text p50 ms", "{:.0f}"),
    ("latency_p50_ms", "p50 ms", "{:.0f}"),
    ("latency_p95_ms", "p95 ms", "{:.0f}"),
)


def format_table(table: dict[str, dict[str, float]]) -> str:
    """Markdown: one row per language (and 'all'), Kakehashi beside the naive baseline."""
    columns = [c for c in COLUMNS if any(c[0] in row for row in table.values())]
    lines = [
        "| lang | " + " | ".join(label for _, label, _ in columns) + " |",
        "|---" * (len(columns) + 1) + "|",
    ]
    for lang, row in table.items():
        cells = [fmt.format(row[key]) if key in row else "–" for key, _, fmt in columns]
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- regression gate ---------------------------------------------------------------------------


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


def write_jsonl(records: Iterable[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
