"""Bad questions (issue 8): empty, white space, 100,000 characters, control characters, only
emoji, markup. Each is refused with a clear message (``InvalidQuestion``; exit 2 in the CLI)
before anything is embedded, in bounded memory, or answered as plain text."""

from __future__ import annotations

import json
import tracemalloc
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fakes import FakeEmbedder

from assistant.api import HISTORY_TURNS, Assistant, clean_question
from assistant.errors import InvalidQuestion
from assistant.messages import message
from assistant.settings import Settings
from assistant.types import Answer
from ui import cli

pytestmark = [
    pytest.mark.unit,
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]

LIMIT = Settings().max_question_chars
EN, ZH = message("question.empty", "en"), message("question.empty", "zh-TW")
NO_WORDS = message("question.no_words", "en")

REFUSED: dict[str, tuple[str, str]] = {
    # name: (question, what the message says)
    "empty": ("", EN),
    "white space": (" \t\n\r\u3000\u00a0\u2003 ", EN),
    "control characters only": ("\x00\x01\x07\x08\x1b\x7f\x85\u2028", EN),
    "zero-width and bidi only": ("\u200b\u200d\u2060\ufeff\u202e\u2066", EN),
    "lone surrogates": ("\ud800\udfff", EN),
    "only emoji": ("🙂🎉👍🏽👨‍👩‍👧🇹🇼🇯🇵", NO_WORDS),
    "only punctuation": ("?!…。、「」()-->", NO_WORDS),
    "only markup": ("<p><br/></p>&nbsp;<script></script>", NO_WORDS),
    "100,000 characters": ("a " * 50_000, "100000 characters; the limit is 2000"),
    "100,000 CJK characters": ("稟" * 100_000, "上限 2000 字,目前 100000 字"),
    "just over the limit": ("ringi " * (LIMIT // 6 + 1), f"the limit is {LIMIT}"),
    "padded far beyond the limit": (" " * 100_000 + "ringi", "the limit is 2000"),
}


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    root = tmp_path_factory.mktemp("bad-input")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "ringi.en.txt").write_text(
        "Ringi is a bottom-up decision process in Japanese companies.\n\n"
        "A ringi document collects the seals of many managers before approval.\n",
        encoding="utf-8",
    )
    assistant = Assistant(
        Settings(corpus_dir=corpus, data_dir=root / "data"), embedder=FakeEmbedder()
    )
    assistant.ingest()
    return assistant


def embedded(bot: Assistant) -> int:
    embedder = bot.embedder
    assert isinstance(embedder, FakeEmbedder)
    return len(embedder.calls)


# -- the Python API -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(REFUSED))
def test_a_bad_question_is_refused_before_anything_is_embedded(bot: Assistant, name: str) -> None:
    question, message = REFUSED[name]
    before = embedded(bot)
    for call in (bot.ask, bot.retrieve, lambda q: list(bot.stream(q))):
        with pytest.raises(InvalidQuestion) as caught:
            call(question)
        assert message in str(caught.value)
    assert embedded(bot) == before


def test_a_huge_paste_is_refused_without_being_read(bot: Assistant) -> None:
    """10 MB: refused on its length alone; scanning it would take seconds and ~100 MB."""
    pasted = "長" * 10_000_000
    before = embedded(bot)
    tracemalloc.start()
    try:
        with pytest.raises(InvalidQuestion, match="10000000"):
            bot.ask(pasted)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert embedded(bot) == before


def test_the_limit_counts_the_question_as_cleaned() -> None:
    words = "ringi " * 300
    padded = "\t" + words.replace(" ", "  \t\x00  \u3000 ") + "\n" * 500
    assert len(padded) > 2 * LIMIT
    assert clean_question(padded, LIMIT) == words.strip()
    assert clean_question("x" * LIMIT, LIMIT) == "x" * LIMIT
    with pytest.raises(InvalidQuestion):
        clean_question("x" * (LIMIT + 1), LIMIT)


@pytest.mark.parametrize("value", [None, b"ringi", 42, ["ringi"]])
def test_a_question_that_is_not_text_is_refused(value: Any) -> None:
    with pytest.raises(InvalidQuestion, match="must be text"):
        clean_question(value, LIMIT)


@pytest.mark.parametrize(
    ("question", "key", "fields"),
    [
        ("🙂🎉", "question.no_words", {}),
        ("<b></b>", "question.no_words", {}),
        ("   ", "question.empty", {}),
        ("稟" * (LIMIT + 1), "question.too_long", {"limit": LIMIT, "length": LIMIT + 1}),
    ],
)
def test_the_refusal_names_its_message_so_an_interface_can_say_it_in_its_language(
    question: str, key: str, fields: dict[str, int]
) -> None:
    with pytest.raises(InvalidQuestion) as caught:
        clean_question(question, LIMIT)
    assert caught.value.key == key and caught.value.fields == fields
    assert message(key, "ja", **fields)  # what the Japanese interface shows


def test_the_message_is_in_the_language_of_the_question(bot: Assistant) -> None:
    with pytest.raises(InvalidQuestion, match="請縮短"):
        bot.ask("稟議" * 5000)
    with pytest.raises(InvalidQuestion, match="短くしてください"):
        bot.ask("稟議とは何ですか" * 1000)


def test_control_characters_are_removed_and_the_rest_is_answered(bot: Assistant) -> None:
    asked = "What\x00 is\x1b[2J ringi\u202e?\x07\r\n\u200b"
    before = embedded(bot)
    answer = bot.ask(asked)
    assert isinstance(answer, Answer)
    for text in (answer.question, *bot.embedder.calls[before].texts):  # type: ignore[attr-defined]
        assert not any(unicodedata.category(ch).startswith("C") for ch in text), repr(text)
    assert answer.question == "What is [2J ringi ?"


MARKUP = [
    "<script>alert(1)</script> what is ringi?",
    '<img src=x onerror="alert(1)"> ringi approval',
    "![tracker](https://evil.example.com/p.png) what is ringi?",
    "[click](javascript:alert(1)) ringi",
    "{{7*7}} ${7*7} %s %n ringi",
]


@pytest.mark.parametrize("question", MARKUP)
def test_markup_in_a_question_is_kept_as_text(bot: Assistant, question: str) -> None:
    """Markup is searched for as words and handed back verbatim: escaping is the renderer's
    job (ui/render.py), and the JSON must not lose or rewrite what was asked."""
    answer = bot.ask(question)
    assert answer.question == question
    assert json.loads(json.dumps(answer.to_dict(), ensure_ascii=False))["question"] == question


@pytest.mark.parametrize(
    "history",
    [
        [("ringi " * 200_000, "…")],  # one huge earlier question (the API is not the chat)
        [("What is ringi?", "…")] + [("and then " + "why " * 490, "…")] * 1000,  # a long chain
    ],
    ids=["huge earlier question", "1000 follow-ups"],
)
def test_the_conversation_cannot_carry_a_query_past_the_limit(
    bot: Assistant, history: list[tuple[str, str]]
) -> None:
    """A follow-up is joined to the questions before it: those are cut to the limit and only
    the last HISTORY_TURNS count, so what is searched stays bounded."""
    before = embedded(bot)
    answer = bot.ask("and why?", history=history)
    bound = (HISTORY_TURNS + 1) * LIMIT
    assert answer.standalone_question is not None and len(answer.standalone_question) <= bound
    query = bot.embedder.calls[before].texts[0]  # type: ignore[attr-defined]
    assert len(query) <= bound


def test_k_under_one_is_a_clear_invalid_question(bot: Assistant) -> None:
    with pytest.raises(InvalidQuestion, match="k must be at least 1"):
        bot.ask("What is ringi?", k=0)
    with pytest.raises(InvalidQuestion, match="k must be at least 1"):
        bot.retrieve("What is ringi?", k=-3)


def test_a_huge_k_is_bounded_by_the_corpus(bot: Assistant) -> None:
    assert len(bot.retrieve("ringi", k=10**9)) <= len(bot.index.chunks)


# -- the CLI ------------------------------------------------------------------------------------
@pytest.fixture
def run_cli(bot: Assistant, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(cli, "_assistant", lambda: bot)

    def run(*args: str) -> Any:
        return CliRunner().invoke(cli.main, list(args))

    return run


CLI_REFUSED = ["empty", "white space", "only emoji", "100,000 characters", "lone surrogates"]


@pytest.mark.parametrize("name", CLI_REFUSED)
@pytest.mark.parametrize("command", [["ask"], ["ask", "--json"], ["ask", "--stream"], ["retrieve"]])
def test_the_cli_refuses_a_bad_question_with_exit_2(
    run_cli: Any, command: list[str], name: str
) -> None:
    question, message = REFUSED[name]
    result = run_cli(*command, question)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("kakehashi: ") and message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert result.stdout == ""  # nothing half-printed, no JSON for a refused question


def test_the_cli_refuses_k_under_one_with_exit_2(run_cli: Any) -> None:
    result = run_cli("ask", "What is ringi?", "--k", "0")
    assert result.exit_code == 2 and "k must be at least 1" in result.stderr


def test_the_cli_json_hands_markup_back_verbatim(run_cli: Any) -> None:
    for question in MARKUP:
        result = run_cli("ask", "--json", question)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["question"] == question


def test_the_cli_never_echoes_control_characters(run_cli: Any) -> None:
    result = run_cli("ask", "What is\x1b]0;owned\x07 ringi\x1b[2J?")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output


def test_the_limits_are_documented() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Limits", 1)[1].split("\n## ", 1)[0]
    assert "KAKEHASHI_MAX_QUESTION_CHARS" in section and f"{LIMIT:,}" in section
