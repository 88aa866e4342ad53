"""Kakehashi's public API: ``from assistant import Assistant``.

The names below load on first use (PEP 562), so that ``import assistant.text`` or
``assistant.errors`` from the ingest layer pulls in neither retrieval nor the answer path.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.api import Assistant
    from assistant.errors import InvalidQuestion, KakehashiError
    from assistant.settings import Settings
    from assistant.types import Answer, Citation, Location, Passage, SentenceCheck

_PUBLIC = {
    "Assistant": "assistant.api",
    "InvalidQuestion": "assistant.errors",
    "KakehashiError": "assistant.errors",
    "Settings": "assistant.settings",
    "Answer": "assistant.types",
    "Citation": "assistant.types",
    "Location": "assistant.types",
    "Passage": "assistant.types",
    "SentenceCheck": "assistant.types",
}
__all__ = [
    "Answer",
    "Assistant",
    "Citation",
    "InvalidQuestion",
    "KakehashiError",
    "Location",
    "Passage",
    "SentenceCheck",
    "Settings",
]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
