"""The naive LangChain pipeline every figure is compared against (as in ``eval/baseline.py``):
``RecursiveCharacterTextSplitter`` with its defaults, the same embedder as Kakehashi, Chroma
similarity search, and for the hybrid case LangChain's ``EnsembleRetriever`` of the Chroma
retriever and a ``BM25Retriever`` (rank_bm25, white-space tokens) built over the same texts.

A naive "answer" is what a first tutorial does without an LLM: the top passages, joined.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.baseline import split_corpus
from ingest.embed import Embedder

COLLECTION = "naive"


def chroma(
    embedder: Embedder,
    *,
    client: Any = None,
    persist: Path | None = None,
    collection: str = COLLECTION,
) -> Any:
    """A LangChain ``Chroma`` over ``collection``, embedding with ``embedder``."""
    from langchain_chroma import Chroma

    from assistant.embeddings import KakehashiEmbeddings

    return Chroma(
        collection_name=collection,
        embedding_function=KakehashiEmbeddings(embedder),
        client=client,
        persist_directory=str(persist) if persist else None,
    )


def build(
    corpus: Path, embedder: Embedder, *, client: Any = None, persist: Path | None = None
) -> tuple[Any, int]:
    """Ingest the naive way: split, embed everything, add. Returns (store, chunk count)."""
    texts, metadatas = split_corpus(corpus)
    store = chroma(embedder, client=client, persist=persist)
    if texts:
        store.add_texts(texts, metadatas=metadatas)
    return store, len(texts)


def bm25(texts: Sequence[str], k: int = 40) -> Any:
    """LangChain's ``BM25Retriever`` over ``texts`` (rank_bm25, white-space tokens)."""
    from langchain_community.retrievers import BM25Retriever

    return BM25Retriever.from_texts(list(texts), k=k)


def ensemble(store: Any, lexical: Any = None, k: int = 40) -> Any:
    """EnsembleRetriever(Chroma retriever, BM25Retriever) with equal weights; the BM25 side is
    ``lexical``, or built over everything the Chroma collection holds."""
    from langchain_classic.retrievers import EnsembleRetriever

    if lexical is None:
        lexical = bm25([text for text in store.get(include=["documents"])["documents"] if text], k)
    dense = store.as_retriever(search_kwargs={"k": k})
    return EnsembleRetriever(retrievers=[dense, lexical], weights=[0.5, 0.5])


def answer(retriever: Any, question: str, k: int = 5) -> str:
    """The naive extractive answer: the top ``k`` fused passages, joined."""
    return "\n\n".join(doc.page_content for doc in retriever.invoke(question)[:k])
