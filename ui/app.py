"""The founders' chat page: a Gradio app over ``Assistant.stream``, in 繁體中文, 日本語 and English.

``build_app(assistant)`` lays out the page and wires its events to a ``ui.chat.Chat``;
``ui.serve.launch`` serves it the safe way (local address, no share link, no analytics, optional
login, a bounded queue, no file of the machine reachable).
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui import render
from ui.backend import Backend
from ui.chat import Chat, known_language, note_html
from ui.feedback import FeedbackLog
from ui.i18n import DEFAULT_LANGUAGE, EXAMPLES, LANGUAGES, pick_language, text
from ui.render import Turn

# After each answer's event: count it, send the next queued question (app.js).
ANSWERED = "() => { window.kakehashiAnswered(); }"


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
            code = known_language(code)
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
                note_html(note or "", code),
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
                [
                    gr.Radio(label=text("language", known_language(code))),
                    *relabel(code, current, note),
                ]
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
