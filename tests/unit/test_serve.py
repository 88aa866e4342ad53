"""``kakehashi serve`` starting: the page is served while the assistant opens, Gradio imports
without rewriting its stubs, and a setting or a store that cannot be used stops it clearly."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.errors import EXIT_UNAVAILABLE, EXIT_USAGE, StoreUnavailable
from assistant.settings import Settings
from assistant.types import Answer
from ui import cli
from ui.opening import OpeningBackend


class OpenedBackend:
    settings = Settings()

    def stream(
        self, question: str, k: int = 5, history: Sequence[tuple[str, str]] | None = None
    ) -> Iterator[str | Answer]:
        yield f"{question} k={k} history={list(history or [])}"

    def status(self) -> dict[str, Any]:
        return {"documents": 3}


def test_calls_wait_until_the_assistant_is_open_then_reach_it() -> None:
    backend = OpeningBackend(Settings())
    results: list[Any] = []
    waiting = threading.Thread(target=lambda: results.append(backend.status()))
    waiting.start()
    waiting.join(timeout=0.2)
    assert waiting.is_alive() and results == []  # nothing to answer with yet

    backend.open(OpenedBackend)
    waiting.join(timeout=5)
    assert results == [{"documents": 3}]
    assert list(backend.stream("稟議制とは?", 2, [("q", "a")])) == [
        "稟議制とは? k=2 history=[('q', 'a')]"
    ]


def test_an_assistant_that_cannot_open_fails_every_call_with_its_error() -> None:
    backend = OpeningBackend(Settings())

    def cannot_open() -> OpenedBackend:
        raise StoreUnavailable("cannot open the Chroma server")

    with pytest.raises(StoreUnavailable):
        backend.open(cannot_open)
    with pytest.raises(StoreUnavailable, match="Chroma server"):
        backend.status()
    with pytest.raises(StoreUnavailable):
        list(backend.stream("稟議制とは?"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_stops_with_the_store_error_and_frees_its_port(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    port = _free_port()
    monkeypatch.setenv("KAKEHASHI_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KAKEHASHI_CHROMA_URL", f"http://127.0.0.1:{_free_port()}")  # nothing there
    result = CliRunner().invoke(cli.main, ["serve", "--port", str(port)])
    assert result.exit_code == EXIT_UNAVAILABLE, result.output
    assert "Chroma server" in result.output
    with socket.socket() as again:  # the page's server was closed, not left running
        again.bind(("127.0.0.1", port))


@pytest.mark.parametrize("command", [["serve"], ["ask", "稟議制とは?"]])
def test_a_setting_that_cannot_be_used_is_named_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("KAKEHASHI_UI_PORT", "seventy")
    monkeypatch.setenv("KAKEHASHI_LLM_API_KEY", "sk-not-to-be-shown")
    result = CliRunner().invoke(cli.main, command)
    assert result.exit_code == EXIT_USAGE
    assert "invalid setting: KAKEHASHI_UI_PORT: Input should be a valid integer" in result.output
    assert "Traceback" not in result.output and "seventy" not in result.output


def assert_in_fresh_interpreter(probe: str) -> None:
    """Run ``probe`` in a fresh interpreter: the test process may have imported Gradio already."""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_gradio_imports_without_rewriting_its_stubs_and_events_need_no_pyplot() -> None:
    assert_in_fresh_interpreter(
        "import sys, ui, gradio, matplotlib\n"
        "from ui.gradio_import import stub_writer_removed\n"
        "assert stub_writer_removed(), 'gradio.component_meta still writes stubs'\n"
        "assert matplotlib.get_backend().lower() == 'agg'\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'choosing a backend imported pyplot'\n"
    )


def test_gradio_imports_without_pandas_which_loads_when_first_used() -> None:
    assert_in_fresh_interpreter(
        "import sys, ui, gradio, gradio.caching\n"
        "from ui.gradio_import import deferred\n"
        "assert deferred('pandas'), 'importing gradio imported pandas'\n"
        "assert 'pandas.core.frame' not in sys.modules\n"
        "import pandas\n"
        "from pandas import Series\n"
        "frame = gradio.caching.pd.DataFrame({'a': [1, 2]})\n"
        "assert not deferred('pandas') and 'pandas.core.frame' in sys.modules\n"
        "assert isinstance(frame, sys.modules['pandas'].DataFrame) and frame.shape == (2, 1)\n"
        "assert pandas.Series is Series\n"
    )
