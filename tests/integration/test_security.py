"""Security (issue 8): what a planted document carries comes back verbatim as data (Python API,
``--json``) and is never run by the CLI's plain output; an API key reaches its endpoint and
nothing else: not the settings' repr or JSON, ``ask --json``, ``status()``, the logs, the eval
records and reports, or the chat's page config.

(Escaping in the chat is tested by tests/unit/test_ui.py and tests/e2e/test_ui.py, the file
routes by tests/e2e/test_ui.py::test_the_file_routes_refuse_the_machines_files.)"""

from __future__ import annotations

import http.server
import json
import logging
import threading
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes import FakeEmbedder

from assistant.api import Assistant
from assistant.settings import Settings
from ui import cli

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(300),
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]

# One paragraph of markup and terminal escape sequences (an OSC title, clear screen, colour):
# few enough control characters that ingest takes it as text.
PLANTED = (
    "The Zephyrine programme publishes <script>window.kkXss=1</script> and "
    '<img src=x onerror="alert(1)"> and ![t](https://evil.example.com/p.png) and '
    "[go](javascript:alert(1)) with a terminal title \x1b]0;pwned\x07 and a clear "
    "\x1b[2J\x1b[31mred screen."
)
PLANTED_TITLE = "Zephyrine <b>title</b> <svg onload=alert(1)>"
QUESTION = "What does the Zephyrine programme publish?"


@dataclass(frozen=True)
class Planted:
    corpus: Path
    data_dir: Path
    bot: Assistant


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    root = tmp_path_factory.mktemp("planted")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "zephyrine.en.txt").write_text(PLANTED + "\n", encoding="utf-8")
    (corpus / "zephyrine.en.txt.meta.json").write_text(
        json.dumps({"doc_id": "zephyrine", "title": PLANTED_TITLE, "lang": "en"}),
        encoding="utf-8",
    )
    (corpus / "ringi.en.txt").write_text(
        "Ringi is a bottom-up decision process in Japanese companies.\n", encoding="utf-8"
    )
    # min_evidence: the fake embedder's scores are not calibrated; answer rather than refuse
    settings = Settings(corpus_dir=corpus, data_dir=root / "data", min_evidence=-5.0)
    bot = Assistant(settings, embedder=FakeEmbedder())
    report = bot.ingest()
    assert report.failures == () and report.added == 2
    return Planted(corpus, root / "data", bot)


def zephyrine(items: list[dict[str, Any]]) -> dict[str, Any]:
    return next(item for item in items if item["doc_id"] == "zephyrine")


# -- a planted document: verbatim as data ---------------------------------------------------------
def test_the_api_hands_planted_markup_back_verbatim(planted: Planted) -> None:
    passage = zephyrine([p.to_dict() for p in planted.bot.retrieve(QUESTION)])
    assert passage["text"] == PLANTED and passage["title"] == PLANTED_TITLE
    answer = planted.bot.ask(QUESTION)
    assert not answer.refused
    citation = zephyrine([c.to_dict() for c in answer.citations])
    assert citation["text"] == PLANTED and citation["title"] == PLANTED_TITLE


@pytest.fixture
def run_cli(planted: Planted, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(cli, "_assistant", lambda: planted.bot)

    def run(*args: str) -> Any:
        # color=True: click keeps what a terminal would receive (it strips only colour codes,
        # and only when it is not writing to a terminal)
        return CliRunner().invoke(cli.main, list(args), color=True)

    return run


def test_the_cli_json_hands_planted_markup_back_verbatim(run_cli: Any) -> None:
    asked = run_cli("ask", "--json", QUESTION)
    retrieved = run_cli("retrieve", "--json", QUESTION)
    for result in (asked, retrieved):
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout  # JSON escapes them
    citation = zephyrine(json.loads(asked.stdout)["citations"])
    assert citation["text"] == PLANTED and citation["title"] == PLANTED_TITLE
    passage = zephyrine(json.loads(retrieved.stdout))
    assert passage["text"] == PLANTED and passage["title"] == PLANTED_TITLE


def runs_in_a_terminal(text: str) -> list[str]:
    """The characters a terminal would act on: C0/C1 controls other than newline and tab."""
    return [ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\t"]


@pytest.mark.parametrize(
    "command", [["ask"], ["ask", "--stream"], ["retrieve"]], ids=["ask", "stream", "retrieve"]
)
def test_the_cli_plain_output_shows_markup_as_text_and_runs_no_escape(
    run_cli: Any, command: list[str]
) -> None:
    result = run_cli(*command, QUESTION)
    assert result.exit_code == 0, result.output
    assert "<script>window.kkXss=1</script>" in result.stdout  # shown as text
    assert runs_in_a_terminal(result.stdout + result.stderr) == []


# -- the API key ----------------------------------------------------------------------------------
class _Endpoint(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that refuses every request, echoing the key it was sent in
    its error (as a careless proxy might): the key must still go no further."""

    seen: list[str]

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Authorization", "")
        self.seen.append(key)
        body = json.dumps({"error": {"message": f"invalid key {key}", "type": "auth"}}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("Handler", (_Endpoint,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_api_key_reaches_the_endpoint_and_nothing_else(
    planted: Planted,
    endpoint: tuple[str, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    canary = f"sk-canary-{uuid.uuid4().hex}"
    url, seen = endpoint
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, value in {
        "KAKEHASHI_LLM_API_KEY": canary,
        "KAKEHASHI_LLM_BASE_URL": url,
        "KAKEHASHI_LLM_MODEL": "any",
        "KAKEHASHI_LLM_TIMEOUT": "10",
        "KAKEHASHI_CORPUS_DIR": str(planted.corpus),
        "KAKEHASHI_DATA_DIR": str(planted.data_dir),
        "KAKEHASHI_MIN_EVIDENCE": "-5",  # the fake embedder's scores: answer, ask the model
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("assistant.api.make_embedder", lambda spec: FakeEmbedder())
    caplog.set_level(logging.DEBUG)
    shown: list[str] = []

    # Step 1: the settings
    settings = Settings()
    assert settings.llm_api_key is not None and settings.llm_api_key.get_secret_value() == canary
    shown += [repr(settings), str(settings), settings.model_dump_json()]
    shown.append(json.dumps(settings.model_dump(), default=str))
    (tmp_path / ".env").write_text(f"KAKEHASHI_LLM_API_KEY={canary}\n", encoding="utf-8")
    shown.append(repr(Settings(_env_file=tmp_path / ".env")))  # type: ignore[call-arg]

    # Step 2: the CLI, through the real settings and the real model client
    runner = CliRunner()
    for command in (["ask", "--json", QUESTION], ["ask", QUESTION], ["ask", "--stream", QUESTION]):
        result = runner.invoke(cli.main, command)
        assert result.exit_code == 0, result.output
        shown += [result.stdout, result.stderr]
    answer = json.loads(shown[-6])
    assert answer["mode"] == "extractive" and answer["notice"]  # the endpoint refused: fallback

    # Step 3: the Python API, its status, a follow-up (the rewriter calls the model too)
    bot = Assistant()
    history = [(QUESTION, "It publishes markup.")]
    shown.append(json.dumps(bot.ask("and why?", history=history).to_dict(), ensure_ascii=False))
    shown.append(json.dumps(bot.status(), ensure_ascii=False, default=str))

    # Step 4: an eval run: its records and reports
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps({"id": "en-01", "lang": "en", "question": QUESTION, "gold": ["Zephyrine"]})
        + "\n",
        encoding="utf-8",
    )
    reports = tmp_path / "reports"
    run = ["eval", "--questions", str(questions), "--out", str(tmp_path / "run.jsonl")]
    result = runner.invoke(cli.main, [*run, "--reports", str(reports), "--no-baseline"])
    assert result.exit_code == 0, result.output
    shown += [result.stdout, result.stderr, (tmp_path / "run.jsonl").read_text(encoding="utf-8")]
    shown += [path.read_text(encoding="utf-8", errors="replace") for path in reports.iterdir()]

    # Step 5: the chat's page and status line
    from ui.app import build_app
    from ui.chat import Chat
    from ui.feedback import FeedbackLog
    from ui.serve import launch_options

    shown.append(json.dumps(build_app(bot).config, default=str, ensure_ascii=False))
    shown.append(json.dumps(launch_options(settings, None, None), default=str))
    shown.append(Chat(bot, FeedbackLog(tmp_path / "feedback.jsonl")).status("en"))

    # the key was in play: every model call carried it...
    assert seen and all(header == f"Bearer {canary}" for header in seen)
    # ...and it is nowhere else: outputs, files, logs (every logger, DEBUG), stray prints
    out, err = capfd.readouterr()
    shown += [out, err, caplog.text]
    shown += [f"{record.getMessage()} {record.exc_text or ''}" for record in caplog.records]
    leaks = [text for text in shown if canary in text or canary[10:] in text]
    assert leaks == []
