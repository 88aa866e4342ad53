"""An assistant that is still opening: the chat's backend while ``kakehashi serve`` already serves.

Opening the store and the indexes takes about a second, and the browser needs about as long to
load the page before its first event. ``OpeningBackend`` lets both happen at once: the page is
served at once, and the first call that needs the assistant waits until it is open. If opening
fails, every call raises that error and ``kakehashi serve`` stops with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from assistant import Answer, Settings
from ui.backend import Backend


class OpeningBackend:
    """A ``Backend`` whose assistant is opened by ``open`` (once), possibly after serving began."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._opened = threading.Event()
        self._backend: Backend | None = None
        self._error: BaseException | None = None

    def open(self, open_assistant: Callable[[], Backend]) -> None:
        """Open the assistant; raises what opening raised (and so will every call after)."""
        try:
            self._backend = open_assistant()
        except BaseException as error:
            self._error = error
            raise
        finally:
            self._opened.set()

    def _ready(self) -> Backend:
        self._opened.wait()
        if self._error is not None:
            raise self._error
        assert self._backend is not None
        return self._backend

    def stream(
        self, question: str, k: int = 5, history: Sequence[tuple[str, str]] | None = None
    ) -> Iterator[str | Answer]:
        return self._ready().stream(question, k=k, history=history)

    def status(self) -> dict[str, Any]:
        return self._ready().status()
