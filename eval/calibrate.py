"""Choose the offline verifier's thresholds on a labelled claims file, honestly.

    python -m eval.calibrate [eval/claims.jsonl]

Step 1: measure every claim once (``OfflineVerifier.signals``: the slow, embedding part).
Step 2: grid-search the decision's free parameters (lexical weight, bigram weight, length
        penalty, one score threshold per language pair: same, cjk, mixed) to maximise
        balanced accuracy.
Step 3: report that search's accuracy where it was not fitted: 5-fold cross-validation grouped
        by passage (claims about one passage never sit on both sides), a fixed held-out
        split (30% of passages, by a hash of the passage text), and each passage language
        left out in turn (a document in a language the fit never saw).
Step 4: print the parameters fitted on the whole file; with ``--write``, write them to
        ``assistant/data/thresholds.json``, which ``Thresholds`` reads.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant import thresholds
from assistant.grounding import OfflineVerifier, Signals, Thresholds, combined_score, vetoed
from assistant.grounding.overlap import passage_segments
from assistant.grounding.verifier import PAIRS, pair_key
from eval.claims import Claim, load_claims
from eval.metrics import confusion
from ingest.load import Document

LEXICAL_WEIGHTS = (0.0, 0.05, 0.1, 0.2)
LENGTH_WEIGHTS = (0.0, 0.02, 0.05, 0.1)
CLAUSE_LEXICAL_WEIGHTS = (0.0, 0.05, 0.1, 0.2)


@dataclass(frozen=True)
class Measured:
    claim: Claim
    signals: Signals

    @property
    def supported(self) -> bool:
        return self.claim.label == "supported"


def balanced_accuracy(items: Sequence[Measured], thresholds: Thresholds) -> float:
    predictions = [predict(item.signals, thresholds) for item in items]
    table = confusion([item.supported for item in items], predictions)
    return table.balanced_accuracy


def predict(signals: Signals, thresholds: Thresholds) -> bool:
    if vetoed(signals):
        return False
    return combined_score(signals, thresholds) >= thresholds.for_pair(signals.pair)


def fit(items: Sequence[Measured], offset: dict[str, float] | None = None) -> Thresholds:
    """The parameters that maximise balanced accuracy on ``items`` (with ``offset``, the
    language-pair offsets, fixed beforehand)."""
    positives = max(1, sum(item.supported for item in items))
    negatives = max(1, len(items) - positives)
    best: tuple[float, Thresholds] | None = None
    baseline = {
        pair: statistics.median(
            [i.signals.length_ratio for i in items if i.supported and i.signals.pair == pair]
            or [0.0]
        )
        for pair in PAIRS
    }
    for lexical, length, clause_lexical in itertools.product(
        LEXICAL_WEIGHTS, LENGTH_WEIGHTS, CLAUSE_LEXICAL_WEIGHTS
    ):
        base = Thresholds(
            score={},
            lexical_weight=lexical,
            length_weight=length,
            length_baseline=baseline,
            clause_lexical_weight=clause_lexical,
            offset=dict(offset if offset is not None else Thresholds().offset),
        )
        scores: dict[str, float] = {}
        error = 0.0
        for pair in PAIRS:
            group = [i for i in items if i.signals.pair == pair]
            threshold, pair_error = _best_threshold(group, base, positives, negatives)
            scores[pair] = threshold
            error += pair_error
        candidate = replace(base, score=scores)
        if best is None or error < best[0] - 1e-12:
            best = (error, candidate)
    assert best is not None
    return best[1]


def _best_threshold(
    group: Sequence[Measured], base: Thresholds, positives: int, negatives: int
) -> tuple[float, float]:
    """Threshold minimising this language's share of the balanced error (midpoints between
    observed scores, so a threshold never sits exactly on a training example)."""
    if not group:
        return 0.86, 0.0
    open_items = [i for i in group if not vetoed(i.signals)]
    fixed_error = sum(1 / positives for i in group if i.supported and vetoed(i.signals))
    scored = sorted((combined_score(i.signals, base), i.supported) for i in open_items)
    values = [score for score, _ in scored]
    candidates = [values[0] - 1e-3] if values else [0.86]
    candidates += [(a + b) / 2 for a, b in itertools.pairwise(values)]
    candidates += [values[-1] + 1e-3] if values else []
    best = (math.inf, 0.86)
    for threshold in candidates:
        error = fixed_error
        for score, supported in scored:
            if supported and score < threshold:
                error += 1 / positives
            elif not supported and score >= threshold:
                error += 1 / negatives
        if error < best[0] - 1e-12:
            best = (error, threshold)
    return best[1], best[0]


def passage_fold(claim: Claim, folds: int) -> int:
    digest = hashlib.sha256(claim.passage.encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % folds


def held_out(claim: Claim) -> bool:
    """The fixed held-out split: about 30% of passages, by hash."""
    digest = hashlib.sha256(("held-out:" + claim.passage).encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 10 < 3


def cross_validate(
    items: Sequence[Measured], folds: int = 5, offset: dict[str, float] | None = None
) -> list[bool]:
    """Out-of-fold predictions: each claim judged by parameters fitted without its passage."""
    predictions = [False] * len(items)
    for fold in range(folds):
        train = [i for i in items if passage_fold(i.claim, folds) != fold]
        thresholds = fit(train, offset)
        for index, item in enumerate(items):
            if passage_fold(item.claim, folds) == fold:
                predictions[index] = predict(item.signals, thresholds)
    return predictions


def translation_offsets(verifier: OfflineVerifier, corpus: Path) -> dict[str, float]:
    """How close e5 puts a sentence and its translation, by directed language pair, less the
    mean over pairs: measured on the corpus's editions (documents with ``translation_of``),
    paragraph by paragraph, each sentence against the aligned paragraph's best segment."""
    from assistant.text import paragraph_spans, split_sentences
    from ingest.load import load_corpus

    documents, _ = load_corpus(corpus)
    editions: dict[str, list[Document]] = {}
    for document in documents:
        editions.setdefault(document.translation_of or document.doc_id, []).append(document)
    closeness: dict[str, list[float]] = {}
    for group in editions.values():
        for source, target in itertools.permutations(group, 2):
            if source.lang == target.lang:
                continue
            pairs = zip(paragraph_spans(source.text), paragraph_spans(target.text), strict=False)
            for mine, theirs in pairs:
                sentences = [s.text for s in split_sentences(mine.text) if len(s.text) > 8]
                segments = passage_segments([theirs.text])
                if not sentences:
                    continue
                vectors = verifier.embed([*sentences, *segments])
                best = (vectors[: len(sentences)] @ vectors[len(sentences) :].T).max(axis=1)
                closeness.setdefault(pair_key(source.lang, target.lang), []).extend(best)
    means = {key: float(statistics.fmean(values)) for key, values in closeness.items()}
    overall = statistics.fmean(means.values()) if means else 0.0
    return {key: round(overall - mean, 4) for key, mean in sorted(means.items())}


def measure(verifier: OfflineVerifier, claims: Sequence[Claim], progress: bool) -> list[Measured]:
    from tqdm import tqdm

    return [
        Measured(claim, verifier.signals(claim.claim, [claim.passage]))
        for claim in tqdm(claims, desc="claims", disable=not progress)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    from assistant.settings import Settings
    from ingest.embed import make_embedder

    args = list(sys.argv[1:] if argv is None else argv)
    write = "--write" in args
    args = [arg for arg in args if arg != "--write"]
    path = Path(args[0] if args else "eval/claims.jsonl")
    settings = Settings()
    verifier = OfflineVerifier(
        make_embedder(settings.embedder), glossary=settings.corpus_dir / "glossary.json"
    )
    offset = translation_offsets(verifier, settings.corpus_dir)
    print("offsets by language pair (from the corpus's editions):", json.dumps(offset))
    items = measure(verifier, load_claims(path), progress=sys.stderr.isatty())
    labels = [i.supported for i in items]

    cv = confusion(labels, cross_validate(items, offset=offset))
    print(f"5-fold CV (grouped by passage): {cv.summary()}")

    train = [i for i in items if not held_out(i.claim)]
    test = [i for i in items if held_out(i.claim)]
    fitted = fit(train, offset)
    split = confusion([i.supported for i in test], [predict(i.signals, fitted) for i in test])
    print(f"held-out split ({len(test)} claims, fitted on {len(train)}): {split.summary()}")

    # a new document in another language: fitted without any passage in that language
    for language in sorted({i.signals.passage_language for i in items}):
        inside = [i for i in items if i.signals.passage_language != language]
        outside = [i for i in items if i.signals.passage_language == language]
        fitted = fit(inside, offset)
        table = confusion(
            [i.supported for i in outside], [predict(i.signals, fitted) for i in outside]
        )
        print(f"passages in {language} unseen ({len(outside)} claims): {table.summary()}")

    final = fit(items, offset)
    whole = confusion(labels, [predict(i.signals, final) for i in items])
    print(f"fitted on all {len(items)} claims (in-sample): {whole.summary()}")
    print("Thresholds:", json.dumps(final.to_dict(), indent=2))
    if write:
        print(f"written to {thresholds.write('verifier', final.to_dict())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
