"""The language model as a transport: prompts from files, an OpenAI-compatible chat model, and
a stream read under a deadline. Shared by generated answers, follow-up rewriting and the judge.
"""

from __future__ import annotations

import math
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import SecretStr

from assistant.errors import GenerationFailed

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.prompts import ChatPromptTemplate

    from assistant.settings import Settings

T = TypeVar("T")

MAX_RETRIES = 1
MAX_ANSWER_TOKENS = 512
# Model-format tokens that end an answer when a server leaks them as text.
STOP_SEQUENCES = ["<|im_end|>", "<|im_start|>", "<end_of_turn>", "<start_of_turn>"]
# When no key is configured (a local server), send this placeholder rather than letting the
# client library look for one in the environment.
NO_KEY = SecretStr("not-needed")

# How prompts name the language a reply must be written in.
LANGUAGE_LABELS: dict[str, str] = {
    "zh-TW": "Traditional Chinese (繁體中文)",
    "ja": "Japanese (日本語)",
    "en": "English",
}

_SECTION = re.compile(r"^## (system|user)\s*$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SPECIAL = re.compile(r"<\|[a-z_]+\|>|<(?:start|end)_of_turn>|</?s>", re.IGNORECASE)


def load_prompt(name: str) -> ChatPromptTemplate:
    """A prompt file of ``assistant/prompts`` as a chat template (``## system`` / ``## user``)."""
    from langchain_core.prompts import ChatPromptTemplate

    text = resources.files("assistant").joinpath("prompts", name).read_text(encoding="utf-8")
    text = _COMMENT.sub("", text)
    parts = _SECTION.split(text)[1:]
    messages = [(role, body.strip()) for role, body in zip(parts[::2], parts[1::2], strict=True)]
    if [role for role, _ in messages] != ["system", "user"]:
        raise ValueError(f"prompt {name} needs a '## system' then a '## user' section")
    return ChatPromptTemplate.from_messages(messages)


def chat_model(settings: Settings, max_tokens: int = MAX_ANSWER_TOKENS) -> BaseChatModel:
    """The OpenAI-compatible chat model of ``settings`` (the key stays a ``SecretStr``)."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=settings.llm_base_url,
        model=settings.llm_model or "",
        api_key=settings.llm_api_key or NO_KEY,
        timeout=settings.llm_timeout,
        max_retries=MAX_RETRIES,
        streaming=True,
        temperature=0.0,
        max_completion_tokens=max_tokens,
        stop_sequences=STOP_SEQUENCES,
        stream_usage=True,  # the last chunk counts the prompt's tokens: prompt length is latency
    )


def cut_at_special(text: str) -> tuple[str, bool]:
    """The text before the first leaked chat-format token, and whether one was found."""
    match = _SPECIAL.search(text)
    return (text[: match.start()], True) if match else (text, False)


_CLOSED = object()


def stream_with_deadline(pieces: Callable[[], Iterator[T]], seconds: float) -> Iterator[T]:
    """Pieces of ``pieces()``, read in a worker thread so that a silent endpoint cannot block
    the caller: raises ``GenerationFailed('timeout')`` once ``seconds`` have passed."""
    channel: queue.Queue[object] = queue.Queue()
    stop = threading.Event()

    def pump() -> None:
        stream = pieces()
        try:
            for piece in stream:
                if stop.is_set():  # abandoned: close the request at the next piece
                    break
                channel.put(piece)
            channel.put(_CLOSED)
        except BaseException as error:
            channel.put(error)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()

    threading.Thread(target=pump, name="kakehashi-llm", daemon=True).start()
    deadline = time.monotonic() + seconds
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise GenerationFailed("timeout", f"no complete answer within {seconds:g} s")
            try:
                item = channel.get(timeout=remaining)
            except queue.Empty:
                continue
            if item is _CLOSED:
                return
            if isinstance(item, GenerationFailed):
                raise item
            if isinstance(item, BaseException):
                raise classify(item) from item
            yield cast(T, item)
    finally:
        stop.set()


def classify(error: BaseException) -> GenerationFailed:
    """An endpoint's exception as one of the three kinds of failure users are told about."""
    name = type(error).__name__
    if "Timeout" in name or isinstance(error, TimeoutError):
        return GenerationFailed("timeout", name)
    if "Connection" in name or isinstance(error, ConnectionError | OSError):
        return GenerationFailed("unavailable", name)
    return GenerationFailed("garbage", name)


def choice_probability(
    alternatives: Iterable[Mapping[str, Any]],
    says_yes: Callable[[str], bool],
    says_no: Callable[[str], bool],
) -> float | None:
    """P(yes) / (P(yes) + P(no)) among a token's ``top_logprobs`` alternatives (as llama.cpp
    and OpenAI report them), each token stripped and casefolded before it is judged; None when
    none says either."""
    yes = no = 0.0
    for alternative in alternatives:
        word = str(alternative.get("token", "")).strip().casefold()
        weight = math.exp(float(alternative.get("logprob", -math.inf)))
        if says_yes(word):
            yes += weight
        elif says_no(word):
            no += weight
    return yes / (yes + no) if yes + no else None
