"""What the judge is shown: a claim as statements, and the passage sentences that bear on it.

Statements, as RAGAS faithfulness splits an answer: a sentence that makes several assertions
is judged assertion by assertion, and is supported only if each one is. Here the split is by
rule, at sentence ends and semicolons only (measured against asking the model to split, which
writes 30 to 80 tokens per claim at about 25 a second: longer than the whole latency budget).
A comma does not split: the clause after it often has no subject of its own ("…, and expanded
it in 2025") and cannot be judged alone.

Evidence: the few passage sentences closest to the claim (by the offline verifier's embedder),
in passage order, instead of whole chunks: prompt length is the judge's latency.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from assistant.text import split_sentences

# a sentence end, or a semicolon (not inside a number)
_BREAK = re.compile(r"[;;]")
_EDGE = re.compile(r"^[\s,,、;;]+|[\s,,、;;]+$")
MIN_STATEMENT_CHARS = 6  # a shorter piece is an aside ("i.e."), not an assertion


def statements(claim: str) -> list[str]:
    """The claim's assertions: its sentences, each cut at semicolons; pieces too short to
    assert anything stay with the piece before them. At least one: the claim itself."""
    found: list[str] = []
    for span in split_sentences(claim):
        for piece in _BREAK.split(span.text):
            piece = _EDGE.sub("", piece)
            if not piece:
                continue
            if len(piece) < MIN_STATEMENT_CHARS and found:
                found[-1] = f"{found[-1]} {piece}"
            else:
                found.append(piece)
    return found or [claim]


def evidence(
    claims: Sequence[str],
    passages: Sequence[str],
    embed: Callable[[Sequence[str]], np.ndarray],
    limit: int,
) -> list[str]:
    """At most ``limit`` sentences of ``passages``: the closest to each of ``claims`` first
    (a claim and its statements: each statement gets its best sentence), then the next
    closest to the first, by cosine of ``embed``'s normalised vectors; in passage order.
    Every sentence when there are no more than ``limit``."""
    sentences = [
        span.text.strip()
        for passage in passages
        for span in split_sentences(passage)
        if span.text.strip()
    ]
    if len(sentences) <= limit:
        return sentences or [p for p in passages if p.strip()]
    vectors = embed([*claims, *sentences])
    similarities = vectors[len(claims) :] @ vectors[: len(claims)].T  # sentence x claim
    ranked = [np.argsort(-similarities[:, c], kind="stable").tolist() for c in range(len(claims))]
    chosen: list[int] = []
    # each statement's best sentence, then the whole claim's in order of closeness
    for index in [*(order[0] for order in ranked[1:]), *ranked[0]]:
        if len(chosen) == limit:
            break
        if index not in chosen:
            chosen.append(index)
    return [sentences[index] for index in sorted(chosen)]
