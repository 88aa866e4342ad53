"""The chat's events: asking (streamed, queued, refused, failed), the copyable answer, a new
conversation, the 👍/👎 ratings and their comment, each saying its words in the page's language.

``Chat`` holds no page; ``ui.app.build_app`` wires its methods to the page's components.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import gradio as gr

from assistant import Answer
from assistant.errors import InvalidQuestion, StoreError
from ui import render
from ui.backend import Backend
from ui.feedback import Feedback, FeedbackLog, Rating
from ui.i18n import DEFAULT_LANGUAGE, LANGUAGES, text
from ui.render import Said, Turn

logger = logging.getLogger(__name__)

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
        language = known_language(language)
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
            *self._view([], known_language(language), sent=True)[:4],
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
        language = known_language(language)
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


def known_language(language: str | None) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def _note(key: str, language: str) -> tuple[str, str]:
    """The feedback note's HTML, and its key (kept, so that a language switch re-says it)."""
    return note_html(key, language), key


def note_html(key: str, language: str) -> str:
    if not key:
        return ""
    return (
        f'<div class="kk-feedback-note" role="status" lang="{render.esc(language)}">'
        f"{render.esc(text(key, language))}</div>"
    )
