"""What goes to the model: the sentences that matter, not whole chunks (prompt length is latency).

The best sentences of the extractive scoring, each with the sentence after it, grouped by passage,
within a token budget; for a question of several sentences, each part's best as well.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer import ScoredSentence
from assistant.types import Passage
from ingest.tokens import count_tokens

EXCERPT_SENTENCES = 5  # the best sentences of the extractive scoring, each with its neighbour
EXCERPT_PASSAGES = 4
# Prompt length is latency: a two-core machine reads about 100 tokens a second.
EXCERPT_TOKENS = 256


def excerpt_sentences(
    passages: Sequence[Passage],
    ranked: Sequence[ScoredSentence],
    parts: Sequence[Sequence[ScoredSentence]] = (),
) -> list[ScoredSentence]:
    """What goes to the model: the best sentences of the extractive scoring, each with the
    sentence after it (a definition often follows the term's first mention), grouped by
    passage in the passages' order of merit, in their order within each, and within
    ``EXCERPT_TOKENS`` in all. For a question of several sentences, ``parts`` scores the same
    sentences against each of them: the best for each part comes right after the best overall,
    so that what the second part asks is not crowded out by the first part's sentences."""
    by_key = {(s.passage, s.position): s for s in ranked}
    best = sorted(ranked, key=lambda s: -s.score)
    leads = best[:1] + [max(part, key=lambda s: s.score) for part in parts if part]
    picked: dict[int, set[int]] = {}
    seen: set[tuple[int, int]] = set()
    budget = EXCERPT_TOKENS
    for sentence in leads + best[1:EXCERPT_SENTENCES]:
        if (sentence.passage, sentence.position) in seen:
            continue
        seen.add((sentence.passage, sentence.position))
        if sentence.passage not in picked and len(picked) == EXCERPT_PASSAGES:
            continue
        for position in (sentence.position, sentence.position + 1):
            key = (sentence.passage, position)
            if key not in by_key or position in picked.get(sentence.passage, set()):
                continue
            cost = count_tokens(by_key[key].text)
            if cost > budget and picked:
                continue
            budget -= cost
            picked.setdefault(sentence.passage, set()).add(position)
    return [by_key[(index, p)] for index, positions in picked.items() for p in sorted(positions)]


def excerpts(
    passages: Sequence[Passage], ranked: Sequence[ScoredSentence]
) -> list[tuple[int, str]]:
    """``excerpt_sentences`` joined by passage: (index into ``passages``, excerpt) pairs."""
    grouped: dict[int, list[str]] = {}
    for sentence in excerpt_sentences(passages, ranked):
        grouped.setdefault(sentence.passage, []).append(sentence.text)
    return [
        (index, (" " if passages[index].lang == "en" else "").join(texts))
        for index, texts in grouped.items()
    ]
