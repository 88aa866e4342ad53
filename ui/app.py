"""The founders' chat: a Gradio app over ``Assistant.stream``, in 繁體中文, 日本語 and English.

``build_app(assistant)`` lays out the page and wires its events to a ``Chat``;
``launch(assistant, host, port)`` serves it the safe way (local address, no share link, no
analytics, optional login, a bounded queue, no file of the machine reachable).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import Answer, Settings
from assistant.errors import InvalidQuestion, StoreError
from ui import render
from ui.backend import Backend
from ui.feedback import Feedback, FeedbackLog, Rating
from ui.i18n import DEFAULT_LANGUAGE, EXAMPLES, LANGUAGES, TEXT, pick_language, text
from ui.opening import OpeningBackend
from ui.render import Said, Turn

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
QUEUE_SIZE = 64  # questions waiting beyond this are turned away with a message
WARM_UP_QUESTION = "稟議制とは?"
# After each answer's event: count it, send the next queued question (app.js).
ANSWERED = "() => { window.kakehashiAnswered(); }"


# What an asking event hands back to the page, in the order of its ``outputs``: the chat, the
# sources panel, the turns, the copyable answer, the question box, the feedback note and its
# key, the two rating buttons. ``SKIP`` leaves an output as it is.
ChatView = tuple[
    list[gr.MessageDict] | Any, str | Any, list[Turn], str | Any, Any, Any, Any, Any, Any
]
# What a rating hands back: the comment box, the note and its key, the two buttons, the turns.
RateView = tuple[str, str, str, Any, Any, list[Turn]]
SKIP: Any = gr.skip()


class Chat:
    """The chat's behaviour, without Gradio: each method takes and returns plain values
    (and Gradio updates for the buttons)."""

    def __init__(self, backend: Backend, feedback: FeedbackLog) -> None:
        self.backend = backend
        self.feedback = feedback

    # -- asking -------------------------------------------------------------------------
    def respond(
        self, question: str | None, turns: list[Turn] | None, language: str
    ) -> Iterator[ChatView]:
        """Stream the answer to ``question``: first a pending bubble, then the text as it
        comes, then the final answer with its grounding and citations (or a clear message).

        The question box is emptied once, when the question is sent; later views leave it
        alone, so that a question typed meanwhile stays (the page queues it). A question that
        cannot be asked (too long, no words) goes back into the box, so it can be cut down."""
        language = _known(language)
        turns = list(turns or [])
        question = question or ""
        if not question.strip():
            turns.append(Turn("", error=Said("ui.empty_question")))
            yield self._view(turns, language)
            return
        history = [(t.question, t.answer.answer) for t in turns if t.answer is not None]
        turns.append(Turn(question))
        yield self._view(turns, language, partial="", sent=True)
        partial = ""
        box = SKIP
        try:
            for piece in self.backend.stream(question, history=history):
                if isinstance(piece, Answer):
                    turns[-1] = replace(turns[-1], answer=piece, answer_id=uuid.uuid4().hex)
                elif piece:
                    partial += piece
                    yield self._view(turns, language, partial=partial)
        except InvalidQuestion as error:
            # said in the interface's language, without the question, which goes back
            turns[-1] = Turn("", error=_said(error))
            box = question
        except StoreError:
            logger.exception("the store failed while answering")
            turns[-1] = replace(turns[-1], error=Said("ui.store_error"))
        except Exception:
            logger.exception("answering failed")
            turns[-1] = replace(turns[-1], error=Said("ui.unexpected_error"))
        if turns[-1].answer is None and turns[-1].error is None:
            logger.error("the answer stream ended without an Answer")
            turns[-1] = replace(turns[-1], error=Said("ui.unexpected_error"))
        yield self._view(turns, language, box=box)

    def respond_waiting(
        self, question: str | None, box: str | None, turns: list[Turn] | None, language: str
    ) -> Iterator[ChatView]:
        """``respond`` for a question that waited in the page's queue: the question box, where
        the founder may be typing the next one, is left alone; a question that cannot be asked
        goes back into it only if it is empty."""
        for view in self.respond(question, turns, language):
            kept = view[4]
            if kept == "" or (isinstance(kept, str) and (box or "").strip()):
                kept = SKIP
            yield (*view[:4], kept, *view[5:])

    def _view(
        self,
        turns: list[Turn],
        language: str,
        partial: str | None = None,
        sent: bool = False,
        box: Any = SKIP,
    ) -> ChatView:
        last_answered = next((t for t in reversed(turns) if t.answer is not None), None)
        streaming = partial is not None and not sent
        return (
            render.chat_messages(turns, language, partial),
            SKIP if streaming else render.citations_panel(turns, language),
            turns,
            SKIP if streaming else render.plain_answer(last_answered, language),
            "" if sent else box,
            # a new question: the previous answer's feedback note goes, the buttons clear
            "" if sent else SKIP,
            "" if sent else SKIP,
            *(rating_buttons(None) if sent else (SKIP, SKIP)),
        )

    def clear(self, language: str) -> ChatView:
        return (
            *self._view([], _known(language), sent=True)[:4],
            SKIP,
            "",
            "",
            *rating_buttons(None),
        )

    # -- rating -------------------------------------------------------------------------
    def rate(
        self, rating: Rating, comment: str | None, turns: list[Turn] | None, language: str
    ) -> RateView:
        """Record a rating of the latest answer: one per answer, a later one replacing it."""
        language = _known(language)
        turns = list(turns or [])
        index = next((i for i in range(len(turns) - 1, -1, -1) if turns[i].answer), None)
        if index is None:
            return comment or "", *_note("feedback_nothing", language), *rating_buttons(None), turns
        turn = turns[index]
        assert turn.answer is not None
        entry = Feedback.of(
            rating, comment or "", turn.question, turn.answer, language, answer_id=turn.answer_id
        )
        try:
            replaced = self.feedback.record(entry)
        except OSError:
            logger.exception("could not write feedback to %s", self.feedback.path)
            failed = _note("feedback_failed", language)
            return comment or "", *failed, *rating_buttons(turn.rating), turns
        turns[index] = replace(turn, rating=rating)
        note = _note(
            "feedback_changed" if replaced and turn.rating != rating else "feedback_saved", language
        )
        return "", *note, *rating_buttons(rating), turns

    def rate_up(self, comment: str | None, turns: list[Turn] | None, language: str) -> RateView:
        return self.rate("up", comment, turns, language)

    def rate_down(self, comment: str | None, turns: list[Turn] | None, language: str) -> RateView:
        return self.rate("down", comment, turns, language)

    # -- status -------------------------------------------------------------------------
    def status(self, language: str) -> str:
        try:
            status = self.backend.status()
        except Exception:
            logger.exception("could not read the store's status")
            return render.status_line(None, language)
        return render.status_line(status, language)


def rating_buttons(rating: str | None) -> tuple[gr.Button, gr.Button]:
    """The 👍 and 👎 buttons with ``rating`` shown as chosen (filled, ``kk-selected``)."""

    def button(kind: str) -> gr.Button:
        chosen = rating == kind
        return gr.Button(
            variant="primary" if chosen else "secondary",
            elem_classes=["kk-rate", "kk-selected"] if chosen else ["kk-rate"],
        )

    return button("up"), button("down")


def _said(error: InvalidQuestion) -> Said | str:
    """A question's refusal, to be said in the interface's language where the catalogue has it
    (a question of emoji or markup has no language of its own to say it in)."""
    return Said(error.key, dict(error.fields)) if error.key else str(error)


def _known(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def _note(key: str, language: str) -> tuple[str, str]:
    """The feedback note's HTML, and its key (kept, so that a language switch re-says it)."""
    return _note_html(key, language), key


def _note_html(key: str, language: str) -> str:
    if not key:
        return ""
    return (
        f'<div class="kk-feedback-note" role="status" lang="{render.esc(language)}">'
        f"{render.esc(text(key, language))}</div>"
    )


def _header(language: str) -> str:
    return (
        f'<div class="kk-header"><h1>{render.esc(text("title", language))}</h1>'
        f"<p>{render.esc(text('subtitle', language))}</p></div>"
    )


def _heading(key: str, language: str) -> str:
    return f"<h3>{render.esc(text(key, language))}</h3>"


# Until the page has its language (the load event), it shows only this, which needs none, and
# nothing can be sent: no English flash, no question asked with the wrong labels.
LOADING = '<div class="kk-loading" aria-busy="true"><span>架け橋 Kakehashi</span></div>'
# Once the load event has relabelled the page: its language, then reveal it (app.js).
READY = "(code) => { window.kakehashiReady(code); return []; }"


def build_app(assistant: Backend) -> gr.Blocks:
    """The chat page for ``assistant``. Serve it with ``launch``, which adds the theme, the
    styles, the page script and the safe server options (see ``launch_options``)."""
    chat = Chat(assistant, FeedbackLog(assistant.settings.feedback_path))
    lang = DEFAULT_LANGUAGE
    with gr.Blocks(title="Kakehashi 架け橋", analytics_enabled=False) as app:
        turns = gr.State([])
        note_key = gr.State("")
        gr.HTML(LOADING, elem_id="kk-loading", js_on_load=None)
        with gr.Column(elem_id="kk-app"):
            with gr.Row(equal_height=False):
                header = gr.HTML(_header(lang), elem_id="kk-header", js_on_load=None)
                language = gr.Radio(
                    choices=[(name, code) for code, name in LANGUAGES.items()],
                    value=lang,
                    label=text("language", lang),
                    elem_id="kk-language",
                    scale=0,
                    min_width=400,
                )
            with gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    # Grows with the conversation, then scrolls (its height is app.css's):
                    # on a phone an empty chat is not a tall empty box.
                    chatbot = gr.Chatbot(
                        value=[],
                        label=text("chat", lang),
                        elem_id="kk-chat",
                        height=None,
                        placeholder=text("placeholder", lang),
                        sanitize_html=True,
                        buttons=[],
                        feedback_options=None,
                        group_consecutive_messages=False,
                        latex_delimiters=[],
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            label=text("question", lang),
                            placeholder=text("question_placeholder", lang),
                            elem_id="kk-question",
                            lines=1,
                            max_lines=6,
                            scale=5,
                            interactive=False,  # until the page has its language
                        )
                        send = gr.Button(
                            text("send", lang),
                            variant="primary",
                            elem_id="kk-send",
                            interactive=False,
                        )
                    # Questions asked while an answer is being written wait here (app.js)
                    gr.HTML("", elem_id="kk-queue", js_on_load=None)
                    examples_heading = gr.HTML(_heading("examples", lang), js_on_load=None)
                    with gr.Row():
                        examples = [
                            gr.Button(
                                example, size="sm", elem_classes=["kk-example"], interactive=False
                            )
                            for example in EXAMPLES[lang]
                        ]
                    with gr.Row():
                        copy = gr.Button(text("copy", lang), size="sm", elem_id="kk-copy")
                        new_chat = gr.Button(text("new_chat", lang), size="sm", elem_id="kk-new")
                    copy_text = gr.Textbox(visible="hidden", elem_id="kk-copy-text")
                    rate_heading = gr.HTML(_heading("rate_prompt", lang), js_on_load=None)
                    with gr.Row():
                        up = gr.Button(
                            text("rate_up", lang),
                            size="sm",
                            elem_id="kk-up",
                            elem_classes=["kk-rate"],
                        )
                        down = gr.Button(
                            text("rate_down", lang),
                            size="sm",
                            elem_id="kk-down",
                            elem_classes=["kk-rate"],
                        )
                        comment = gr.Textbox(
                            label=text("comment", lang),
                            placeholder=text("comment_placeholder", lang),
                            elem_id="kk-comment",
                            lines=1,
                            scale=3,
                        )
                    feedback_note = gr.HTML("", elem_id="kk-feedback-note", js_on_load=None)
                with gr.Column(scale=2):
                    sources_heading = gr.HTML(_heading("sources", lang), js_on_load=None)
                    panel = gr.HTML(
                        render.citations_panel([], lang), elem_id="kk-sources", js_on_load=None
                    )
            status = gr.HTML("", elem_id="kk-status", js_on_load=None)
        # The browser's language preferences, filled in by the page script on load.
        preferences = gr.Textbox(visible="hidden", elem_id="kk-preferences")
        # A question that waited in the queue is sent through these, not through the box, so that
        # whatever the founder is typing meanwhile stays there.
        waiting = gr.Textbox(visible="hidden", elem_id="kk-waiting")
        ask_waiting = gr.Button(visible="hidden", elem_id="kk-ask-waiting")

        # Step 1: the page's words follow the language (browser's on load, then the picker's)
        labelled: list[Any] = [
            header,
            chatbot,
            question,
            send,
            examples_heading,
            *examples,
            copy,
            new_chat,
            rate_heading,
            up,
            down,
            comment,
            feedback_note,
            sources_heading,
            panel,
            copy_text,
            status,
        ]

        def relabel(code: str, current: list[Turn] | None, note: str | None) -> list[Any]:
            code = _known(code)
            current = current or []
            messages: list[Any] = render.chat_messages(current, code)
            last_answered = next((t for t in reversed(current) if t.answer is not None), None)
            return [
                _header(code),
                gr.Chatbot(
                    value=messages,
                    label=text("chat", code),
                    placeholder=text("placeholder", code),
                ),
                gr.Textbox(
                    label=text("question", code),
                    placeholder=text("question_placeholder", code),
                    interactive=True,
                ),
                gr.Button(text("send", code), interactive=True),
                _heading("examples", code),
                *[gr.Button(example, interactive=True) for example in EXAMPLES[code]],
                gr.Button(text("copy", code)),
                gr.Button(text("new_chat", code)),
                _heading("rate_prompt", code),
                gr.Button(text("rate_up", code)),
                gr.Button(text("rate_down", code)),
                gr.Textbox(
                    label=text("comment", code), placeholder=text("comment_placeholder", code)
                ),
                _note_html(note or "", code),
                _heading("sources", code),
                render.citations_panel(current, code),
                render.plain_answer(last_answered, code),
                chat.status(code),
            ]

        def on_load(preferences: str | None) -> list[Any]:
            code = pick_language(preferences)
            return [gr.Radio(value=code, label=text("language", code)), *relabel(code, [], "")]

        # No progress timers on the panels: the page is hidden until this is done.
        quiet: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
        app.load(
            on_load,
            inputs=[preferences],
            outputs=[language, *labelled],
            js="() => [window.kakehashiPreferredLanguage ? "
            "window.kakehashiPreferredLanguage() : navigator.language]",
            **quiet,
        ).then(None, inputs=[language], js=READY)
        language.input(
            lambda code, current, note: (
                [gr.Radio(label=text("language", _known(code))), *relabel(code, current, note)]
            ),
            inputs=[language, turns, note_key],
            outputs=[language, *labelled],
            **quiet,
        )
        language.input(
            None,
            inputs=[language],
            js="(code) => { window.kakehashiRememberLanguage(code); return []; }",
        )

        # Step 2: asking, from the box or an example, streams into the chat and the panel.
        # The page script sends one question at a time and queues the ones asked meanwhile;
        # once an answer's event is complete it counts it (<body data-kk-answered>) and sends
        # the next (tests and benchmarks wait for the count).
        view = [chatbot, panel, turns, copy_text, question, feedback_note, note_key, up, down]
        asking: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
        for event in (
            question.submit(chat.respond, [question, turns, language], view, **asking),
            send.click(chat.respond, [question, turns, language], view, **asking),
            *[
                example.click(chat.respond, [example, turns, language], view, **asking)
                for example in examples
            ],
            ask_waiting.click(
                chat.respond_waiting, [waiting, question, turns, language], view, **asking
            ),
        ):
            event.then(None, js=ANSWERED)
        new_chat.click(chat.clear, [language], view, **quiet)
        chatbot.clear(chat.clear, [language], view, **quiet)

        # Step 3: copying and rating the latest answer
        copy.click(None, inputs=[copy_text], js="(text) => { window.kakehashiCopy(text); }")
        rating = [comment, feedback_note, note_key, up, down, turns]
        rated: dict[str, Any] = {"api_visibility": "private", "show_progress": "hidden"}
        up.click(chat.rate_up, [comment, turns, language], rating, **rated)
        down.click(chat.rate_down, [comment, turns, language], rating, **rated)
    return app


# The interface strings the page script says itself, in each language.
SCRIPT_TEXT = ("copied", "queued", "queued_cancel", "back_to_answer")


def page_head() -> str:
    """The page's script, and the words it says itself in each language."""
    words = json.dumps({key: TEXT[key] for key in SCRIPT_TEXT}, ensure_ascii=False)
    words = words.replace("<", "\\u003c")
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    return f"<script>window.KAKEHASHI_TEXT = {words};</script>\n<script>{script}</script>"


def theme() -> gr.themes.Base:
    # System fonts only: nothing is fetched from a font CDN, and CJK comes from Noto. Latin
    # first: a CJK font sets ’ full width. app.css picks the stack by each text's lang.
    sans = ["Noto Sans", "DejaVu Sans", "Noto Sans CJK TC", "Noto Sans CJK JP", "sans-serif"]
    return gr.themes.Soft(primary_hue="indigo", font=sans, font_mono=["monospace"])


def parse_auth(settings: Settings) -> tuple[str, str] | None:
    """``KAKEHASHI_UI_AUTH="user:password"`` as Gradio's (user, password), or None."""
    if settings.ui_auth is None:
        return None
    user, sep, password = settings.ui_auth.get_secret_value().partition(":")
    if not sep or not user or not password:
        raise ValueError("KAKEHASHI_UI_AUTH must be 'user:password' (both non-empty)")
    return user, password


def launch_options(settings: Settings, host: str | None, port: int | None) -> dict[str, Any]:
    """The arguments of ``Blocks.launch``: what is served, to whom, and what is not."""
    blocked = [settings.data_dir.resolve(), Path(".env").resolve()]
    return {
        "server_name": host or settings.ui_host,
        "server_port": port or settings.ui_port,
        "share": False,
        "auth": parse_auth(settings),
        "auth_message": "架け橋 Kakehashi",
        "show_error": False,
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "enable_monitoring": False,
        "run_history": False,
        "footer_links": [],
        "strict_cors": True,
        "max_file_size": "1kb",  # nothing is uploaded to the chat
        "blocked_paths": [str(path) for path in blocked],
        "theme": theme(),
        "css_paths": [STATIC / "app.css"],
        "head": page_head(),
    }


def launch(
    assistant: Backend,
    host: str | None = None,
    port: int | None = None,
    *,
    prevent_thread_lock: bool = False,
) -> gr.Blocks:
    """Serve the chat (blocking, unless ``prevent_thread_lock``)."""
    settings = assistant.settings
    options = launch_options(settings, host, port)
    app = build_app(assistant)
    app.queue(default_concurrency_limit=settings.ui_concurrency, max_size=QUEUE_SIZE)
    threading.Thread(target=_warm_up, args=(assistant,), daemon=True).start()
    app.launch(prevent_thread_lock=prevent_thread_lock, **options)
    return app


def serve(
    settings: Settings,
    open_assistant: Callable[[], Backend],
    host: str | None = None,
    port: int | None = None,
) -> None:
    """Serve the chat until stopped, opening the assistant while the first page loads (its
    first event waits for it). If opening fails, the server stops and the error is raised."""
    backend = OpeningBackend(settings)
    app = launch(backend, host, port, prevent_thread_lock=True)
    try:
        backend.open(open_assistant)
    except BaseException:
        app.close()
        raise
    app.block_thread()


def _warm_up(assistant: Backend) -> None:
    """Answer a throwaway question once, so that the first founder's question does not pay
    for loading the embedder and the indexes."""
    try:
        for _ in assistant.stream(WARM_UP_QUESTION):
            pass
    except Exception:
        logger.debug("warm-up question failed", exc_info=True)
