"""What the founders' chat needs of an ``Assistant`` (``ui.app``; ``ui.opening`` supplies one
while the assistant is still opening)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from assistant import Answer, Settings


class Backend(Protocol):
    """What the chat needs of an ``Assistant``."""

    settings: Settings

    def stream(
        self, question: str, k: int = 5, history: Sequence[tuple[str, str]] | None = None
    ) -> Iterator[str | Answer]: ...

    def status(self) -> dict[str, Any]: ...
