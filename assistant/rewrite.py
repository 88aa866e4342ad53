"""Follow-up questions become standalone queries before retrieval.

"稟議制是什麼?" then "那需要多久?": the second question cannot be searched on its own.

- With a language model: the rewrite prompt (``prompts/rewrite.md``) through the chat model,
  under the same deadline as answers; the reply is used only when it looks like one question
  in the language of the follow-up, else the fallback below is.
- Without one: a follow-up that leans on the conversation — it opens with "and", "それで", "那";
  refers back with "it", "それ", "它", "這樣"; or is too short to name a topic — is joined to the
  (already standalone) question before it. Any other question stands as asked. The words are
  data (``data/follow_ups.json``, read by ``assistant.conversation.cues``).
- After a refusal (or a "nothing more") the model is not asked: it could only turn the follow-up
  into a question about the assistant ("why could you not answer?"); the fallback keeps the
  topic of the question before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.conversation import cues, is_non_answer
from assistant.errors import GenerationFailed
from assistant.llm import (
    LANGUAGE_LABELS,
    chat_model,
    cut_at_special,
    load_prompt,
    stream_with_deadline,
)
from assistant.settings import Settings
from assistant.text import frame_language, lexical_tokens
from assistant.types import Answer

if TYPE_CHECKING:  # LangChain loads only when a model is configured (~0.7 s at a cold start)
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

History = Sequence[tuple[str, str]]
MAX_REWRITE_TOKENS = 48
PROMPT_TURNS = 3  # the last exchanges shown to the model: prompt length is latency
ANSWER_EXCERPT = 300

MIN_TOPIC_TOKENS = 4


def leans_on_history(question: str, names_topic: Callable[[str], bool] | None = None) -> bool:
    """Whether ``question`` needs the conversation to be understood: it opens with a lead or
    refers back; or it is too short to name a topic and ``names_topic`` (asked only then)
    does not find that it names one all the same ("What is Dejima?")."""
    if cues().leads.search(question) or cues().refers_back.search(question):
        return True
    if len(lexical_tokens(question)) >= MIN_TOPIC_TOKENS:
        return False
    return names_topic is None or not names_topic(question)


def fallback_rewrite(
    question: str, history: History, names_topic: Callable[[str], bool] | None = None
) -> str:
    """The deterministic rewrite: each follow-up of the conversation is joined to the
    standalone question before it."""
    standalone: str | None = None
    for asked in [*(turn[0] for turn in history), question]:
        asked = asked.strip()
        if standalone and leans_on_history(asked, names_topic):
            standalone = f"{standalone} {cues().leads.sub('', asked).strip()}"
        else:
            standalone = asked
    return standalone or question


class Rewriter:
    """Rewrites follow-ups with ``model`` when given one, else deterministically."""

    def __init__(
        self,
        model: BaseChatModel | None = None,
        timeout: float = 30.0,
        names_topic: Callable[[str], bool] | None = None,
    ) -> None:
        self.chain = None
        if model is not None:
            from langchain_core.output_parsers import StrOutputParser

            self.chain = load_prompt("rewrite.md") | model | StrOutputParser()
        self.timeout = timeout
        self.names_topic = names_topic

    @classmethod
    def from_settings(
        cls, settings: Settings, names_topic: Callable[[str], bool] | None = None
    ) -> Rewriter:
        model = chat_model(settings, MAX_REWRITE_TOKENS) if settings.llm_configured else None
        return cls(model, settings.llm_timeout, names_topic)

    def leans(self, question: str) -> bool:
        """Whether ``question`` is a follow-up that needs the conversation."""
        return leans_on_history(question, self.names_topic)

    def rewrite(self, question: str, history: History | None) -> str:
        if not history:
            return question
        fallback = fallback_rewrite(question, history, self.names_topic)
        if self.chain is None or not self.leans(question) or is_non_answer(history[-1][1]):
            return fallback
        language = frame_language(question)
        inputs = {
            "question": question,
            "language_name": LANGUAGE_LABELS[language],
            "history": _format_history(history),
        }
        chain = self.chain
        try:
            reply = "".join(stream_with_deadline(lambda: chain.stream(inputs), self.timeout))
        except GenerationFailed as error:
            log.warning("rewriting with the model failed (%s); using the fallback", error)
            return fallback
        return _accept(reply, question) or fallback


def _format_history(history: History) -> str:
    lines = []
    for asked, answered in list(history)[-PROMPT_TURNS:]:
        excerpt = " ".join(answered.split())[:ANSWER_EXCERPT]
        if is_non_answer(answered):
            # A refusal is no topic: the rewrite must not turn the follow-up into a question
            # about the assistant ("why could you not answer?").
            excerpt = "(no answer)"
        lines.append(f"Q: {' '.join(asked.split())}\nA: {excerpt}")
    return "\n".join(lines)


def _accept(reply: str, question: str) -> str | None:
    """The model's rewrite when it is one plausible question in the follow-up's language
    that still asks what the follow-up asked (keeps most of its words)."""
    text, _ = cut_at_special(reply)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    candidate = re.sub(r"^(?:standalone question|question|q)\s*[::]\s*", "", lines[0], flags=re.I)
    candidate = candidate.strip().strip("\"'「」“”")
    if not lexical_tokens(candidate) or len(candidate) > 3 * len(question) + 200:
        return None
    if frame_language(candidate) != frame_language(question):
        return None
    asked = set(lexical_tokens(question))
    if asked and len(asked & set(lexical_tokens(candidate))) < 0.5 * len(asked):
        return None
    return candidate


def with_question(answer: Answer, question: str, query: str, history: History | None) -> Answer:
    """``answer`` (found for ``query``) as the answer to what the user asked."""
    return replace(answer, question=question, standalone_question=query if history else None)
