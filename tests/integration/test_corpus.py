"""The one test that reads the live corpus/: whatever it holds ingests cleanly, every translation
standing for its original (``ingest.align.check_translation``: paragraphs, headings and numbers
line up), and the glossary is what its readers expect. Every other test reads the frozen copy in
tests/fixtures/corpus/, so adding a document to corpus/ breaks no test but this one, and this one
only when the document would be refused at ingest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.grounding import EntityTable
from assistant.grounding.tables import corpus_opposites
from assistant.lexical import Glossary
from assistant.terms import Terms
from ingest.index import prepare
from ingest.tokens import count_tokens

pytestmark = pytest.mark.integration

LIVE_CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def test_live_corpus_ingests_consistently() -> None:
    # Step 1: every file loads and every translation lines up with its original
    documents, chunks, failures = prepare(LIVE_CORPUS, count_tokens)
    assert not failures, "\n".join(f"{failure.source}: {failure.reason}" for failure in failures)
    assert documents and chunks
    by_id = {document.doc_id: document for document in documents}
    for document in documents:
        if document.translation_of:
            assert document.translation_of in by_id, document.doc_id

    # Step 2: the glossary is groups of terms by language, and both of its readers load it
    glossary = LIVE_CORPUS / "glossary.json"
    if not glossary.is_file():
        return
    entries = json.loads(glossary.read_text(encoding="utf-8"))
    assert isinstance(entries, list) and entries
    for number, entry in enumerate(entries):
        assert isinstance(entry, dict) and entry, number
        assert set(entry) <= {"zh-TW", "ja", "en"}, (number, sorted(entry))
        for terms in entry.values():
            assert isinstance(terms, list) and terms, (number, terms)
            assert all(isinstance(term, str) and term.strip() for term in terms), (number, terms)
    assert Glossary.of(Terms.load(glossary)) is not None
    EntityTable.with_glossary(glossary)  # the verifier's reader: raises on a bad group
    # Step 3: the corpus's own opposite terms, beside the glossary, match their schema
    corpus_opposites(LIVE_CORPUS)  # raises on a bad file
