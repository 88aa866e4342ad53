"""The naive LangChain pipeline every report is compared against.

RecursiveCharacterTextSplitter with its defaults, the same embedder as Kakehashi, and Chroma
similarity search (an in-memory collection): what a first LangChain tutorial would build.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant.embeddings import KakehashiEmbeddings
from ingest.embed import Embedder
from ingest.load import load_corpus


@dataclass(frozen=True)
class BaselinePassage:
    text: str
    original_text: str
    doc_id: str
    lang: str


def split_corpus(
    corpus: Path, originals_only: bool = False
) -> tuple[list[str], list[dict[str, str]]]:
    """Load the corpus with Kakehashi's loader and split it with LangChain's defaults."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    documents, _ = load_corpus(corpus)
    if originals_only:
        documents = [d for d in documents if not d.translation_of]
    splitter = RecursiveCharacterTextSplitter()
    texts: list[str] = []
    metadatas: list[dict[str, str]] = []
    for document in documents:
        for piece in splitter.split_text(document.text):
            texts.append(piece)
            metadatas.append({"doc_id": document.doc_id, "lang": document.lang})
    return texts, metadatas


class NaiveRAG:
    def __init__(self, corpus: Path, embedder: Embedder, originals_only: bool = False) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        texts, metadatas = split_corpus(corpus, originals_only)
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self.store = Chroma(
            collection_name=f"naive-{uuid.uuid4().hex[:8]}",
            embedding_function=KakehashiEmbeddings(embedder),
            client=client,
        )
        if texts:
            self.store.add_texts(texts, metadatas=metadatas)
        self.chunks = len(texts)

    def retrieve(self, question: str, k: int = 10) -> Sequence[BaselinePassage]:
        return [
            BaselinePassage(
                text=doc.page_content,
                original_text=doc.page_content,
                doc_id=str(doc.metadata.get("doc_id")),
                lang=str(doc.metadata.get("lang")),
            )
            for doc in self.store.similarity_search(question, k=k)
        ]
