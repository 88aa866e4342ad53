"""A claims file's passages in their other edition, found in the corpus.

A claim's passage is text only: a corpus paragraph, part of one, or several. A translation lines
up with its original paragraph by paragraph (ingest refuses one that does not), so each line of
a passage that is, or is part of, a paragraph of a translated document has that paragraph's
other editions. The edition shown beside a passage is the one the answer path would show: in
the claim's language when the passage is in another, otherwise the original when the passage
is a translation (``Passage.original_text``). Untranslated documents have none.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from assistant.text import paragraph_spans
from ingest.load import Document, load_corpus

_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


@dataclass(frozen=True)
class Place:
    root: str  # the original's doc_id
    lang: str  # the edition's language
    index: int  # paragraph number in every edition


@dataclass(frozen=True)
class Editions:
    paragraphs: dict[str, Place]  # a paragraph, white space normalised -> where it is
    texts: dict[tuple[str, str], list[str]]  # (root, lang) -> that edition's paragraphs
    originals: dict[str, str]  # root -> the original's language

    @classmethod
    def from_documents(cls, documents: list[Document]) -> Editions:
        roots: dict[str, list[Document]] = defaultdict(list)
        for document in documents:
            roots[document.translation_of or document.doc_id].append(document)
        paragraphs: dict[str, Place] = {}
        texts: dict[tuple[str, str], list[str]] = {}
        originals: dict[str, str] = {}
        for root, editions in roots.items():
            if len(editions) < 2:
                continue  # untranslated: no other edition
            for document in editions:
                lines = [_normal(span.text) for span in paragraph_spans(document.text)]
                texts[(root, document.lang)] = lines
                if document.translation_of is None:
                    originals[root] = document.lang
                for index, line in enumerate(lines):
                    paragraphs.setdefault(line, Place(root, document.lang, index))
        return cls(paragraphs, texts, originals)

    @classmethod
    def from_corpus(cls, corpus: Path) -> Editions:
        documents, _ = load_corpus(corpus)
        return cls.from_documents(documents)

    def place(self, line: str) -> Place | None:
        """Where a passage line is: the paragraph it is, or else the first that contains it."""
        line = _normal(line)
        if not line:
            return None
        found = self.paragraphs.get(line)
        if found is None:
            found = next((p for text, p in self.paragraphs.items() if line in text), None)
        return found

    def other(self, passage: str, lang: str) -> str | None:
        """``passage`` in its other edition for a claim in ``lang``: the claim's language when
        the passage is in another one, else the original; None when no line of it has one."""
        shown: list[str] = []
        for line in passage.splitlines():
            place = self.place(line)
            if place is None:
                continue
            target = lang if place.lang != lang else self.originals.get(place.root, place.lang)
            edition = self.texts.get((place.root, target))
            if target == place.lang or edition is None or place.index >= len(edition):
                continue
            if edition[place.index] not in shown:
                shown.append(edition[place.index])
        return "\n".join(shown) or None
