"""Translations line up with their original paragraph by paragraph (pure).

A translation's paragraphs (non-empty lines) map one to one onto the original's. Ingest refuses a
translation whose paragraphs do not line up, and names the first paragraph that does not: a
different count, a heading facing a body paragraph, or a number the original paragraph lacks.
It also refuses a translation whose original is itself a translation, or in the same language:
retrieval quotes the original as the source every edition stands for.
"""

from __future__ import annotations

from decimal import Decimal

from assistant.errors import MisalignedTranslation
from assistant.text import extract_numbers, paragraph_spans
from ingest.chunk import is_heading
from ingest.load import Document


def check_translation(translation: Document, original: Document) -> None:
    """The ingest-time check of a translation against the original its sidecar names."""
    if original.translation_of:
        raise MisalignedTranslation(
            f"its original {original.doc_id!r} is itself a translation "
            f"(of {original.translation_of!r})"
        )
    if translation.lang == original.lang:
        raise MisalignedTranslation(
            f"it is in {translation.lang}, the language of its original {original.doc_id!r}"
        )
    check_alignment(translation, original)


def check_alignment(translation: Document, original: Document) -> None:
    ours = [span.text for span in paragraph_spans(translation.text)]
    theirs = [span.text for span in paragraph_spans(original.text)]
    for index, (mine, source) in enumerate(zip(ours, theirs, strict=False), start=1):
        problem = paragraph_mismatch(mine, source)
        if problem:
            raise MisalignedTranslation(
                f"paragraph {index} does not line up with paragraph {index} of "
                f"{original.doc_id!r}: {problem} (translation: {mine[:60]!r})"
            )
    if len(ours) != len(theirs):
        index = min(len(ours), len(theirs)) + 1
        raise MisalignedTranslation(
            f"paragraph {index}: the translation has {len(ours)} paragraphs, the original "
            f"{original.doc_id!r} has {len(theirs)}"
        )


def paragraph_mismatch(translated: str, original: str) -> str | None:
    if is_heading(translated) != is_heading(original):
        kind = "a heading" if is_heading(original) else "a body paragraph"
        return f"the original paragraph is {kind}"
    ours, theirs = extract_numbers(translated), extract_numbers(original)
    if ours - theirs:
        return f"number(s) {_show(ours - theirs)} not in the original paragraph"
    if theirs - ours:
        return f"number(s) {_show(theirs - ours)} of the original paragraph missing"
    return None


def _show(numbers: frozenset[Decimal]) -> str:
    return ", ".join(sorted(format(number, "f") for number in numbers))
