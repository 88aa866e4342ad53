"""HTML and plain text for the chat (pure): answers with ``[n]`` links, the citations panel,
grounding in founder words, the status line, the copyable answer.

Every string that comes from the corpus, the question or the assistant is passed through
``html.escape`` here, once, before any markup of ours is put around it. Callers never build
HTML from those strings themselves.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from assistant import Answer, Citation
from assistant.conversation import is_nothing_more
from assistant.messages import message
from assistant.text import frame_language, split_sentences
from ui.i18n import language_name, text

if TYPE_CHECKING:
    from gradio import MessageDict

_MARKER = re.compile(r"\[(\d+)\]")
GROUNDING_LEVELS = ("supported", "partial", "refused")


@dataclass(frozen=True)
class Said:
    """A message of the catalogue (``key``, with its ``fields``), said in whichever language
    the chat is in when it is shown: switching the interface language re-says it."""

    key: str
    fields: dict[str, Any] = field(default_factory=dict)

    def say(self, language: str) -> str:
        return message(self.key, language, **self.fields)


@dataclass(frozen=True)
class Turn:
    """One exchange of the conversation: a question and its answer, or a message saying why
    there is none (an invalid question, an unavailable store). ``answer_id`` names the answer
    for its rating; ``rating`` is the founder's, if any (one per answer, changeable)."""

    question: str
    answer: Answer | None = None
    error: Said | str | None = None  # a message of the catalogue, or words to show as they are
    answer_id: str = ""
    rating: Literal["up", "down"] | None = None


# -- small pieces ---------------------------------------------------------------------------
def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def cite_id(turn: int, n: int) -> str:
    return f"kk-cite-{turn}-{n}"


def highlight(passage: str, quotes: Iterable[str], kind: str = "kk-quote") -> str:
    """``passage`` escaped, with every quoted sentence wrapped in ``<mark class=kind>``.

    Quotes are found verbatim first, then with any run of white space matching any other;
    overlapping or touching matches merge into one mark. A quote that is not in the passage
    marks nothing.
    """
    spans: list[tuple[int, int]] = []
    for quote in quotes:
        quote = quote.strip()
        if not quote:
            continue
        spans.extend(_find_all(passage, quote))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[str] = []
    cursor = 0
    for start, end in merged:
        pieces.append(esc(passage[cursor:start]))
        pieces.append(f'<mark class="{kind}">{esc(passage[start:end])}</mark>')
        cursor = end
    pieces.append(esc(passage[cursor:]))
    return "".join(pieces)


def aligned_sentences(translated: str, original: str, quotes: Iterable[str]) -> list[str]:
    """The sentences of ``original`` that say what the ``quotes`` of its translation
    ``translated`` say, to be marked beside them.

    Editions line up paragraph by paragraph, not sentence by sentence. Within a paragraph a
    faithful translation keeps the order and the proportions of its sentences, so the middle of
    a quote, as a share of the translation's length, falls in its sentence of the original. (On
    the corpus's editions this picks the sentence of the same rank for 176 of the 178 quotes
    where both editions have as many sentences.) Where the two have no comparable number of
    sentences, as when a chunk is only part of its paragraph, nothing is marked: a wrong mark
    would mislead.
    """
    ours = split_sentences(translated)
    theirs = split_sentences(original)
    if not ours or not theirs or abs(len(ours) - len(theirs)) > max(1, len(theirs) // 4):
        return []
    chosen: list[str] = []
    for quote in quotes:
        for start, end in _find_all(translated, quote.strip()) if quote.strip() else []:
            middle = (start + end) / 2 / len(translated) * len(original)
            sentence = min(theirs, key=lambda s: _distance(s.start, s.end, middle))
            if sentence.text not in chosen:
                chosen.append(sentence.text)
    return chosen


def _distance(start: float, end: float, point: float) -> float:
    return 0.0 if start <= point <= end else min(abs(start - point), abs(end - point))


def _find_all(passage: str, quote: str) -> list[tuple[int, int]]:
    found = []
    start = passage.find(quote)
    while start != -1:
        found.append((start, start + len(quote)))
        start = passage.find(quote, start + len(quote))
    if found:
        return found
    words = quote.split()
    pattern = re.compile(r"\s*".join(re.escape(word) for word in words))
    return [match.span() for match in pattern.finditer(passage)]


def with_markers(answer_text: str, turn: int) -> str:
    """The answer text escaped, line breaks kept, each ``[n]`` a link to its citation."""
    lines = []
    for line in answer_text.splitlines():
        escaped = esc(line)
        lines.append(
            _MARKER.sub(
                lambda match: (
                    f'<a class="kk-marker" href="#{cite_id(turn, int(match.group(1)))}" '
                    f'data-turn="{turn}" data-n="{match.group(1)}">[{match.group(1)}]</a>'
                ),
                escaped,
            )
        )
    return "<br>".join(lines)


def grounding_badge(grounding: str, language: str) -> str:
    level = _level(grounding)
    return (
        f'<div class="kk-grounding kk-{level}" data-grounding="{level}" lang="{esc(language)}">'
        f"{esc(text('grounding_' + level, language))}</div>"
    )


def in_part_badge(language: str) -> str:
    """For an answer that says which parts of the question the documents do not answer: its
    quotes are the documents' own, but "backed by the sources" would claim the whole."""
    return (
        f'<div class="kk-grounding kk-partial kk-in-part" data-grounding="in-part" '
        f'lang="{esc(language)}">{esc(text("grounding_in_part", language))}</div>'
    )


def nothing_more_badge(language: str) -> str:
    """For a follow-up that found nothing new: not a refusal of the topic, which the answers
    above cover."""
    return (
        f'<div class="kk-grounding kk-nothing-more" data-grounding="nothing-more" '
        f'lang="{esc(language)}">{esc(text("grounding_nothing_more", language))}</div>'
    )


def location_label(citation: Citation, language: str) -> str:
    paragraph = text("paragraph", language, n=citation.location.paragraph)
    section = citation.location.shown_section(citation.title)
    return f"{section} · {paragraph}" if section else paragraph


# -- chat messages --------------------------------------------------------------------------
# Each message is one HTML block without blank lines, so the chat's Markdown renderer leaves
# it alone (CommonMark ends an HTML block only at a blank line).
# Every piece carries the language it is written in (``lang``), so that the page sets Latin
# text in a Latin font and Chinese and Japanese in their CJK forms (app.css): the answer and the
# question in theirs, the chat's own words in the interface's.
def user_message(question: str) -> str:
    return f'<div class="kk-question" lang="{_lang_of(question)}">{esc(question)}</div>'


def pending_message(language: str) -> str:
    return (
        f'<div class="kk-answer kk-pending" data-state="pending" lang="{esc(language)}">'
        f'<span class="kk-dots">{esc(text("thinking", language))}</span></div>'
    )


def streaming_message(partial: str, turn: int, written_in: str = "en") -> str:
    return (
        f'<div class="kk-answer kk-streaming" data-state="streaming" lang="{esc(written_in)}">'
        f'{with_markers(partial, turn)}<span class="kk-caret">▍</span></div>'
    )


def answer_message(answer: Answer, turn: int, language: str) -> str:
    written_in = esc(answer.language)
    notice = (
        f'<div class="kk-notice" lang="{written_in}">{esc(answer.notice)}</div>'
        if answer.notice
        else ""
    )
    understood = answer.standalone_question
    if understood and understood.strip() != answer.question.strip():
        label = esc(text("understood_as", language))
        notice = (
            f'<div class="kk-notice kk-understood" lang="{esc(language)}">{label} '
            f'<span lang="{_lang_of(understood)}">{esc(understood)}</span></div>{notice}'
        )
    if answer.refused and is_nothing_more(answer.answer):
        badge = nothing_more_badge(language)
    elif answer.unanswered and not answer.refused:
        badge = in_part_badge(language)
    else:
        badge = grounding_badge(answer.grounding, language)
    return (
        f'<div class="kk-answer kk-final" data-state="final" lang="{esc(language)}">'
        f'<div class="kk-answer-text" lang="{written_in}">{with_markers(answer.answer, turn)}'
        f"</div>{notice}{badge}</div>"
    )


def error_message(message: str, language: str) -> str:
    return (
        f'<div class="kk-answer kk-error" data-state="error" lang="{esc(language)}">'
        f"⚠ {esc(message)}</div>"
    )


def _lang_of(written: str) -> str:
    return frame_language(written[:2000])


def chat_messages(
    turns: Sequence[Turn], language: str, partial: str | None = None
) -> list[MessageDict]:
    """The Chatbot's value (``{"role", "content"}`` messages) for the conversation so far.

    ``partial`` is the text streamed so far for the last turn, which has no answer yet
    (``""``: nothing streamed yet)."""
    messages: list[MessageDict] = []
    for index, turn in enumerate(turns, start=1):
        if turn.question:
            messages.append({"role": "user", "content": user_message(turn.question)})
        if turn.answer is not None:
            content = answer_message(turn.answer, index, language)
        elif isinstance(turn.error, Said):
            content = error_message(turn.error.say(language), language)
        elif turn.error is not None:
            content = error_message(turn.error, language)
        elif partial:
            content = streaming_message(partial, index, _lang_of(turn.question))
        else:
            content = pending_message(language)
        messages.append({"role": "assistant", "content": content})
    return messages


# -- the citations panel --------------------------------------------------------------------
def citation_card(citation: Citation, turn: int, language: str, opened: bool = False) -> str:
    translated = citation.translation_of is not None
    tag = (
        f'<span class="kk-tag kk-translation-tag">{esc(text("translation", language))}</span>'
        if translated
        else ""
    )
    summary = (
        f'<summary><span class="kk-n">[{citation.n}]</span> '
        f'<span class="kk-title" lang="{esc(citation.lang)}">{esc(citation.title)}</span> {tag}'
        f'<span class="kk-where">{esc(location_label(citation, language))}</span></summary>'
    )
    passage = (
        f'<div class="kk-passage" lang="{esc(citation.lang)}">'
        f"{highlight(citation.text, citation.quotes)}</div>"
    )
    if translated:
        aligned = aligned_sentences(citation.text, citation.original_text, citation.quotes)
        body = (
            f'<div class="kk-note">{esc(text("translation_note", language))}</div>'
            f'<div class="kk-pair">'
            f'<div class="kk-side kk-translated"><div class="kk-label">'
            f"{esc(text('translation', language))} · {esc(language_name(citation.lang, language))}"
            f"</div>{passage}</div>"
            f'<div class="kk-side kk-original"><div class="kk-label">'
            f"{esc(text('original', language))}</div>"
            f'<div class="kk-passage" lang="{_lang_of(citation.original_text)}">'
            f"{highlight(citation.original_text, aligned, 'kk-quote kk-aligned')}</div></div>"
            f"</div>"
        )
    else:
        body = passage
    return (
        f'<details class="kk-cite" id="{cite_id(turn, citation.n)}" data-n="{citation.n}"'
        f"{' open' if opened else ''}>{summary}{body}</details>"
    )


def citations_panel(turns: Sequence[Turn], language: str) -> str:
    """The cited passages: the latest answer's on top (its first one open), earlier answers'
    folded below."""
    pieces: list[str] = []
    latest = turns[-1] if turns else None
    if latest is not None and latest.answer is not None:
        if latest.answer.citations:
            cards = "".join(
                citation_card(c, len(turns), language, opened=(c.n == 1))
                for c in latest.answer.citations
            )
            pieces.append(f'<div class="kk-turn kk-latest" data-turn="{len(turns)}">{cards}</div>')
        else:
            pieces.append(_empty("sources_none", language))
    for index in range(len(turns) - 1, 0, -1):
        answer = turns[index - 1].answer
        if answer is None or not answer.citations:
            continue
        cards = "".join(citation_card(c, index, language) for c in answer.citations)
        question = esc(turns[index - 1].question)
        pieces.append(
            f'<details class="kk-turn kk-earlier" data-turn="{index}">'
            f"<summary>{esc(text('earlier', language))} {index}: {question}</summary>"
            f"{cards}</details>"
        )
    if not pieces:
        pieces.append(_empty("sources_empty", language))
    return f'<div class="kk-panel">{"".join(pieces)}</div>'


def _empty(key: str, language: str) -> str:
    return f'<p class="kk-empty">{esc(text(key, language))}</p>'


# -- the status line ------------------------------------------------------------------------
def status_line(status: dict[str, Any] | None, language: str) -> str:
    """What a founder wants to know of the index ("3 documents, updated 2026-11-26 · answers
    quote the documents"); the details program staff need (passages, embedder, model, time of
    ingest) are in its tooltip."""
    if status is None:
        return f'<div class="kk-status kk-warn">{esc(text("status_unavailable", language))}</div>'
    if not status.get("chunks"):
        return f'<div class="kk-status kk-warn">{esc(text("status_empty", language))}</div>'
    generative = status.get("mode") == "generative" and status.get("model")
    if not generative:
        mode = text("mode_extractive", language)
    elif status.get("answers") == "quotes":
        mode = text("mode_quotes", language)
    else:
        mode = text("mode_generative", language)
    documents = status.get("documents", 0)
    moment = _moment(status.get("ingested_at"))
    if moment is None:
        line = text("status_undated", language, documents=documents, mode=mode)
    else:
        updated = text("date", language, y=moment.year, m=moment.month, d=moment.day)
        line = text("status", language, documents=documents, updated=updated, mode=mode)
    detail = text(
        "status_detail",
        language,
        chunks=status.get("chunks", 0),
        embedder=status.get("embedder", "?"),
        ingested=_when(moment, language),
    )
    if generative:
        detail += " · " + text("model_detail", language, model=status["model"])
    return f'<div class="kk-status" title="{esc(detail)}">{esc(line)}</div>'


def _moment(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _when(moment: datetime | None, language: str) -> str:
    if moment is None:
        return text("never_ingested", language)
    if moment.utcoffset() is not None:
        return moment.strftime("%Y-%m-%d %H:%M UTC%z").replace("UTC+0000", "UTC")
    return moment.strftime("%Y-%m-%d %H:%M")


# -- plain text -----------------------------------------------------------------------------
def plain_answer(turn: Turn | None, language: str) -> str:
    """The answer and its sources as plain text, for the clipboard."""
    if turn is None or turn.answer is None:
        return ""
    answer = turn.answer
    lines = [answer.answer.strip(), "", text("grounding_" + _level(answer.grounding), language)]
    if answer.citations:
        lines += ["", f"{text('sources', language)}:"]
    for citation in answer.citations:
        marker = f" ({text('translation', language)})" if citation.translation_of else ""
        lines.append(
            f"[{citation.n}] {citation.title}{marker} — {location_label(citation, language)}"
        )
        for quote in citation.quotes:
            lines.append(f"    “{quote}”")
    return "\n".join(lines)


def _level(grounding: str) -> str:
    return grounding if grounding in GROUNDING_LEVELS else "partial"
