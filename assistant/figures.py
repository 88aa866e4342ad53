"""Questions that ask for a figure, and sentences that give one (``data/figures.json``).

A question that asks "how much" or "what share" is answered by a sentence with a figure in it.
When none of the sentences that match it best gives one, the documents talk about its subject
but do not answer it: "How much did TSMC invest in the Kumamoto fab?" against sentences that
name the fab and no amount. Similarity cannot tell these apart; the question's type can.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

# The best sentences for the question (or for one of its parts) that may give the figure: the
# answer's own sentence is not always the best by similarity, but on the dev questions it was
# always one of the first two.
EVIDENCE_SENTENCES = 2


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    path = resources.files("assistant").joinpath("data", "figures.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    asks = [pattern for patterns in data["asks"].values() for pattern in patterns]
    return (
        re.compile("|".join(f"(?:{p})" for p in asks), re.IGNORECASE),
        re.compile("|".join(f"(?:{p})" for p in data["gives"]), re.IGNORECASE),
    )


def asks_for_figure(question: str) -> bool:
    """Whether ``question`` asks how many, how much, how long or what share."""
    return _patterns()[0].search(question) is not None


def gives_figure(sentence: str) -> bool:
    """Whether ``sentence`` states a figure: digits, a CJK numeral with its counter (三個月,
    六割, 四十年), or a number word (three, half, doubled)."""
    return _patterns()[1].search(sentence) is not None


def figure_missing(question: str, best: Sequence[str]) -> bool:
    """Whether ``question`` asks for a figure that none of its ``best`` sentences (best first)
    gives."""
    return asks_for_figure(question) and not any(
        gives_figure(sentence) for sentence in best[:EVIDENCE_SENTENCES]
    )
