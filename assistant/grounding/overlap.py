"""Step 4 of the grounding verifier, its lexical side: the passages' segments and how much
of the claim's text the passages share. Also the text helpers other checks use: a claim's
clauses (the misplaced-numbers check), clause ends (opposite terms) and content bigrams.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from assistant.grounding import tables
from assistant.text import fold_script, lexical_tokens, split_sentences

# a comma, but not a thousands separator (790,000); semicolons, colons, dashes, "while" …
_CLAUSE_BREAK = re.compile(
    r"(?<!\d),|,(?!\d{3})|[\uff0c;\uff1b:\uff1a]|——|—|\s(?:while|whereas|but|and which)\s"
    r"|、(?=[^、]{8,})"
)
_CLAUSE_END = re.compile(r"[,,;;。.!?!?、::—]")


_EDGE_PUNCTUATION = re.compile(r"^[\s。.!?!?]+|[\s。.!?!?]+$")


def claim_clauses(claim: str, min_chars: int = 6) -> list[str]:
    """A claim's clauses: the pieces between , ; : and 'while'/'but' that carry content."""
    pieces = [_EDGE_PUNCTUATION.sub("", piece) for piece in _CLAUSE_BREAK.split(claim)]
    return [piece for piece in pieces if len(piece) >= min_chars] or [claim]


def passage_segments(passages: Sequence[str]) -> list[str]:
    """Sentences of the passages, each also joined with the next (a claim may span two)."""
    segments: list[str] = []
    for passage in passages:
        sentences = [span.text for span in split_sentences(passage) if span.text.strip()]
        segments.extend(sentences)
        segments.extend(" ".join(pair) for pair in itertools.pairwise(sentences))
        if len(sentences) > 2 and len(passage) <= 600:
            segments.append(passage)
    seen: dict[str, None] = {}
    for segment in segments:
        seen.setdefault(segment, None)
    return list(seen) or [""]


def _shingles(text: str) -> set[str]:
    """Character trigrams of CJK runs and Latin word bigrams, after folding scripts."""
    folded = fold_script(text)
    grams: set[str] = set()
    for run in re.findall(r"[\u3040-\u30ff\u3400-\u9fff]+", folded):
        grams.update(run[i : i + 3] for i in range(max(1, len(run) - 2)))
    words = [w for w in lexical_tokens(re.sub(r"[\u3040-\u30ff\u3400-\u9fff]", " ", folded))]
    grams.update(f"{a} {b}" for a, b in itertools.pairwise(words))
    grams.update(words)
    return grams


def lexical_coverage(claim: str, passage: str) -> float:
    """Share of the claim's shingles found in the passage."""
    wanted = _shingles(claim)
    if not wanted:
        return 0.0
    return len(wanted & _shingles(passage)) / len(wanted)


def bigram_coverage(claim: str, passage: str) -> float:
    """The claim's share of content bigrams (Han and kana, scripts folded) found in the
    passage; 0 for a claim with fewer than three of them (no CJK text to speak of)."""
    grams = _content_bigrams(claim)
    if len(grams) < 3:
        return 0.0
    return len(grams & _content_bigrams(passage)) / len(grams)


_FUNCTION_CHARS = set(tables.words().function_chars)  # grammar, not content (data/words.json)
_CJK_ONLY = re.compile(r"[^\u3040-\u30ff\u3400-\u9fff]")


def _content_bigrams(text: str) -> set[str]:
    run = _CJK_ONLY.sub("", fold_script(text))
    grams = {run[i : i + 2] for i in range(len(run) - 1)}
    return {g for g in grams if not (set(g) & _FUNCTION_CHARS)}
