"""A run's records summarised per language and overall (``summarize``), and as the Markdown
table the CLI prints and the reports hold (``format_table``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from eval.metrics import (
    hit_at,
    mean,
    ndcg_at,
    percentile,
    reciprocal_rank,
    refusal_score,
)
from eval.run import LANGS


def first_text_ms(timings: dict[str, float]) -> float:
    """When the first text of the answer was shown: the first checked sentence of a generated
    answer, the whole of any other."""
    total = float(timings.get("total", 0.0))
    if "first_sentence" in timings and "generate" in timings:
        return total - float(timings["generate"]) + float(timings["first_sentence"])
    return total


# -- summary -----------------------------------------------------------------------------------

# Metrics where higher is better; the ones --fail-under accepts.
GATED = (
    "hit@1", "hit@5", "mrr", "ndcg@10", "citation_recall", "citation_precision",
    "faithfulness", "fact_coverage", "refusal_precision", "refusal_recall", "language_match",
    "baseline_hit@1", "baseline_hit@5", "baseline_mrr", "baseline_ndcg@10",
    "missing_part_recall", "generated",
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
