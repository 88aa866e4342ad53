"""The lexical channel at question time: a question's tokens (and, when enabled, the glossary's
other names for its terms) scored by the BM25 index built at ingest (``ingest.lexical``).

LangChain's ``BM25Retriever`` splits on white space, which scores nothing on CJK text; ours
indexes CJK character unigrams and bigrams (see ``ingest.lexical``).
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.terms import Terms
from assistant.text import fold_script, lexical_tokens
from ingest.lexical import Bm25, LexicalChannel


class LexicalIndex:
    """Questions against the lexical channel: a snapshot's ``Bm25`` (or any
    ``LexicalChannel``), or one built from texts."""

    def __init__(self, channel: LexicalChannel, glossary: Glossary | None = None) -> None:
        self.channel = channel
        self.size = channel.size
        self.glossary = glossary

    @classmethod
    def build(cls, texts: Sequence[str], glossary: Glossary | None = None) -> LexicalIndex:
        return cls(Bm25.build(texts), glossary)

    def tokens(self, query: str) -> list[str]:
        """The query's tokens, and the glossary's other names for its terms when enabled."""
        tokens = lexical_tokens(query)
        if self.glossary is not None:
            tokens += self.glossary.expand(query)
        return tokens

    def coverage(self, query: str) -> float:
        """Share of the query's terms that occur anywhere in the corpus: a question about
        something the corpus never mentions (visas, tax rates) scores low."""
        tokens = set(lexical_tokens(query))
        if not tokens:
            return 0.0
        return sum(1 for token in tokens if self.channel.knows(token)) / len(tokens)

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        return self.channel.top(self.tokens(query), k)


class Glossary:
    """Cross-language term groups: a query that names a term in one language also searches
    the term's other names (ringi → 稟議制 → 稟議制)."""

    def __init__(self, groups: Sequence[Sequence[str]]) -> None:
        self._groups = [
            [fold_script(term) for term in group if term.strip()] for group in groups if group
        ]

    @classmethod
    def of(cls, terms: Terms) -> Glossary | None:
        """The glossary's terms as groups of names (None when it has none)."""
        if not terms.entries:
            return None
        return cls([term.all_names() for term in terms.entries])

    def expand(self, query: str) -> list[str]:
        folded = fold_script(query)
        extra: list[str] = []
        for group in self._groups:
            if any(_mentions(folded, term) for term in group):
                for term in group:
                    if not _mentions(folded, term):
                        extra.extend(lexical_tokens(term))
        return extra


def _mentions(folded_query: str, term: str) -> bool:
    if term.isascii():
        import re

        return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", folded_query) is not None
    return term in folded_query
