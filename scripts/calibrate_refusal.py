"""Calibrate the extractive refusal on a questions file (answerable and unanswerable).

Prints, for each candidate coverage weight, the threshold that minimises false refusals plus
false answers (ties: fewer false answers), and the counts. The chosen values are the "refusal"
section of assistant/data/thresholds.json (threshold, cross_lingual_offset). Run it on a store
with translations (same-language pairs) and on one with the originals only (cross-lingual
pairs); the store is the one the ``KAKEHASHI_*`` settings name.

    .venv/bin/python -m scripts.calibrate_refusal [eval/questions/dev.jsonl] [--write]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

from assistant import Assistant, thresholds
from assistant import answer as extractive
from assistant.text import detect_language
from eval.run import load_questions


def features(assistant: Assistant, question: str) -> tuple[float, float, bool]:
    language = detect_language(question)
    vector = assistant.embedder.embed([question], kind="query")[0]
    passages = assistant._search(question, vector, language, 5)
    candidates = extractive.candidate_sentences(passages)
    vectors = assistant.embedder.embed([text for _, _, text in candidates], kind="passage")
    scored = extractive.score_sentences(question, candidates, vector, vectors)
    best = max(scored, key=lambda s: s.similarity, default=None)
    if best is None:
        return 0.0, 0.0, False
    cross_lingual = passages[best.passage].lang != language
    return best.similarity, assistant.index.lexical.coverage(question), cross_lingual


def best_threshold(evidence: np.ndarray, answerable: np.ndarray) -> tuple[float, int, int]:
    """The threshold with fewest false refusals + false answers (ties: fewer false answers)."""
    results = []
    for threshold in np.arange(0.78, 0.95, 0.0025):
        false_refusals = int(((evidence < threshold) & answerable).sum())
        false_answers = int(((evidence >= threshold) & ~answerable).sum())
        results.append((false_refusals + false_answers, false_answers, threshold, false_refusals))
    _, false_answers, threshold, false_refusals = min(results)
    return float(threshold), false_refusals, false_answers


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.calibrate_refusal", description=__doc__.splitlines()[0]
    )
    parser.add_argument("questions", nargs="?", type=Path, default=Path("eval/questions/dev.jsonl"))
    parser.add_argument(
        "--write",
        action="store_true",
        help="Write the same-language threshold (and, when this store has both kinds of pair, "
        "the cross-lingual offset) to assistant/data/thresholds.json.",
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    questions = load_questions(args.questions)
    assistant = Assistant()
    rows = [(*features(assistant, q.question), q.answerable) for q in questions]
    print(f"store: {assistant.settings.corpus_dir}, {len(assistant.index.chunks)} chunks")
    best_sim = np.array([r[0] for r in rows])
    coverage = np.array([r[1] for r in rows])
    answerable = np.array([r[3] for r in rows])
    cross = np.array([r[2] for r in rows])
    fitted: dict[str, float] = {}
    for name, subset in (("same-language", ~cross), ("cross-lingual", cross)):
        if subset.sum():
            threshold, false_refusals, false_answers = best_threshold(
                best_sim[subset], answerable[subset]
            )
            fitted[name] = threshold
            print(
                f"{name} ({int(subset.sum())} questions): threshold {threshold:.4f} -> "
                f"false refusals {false_refusals}, false answers {false_answers}"
            )
    print(f"{len(rows)} questions, {int((~answerable).sum())} unanswerable")
    for weight in (0.0, 0.03, 0.06, 0.1):
        threshold, false_refusals, false_answers = best_threshold(
            best_sim + weight * coverage, answerable
        )
        print(
            f"weight {weight:.2f}: threshold {threshold:.4f} -> false refusals {false_refusals}, "
            f"false answers {false_answers}"
        )
    if args.write and "same-language" in fitted:
        current = thresholds.refusal()
        values = {
            "threshold": round(fitted["same-language"], 4),
            "cross_lingual_offset": round(fitted["same-language"] - fitted["cross-lingual"], 4)
            if "cross-lingual" in fitted
            else current.cross_lingual_offset,
        }
        print(f"written to {thresholds.write('refusal', values)}: {values}")


if __name__ == "__main__":
    main()
