"""Kakehashi's hybrid retrieval as a LangChain retriever: drop it into any chain."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict


class KakehashiRetriever(BaseRetriever):
    """Kakehashi's hybrid retrieval as a LangChain retriever: drop it into any chain."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    k: int = 5

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[LCDocument]:
        k = int(kwargs.get("k", self.k))
        return [
            LCDocument(
                page_content=passage.text,
                id=passage.chunk_id,
                metadata={
                    "chunk_id": passage.chunk_id,
                    "doc_id": passage.doc_id,
                    "title": passage.title,
                    "lang": passage.lang,
                    "section": passage.location.section,
                    "paragraph": passage.location.paragraph,
                    "score": passage.score,
                    "original_text": passage.original_text,
                },
            )
            for passage in self.assistant.retrieve(query, k=k)
        ]
