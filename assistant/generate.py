"""Generated answers through an OpenAI-compatible endpoint, checked sentence by sentence.

Used instead of the extractive mode when ``Settings.llm_configured``.

Step 1: quote the retrieved passages as numbered, delimited, untrusted material; sentences that
        read as instructions to a model ("ignore your instructions…") are quarantined first.
Step 2: prompt | chat model | text parser (an LCEL chain), streamed under a deadline; the text
        is cleaned as it streams (links, images and markers to passages not given never show).
Step 3: clean the whole text: drop markers to passages that were not given, every image, links
        not in a cited passage (never from a passage that held instructions), echoed prompt
        delimiters, and sentences that repeat quarantined text (a canary, say).
Step 4: check each sentence with the ``Verifier`` against the passages it cites.
Step 5: decide: supported, partial (some sentences flagged), or a refusal (none supported).

A fault in step 2 (endpoint down, too slow, garbage) raises ``GenerationFailed``;
``answer_stream`` then hands back the caller's extractive answer with a notice.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable
from pydantic import SecretStr

from assistant.answer import FRAMES, has_searchable_content
from assistant.grounding import Verifier
from assistant.settings import Settings
from assistant.types import Answer, Citation, Passage, SentenceCheck
from ingest.text import Language, split_sentences

log = logging.getLogger(__name__)

MAX_RETRIES = 1
MAX_ANSWER_TOKENS = 512
MAX_SENTENCES = 5
# Model-format tokens that end an answer when a server leaks them as text.
STOP_SEQUENCES = ["<|im_end|>", "<|im_start|>", "<end_of_turn>", "<start_of_turn>"]
# When no key is configured (a local server), send this placeholder rather than letting the
# client library look for one in the environment.
NO_KEY = SecretStr("not-needed")

LANGUAGE_LABELS: dict[str, str] = {
    "zh-TW": "Traditional Chinese (繁體中文)",
    "ja": "Japanese (日本語)",
    "en": "English",
}

NOTICES: dict[str, dict[str, str]] = {
    "fallback": {
        "zh-TW": "語言模型無法回答({reason}),以下改為直接引用語料。",
        "ja": "言語モデルが応答しませんでした({reason})。代わりにコーパスから直接引用します。",
        "en": "The language model did not answer ({reason}); quoting the corpus instead.",
    },
    "markers": {
        "zh-TW": "已移除指向不存在段落的引用標記:{items}。",
        "ja": "存在しない段落を指す引用番号を削除しました:{items}。",
        "en": "Removed citation markers to passages that were not given: {items}.",
    },
    "links": {
        "zh-TW": "已移除不在引用段落中的連結或圖片。",
        "ja": "引用した段落にないリンクや画像を削除しました。",
        "en": "Removed links or images that are not in a cited passage.",
    },
    "quarantined": {
        "zh-TW": "已忽略語料中看似對模型下指令的文字。",
        "ja": "コーパス内のモデルへの指示のような文を無視しました。",
        "en": "Ignored text in the corpus that reads as instructions to the model.",
    },
    "unsupported": {
        "zh-TW": "有 {count} 句未獲所引段落支持,已標示。",
        "ja": "{count} 文は引用した段落で裏付けられないため、印を付けました。",
        "en": "{count} sentence(s) not supported by the passages they cite are flagged.",
    },
    "withheld": {
        "zh-TW": "生成的回答沒有任何一句獲得所引段落支持,因此不予顯示。",
        "ja": "生成された回答に、引用した段落で裏付けられる文がなかったため表示しません。",
        "en": "The generated answer was withheld: no sentence is supported by the passages.",
    },
}
REASONS: dict[str, dict[str, str]] = {
    "timeout": {"zh-TW": "逾時", "ja": "タイムアウト", "en": "timed out"},
    "unavailable": {"zh-TW": "無法連線", "ja": "接続できません", "en": "unreachable"},
    "garbage": {"zh-TW": "回應無法解讀", "ja": "応答を解釈できません", "en": "unusable reply"},
}


class GenerationFailed(RuntimeError):
    """The endpoint was down, too slow, or answered something unusable."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind  # one of REASONS


# -- prompts --------------------------------------------------------------------------------
_SECTION = re.compile(r"^## (system|user)\s*$", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def load_prompt(name: str) -> ChatPromptTemplate:
    """A prompt file of ``assistant/prompts`` as a chat template (``## system`` / ``## user``)."""
    text = resources.files("assistant").joinpath("prompts", name).read_text(encoding="utf-8")
    text = _COMMENT.sub("", text)
    parts = _SECTION.split(text)[1:]
    messages = [(role, body.strip()) for role, body in zip(parts[::2], parts[1::2], strict=True)]
    if [role for role, _ in messages] != ["system", "user"]:
        raise ValueError(f"prompt {name} needs a '## system' then a '## user' section")
    return ChatPromptTemplate.from_messages(messages)


# -- step 1: passages as quoted, untrusted material ------------------------------------------
_INSTRUCTION = re.compile(
    r"(?:\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,60}"
    r"\b(?:instructions?|rules|prompts?|guidelines|previous|above|everything)\b"
    r"|\bsystem prompt\b|\byou are now\b|\bnew instructions?\b"
    r"|\b(?:reply|respond|answer|output|say|print|write)\b[^.!?\n]{0,20}"
    r"\b(?:only|exactly|verbatim)\b[^.!?\n]{0,10}\b(?:with|the (?:word|code|string|text))\b"
    r"|\b(?:reply|respond|answer) with\b[^.!?\n]{0,40}[A-Z0-9]{2,}[-_][A-Z0-9]{2,}"
    r"|(?:指示|命令|ルール|プロンプト|規則|规则|指令|提示詞|提示词)[^。!?\n]{0,12}"
    r"(?:無視|无视|忽略|忘れ|忘記|忘记)"
    r"|(?:無視|无视|忽略|忘記|忘记)[^。!?\n]{0,12}"
    r"(?:指示|命令|ルール|プロンプト|規則|规则|指令|提示)"
    r"|(?:とだけ|のみ)(?:返答|回答|答え|出力)"
    r"|(?:只|僅|仅)(?:回覆|回复|回答|輸出|输出))",
    re.IGNORECASE,
)
_DELIMITER = re.compile(r"<(\s*/?\s*(?:passages?|question)\b)", re.IGNORECASE)
_DISTINCTIVE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{3,}")


@dataclass(frozen=True)
class Quoted:
    """The passages as the model sees them, and what was held back from it."""

    passages: tuple[Passage, ...]
    texts: tuple[str, ...]  # passage texts with instruction-like sentences removed
    quarantined: tuple[str, ...]  # the removed sentences
    tainted: frozenset[str]  # distinctive tokens found only in removed sentences
    hostile: frozenset[int]  # numbers of the passages that held such sentences

    def link_sources(self, numbers: Sequence[int]) -> tuple[str, ...]:
        """Texts whose links an answer may repeat: the cited passages, unless hostile."""
        return tuple(self.texts[n - 1] for n in numbers if n not in self.hostile)


def quarantine(text: str) -> tuple[str, list[str]]:
    """Remove sentences that read as instructions to a model; return the rest and them."""
    kept: list[str] = []
    removed: list[str] = []
    cursor = 0
    for span in split_sentences(text):
        if _INSTRUCTION.search(span.text):
            kept.append(text[cursor : span.start])
            removed.append(span.text)
            cursor = span.end
    kept.append(text[cursor:])
    return "".join(kept).strip(), removed


def _distinctive_tokens(text: str) -> set[str]:
    return {
        token.casefold()
        for token in _DISTINCTIVE.findall(text)
        if any(ch.isdigit() for ch in token) or "-" in token or token.isupper()
    }


def quote(passages: Sequence[Passage], question: str) -> Quoted:
    texts: list[str] = []
    removed: list[str] = []
    hostile: set[int] = set()
    for n, passage in enumerate(passages, 1):
        kept, dropped = quarantine(passage.text)
        texts.append(kept)
        removed.extend(dropped)
        if dropped:
            hostile.add(n)
    known = _distinctive_tokens(" ".join([*texts, question]))
    tainted = frozenset(_distinctive_tokens(" ".join(removed)) - known)
    return Quoted(tuple(passages), tuple(texts), tuple(removed), tainted, frozenset(hostile))


def without_instructions(passages: Sequence[Passage]) -> list[Passage]:
    """The passages with instruction-like sentences removed (for the extractive fallback)."""
    return [
        replace(
            passage,
            text=quarantine(passage.text)[0],
            original_text=quarantine(passage.original_text)[0],
        )
        for passage in passages
    ]


def format_passages(quoted: Quoted) -> str:
    blocks = []
    for n, (passage, text) in enumerate(zip(quoted.passages, quoted.texts, strict=True), 1):
        title = _DELIMITER.sub(r"‹\1", passage.title).replace('"', "'")
        body = _DELIMITER.sub(r"‹\1", text)
        blocks.append(f'<passage n="{n}" title="{title}">\n{body}\n</passage>')
    return "\n\n".join(blocks)


def prompt_inputs(question: str, language: Language, quoted: Quoted) -> dict[str, Any]:
    return {
        "question": question,
        "language_name": LANGUAGE_LABELS[language],
        "refusal": FRAMES[language]["refusal"],
        "max_sentences": MAX_SENTENCES,
        "passage_count": len(quoted.passages),
        "passages": format_passages(quoted),
    }


# -- step 2: the chain, streamed under a deadline ---------------------------------------------
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
    )


def answer_chain(model: BaseChatModel) -> Runnable[dict[str, Any], str]:
    return load_prompt("answer.md") | model | StrOutputParser()


_CLOSED = object()


def stream_with_deadline(pieces: Callable[[], Iterator[str]], seconds: float) -> Iterator[str]:
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
                raise _classify(item) from item
            yield str(item)
    finally:
        stop.set()


def _classify(error: BaseException) -> GenerationFailed:
    name = type(error).__name__
    if "Timeout" in name or isinstance(error, TimeoutError):
        return GenerationFailed("timeout", name)
    if "Connection" in name or isinstance(error, ConnectionError | OSError):
        return GenerationFailed("unavailable", name)
    return GenerationFailed("garbage", name)


# -- step 3: cleaning --------------------------------------------------------------------------
_SPECIAL = re.compile(r"<\|[a-z_]+\|>|<(?:start|end)_of_turn>|</?s>", re.IGNORECASE)
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)|<img\b[^>]*>", re.IGNORECASE)
_LINK = re.compile(r"\[([^\]\n]*)\]\(([^)\s]*)[^)\n]*\)")
_TAG = re.compile(r"</?(?:a|img|script|iframe)\b[^>]*>", re.IGNORECASE)
_ECHOED_TAG = re.compile(r"</?\s*(?:passages?|question)\b[^>\n]*>?", re.IGNORECASE)
_URL = re.compile(
    r"(?:\b(?:https?|ftp|file|data|javascript):|\bwww\.)"
    r"[^\s<>()\[\]{}\"'「」『』()【】、。,!?]+"
    r"|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|ai|co|jp|tw|cn|info|biz|xyz|dev|app|me|ly)"
    r"(?:/[^\s<>()\[\]{}\"'「」『』()【】、。,!?]*)?(?![\w.])",
    re.IGNORECASE,
)
_MARKER = re.compile(r"[\[【［]\s*(\d{1,3}(?:\s*[,、,;]\s*\d{1,3})*)\s*[\]】］]")
_PLAIN_MARKER = re.compile(r"\[(\d+)\]")
_LIST_BULLET = re.compile(r"^\s*(?:[-*•・+>#]+|\d{1,2}[.)、])\s+")
_EMPHASIS = re.compile(r"\*\*|__|`")


@dataclass
class Cleaner:
    """Removes what an answer must never show; records what it removed."""

    passage_count: int
    allowed_urls: tuple[str, ...] = ()  # URLs that appear in the passages given
    tainted: frozenset[str] = frozenset()
    removed_markers: set[int] = field(default_factory=set)
    removed_links: int = 0
    removed_tainted: int = 0

    def clean(self, text: str) -> str:
        removed = self.removed_links + self.removed_tainted
        text = _IMAGE.sub(self._image, text)
        text = _LINK.sub(self._link, text)
        text = _TAG.sub(self._drop_link, text)
        text = _ECHOED_TAG.sub("", text)  # the prompt's own delimiters, echoed back
        text = _URL.sub(self._url, text)
        text = self.markers(text)
        if self.tainted:
            text = _DISTINCTIVE.sub(self._token, text)
        if self.removed_links + self.removed_tainted > removed:  # no "word ." left behind
            text = re.sub(r"[ \t]+(?=[.,;:!?。、,])", "", text)
        return text

    def markers(self, text: str) -> str:
        """``[1, 2]``, ``【1】`` become ``[1][2]``; numbers of passages not given go."""
        return _MARKER.sub(self._markers, text)

    def _allowed(self, url: str) -> bool:
        url = url.strip()
        return bool(url) and any(url in allowed for allowed in self.allowed_urls)

    def _image(self, match: re.Match[str]) -> str:
        self.removed_links += 1  # an image loads by itself when shown: never
        return ""

    def _link(self, match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        if self._allowed(url):
            return f"{label} ({url})"
        self.removed_links += 1
        return label

    def _drop_link(self, match: re.Match[str]) -> str:
        self.removed_links += 1
        return ""

    def _url(self, match: re.Match[str]) -> str:
        if self._allowed(match.group(0)):
            return match.group(0)
        self.removed_links += 1
        return ""

    def _markers(self, match: re.Match[str]) -> str:
        kept = []
        for number in (int(n) for n in re.split(r"\s*[,、,;]\s*", match.group(1))):
            if 1 <= number <= self.passage_count:
                kept.append(f"[{number}]")
            else:
                self.removed_markers.add(number)
        return "".join(dict.fromkeys(kept))

    def _token(self, match: re.Match[str]) -> str:
        if match.group(0).casefold() in self.tainted:
            self.removed_tainted += 1
            return ""
        return match.group(0)


def cut_at_special(text: str) -> tuple[str, bool]:
    """The text before the first leaked chat-format token, and whether one was found."""
    match = _SPECIAL.search(text)
    return (text[: match.start()], True) if match else (text, False)


_PENDING_ASCII = re.compile(r"[\x21-\x7e]+$")
_PENDING_BRACKET = re.compile(
    r"(?:!?[\[【［][^\]】］\n]{0,200}|!?\[[^\]\n]*\](?:\([^)\n]*)?|<[^>\n]{0,200})$"
)
MAX_HELD = 400


class StreamGuard:
    """Cleans streamed text as it arrives: a piece is released once nothing in it can still
    turn into a link, an image, a marker or a leaked format token."""

    def __init__(self, cleaner: Cleaner) -> None:
        self.cleaner = cleaner
        self.buffer = ""
        self.ended = False

    def feed(self, piece: str) -> str:
        if self.ended:
            return ""
        self.buffer += piece
        text, self.ended = cut_at_special(self.buffer)
        if self.ended:
            self.buffer = ""
            return self.cleaner.clean(text)
        hold, previous = len(text), -1
        while hold != previous:  # hold back until nothing released can still be pending
            previous = hold
            for pending in (_PENDING_ASCII, _PENDING_BRACKET):
                match = pending.search(text, 0, hold)
                if match:
                    hold = min(hold, match.start())
        if len(text) - hold > MAX_HELD:
            hold = len(text)
        self.buffer = text[hold:]
        return self.cleaner.clean(text[:hold])

    def close(self) -> str:
        text, self.buffer = self.buffer, ""
        return "" if self.ended else self.cleaner.clean(cut_at_special(text)[0])


# -- step 4: sentences and their citations ----------------------------------------------------
_REFUSAL_PATTERNS = re.compile(
    r"(?:corpus|passages?|documents?|sources?|context)\b[^.!?]{0,40}"
    r"\b(?:does not|doesn't|do not|don't|cannot|can't|did not)\b[^.!?]{0,20}"
    r"\b(?:contain|answer|say|mention|provide|include|cover|address)"
    r"|(?:コーパス|資料|文書|段落)[^。!?]{0,30}(?:ありません|見つかりません|含まれていません|答えられ)"
    r"|(?:語料|语料|資料|资料|段落|文件)[^。!?]{0,30}(?:找不到|沒有|没有|未提及|無法回答|无法回答)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    claim: str  # the sentence without markers, bullets or emphasis
    citations: tuple[int, ...]


def sentences_with_citations(text: str) -> list[Sentence]:
    """Answer sentences with the ``[n]`` that follow them. Markers that open a sentence (as in
    "… claim. [1] Next …") belong to the sentence before."""
    found: list[Sentence] = []
    for span in split_sentences(text):
        body = span.text
        leading = re.match(r"^(?:\s*\[\d+\])+", body)
        if leading and found:
            previous = found[-1]
            extra = tuple(int(n) for n in _PLAIN_MARKER.findall(leading.group(0)))
            found[-1] = replace(
                previous,
                end=span.start + leading.end(),
                citations=tuple(dict.fromkeys(previous.citations + extra)),
            )
            body = body[leading.end() :]
            start = span.start + leading.end()
        else:
            start = span.start
        citations = tuple(dict.fromkeys(int(n) for n in _PLAIN_MARKER.findall(body)))
        claim = _claim(body)
        if not claim and not citations:
            continue
        if not has_searchable_content(claim):
            if found and citations:
                previous = found[-1]
                found[-1] = replace(
                    previous,
                    end=span.end,
                    citations=tuple(dict.fromkeys(previous.citations + citations)),
                )
            continue
        found.append(Sentence(start, span.end, claim, citations))
    return found


_APOLOGY = re.compile(
    r"^(?:sorry|i am sorry|i'm sorry|unfortunately|申し訳(?:ありません|ございません)|すみません"
    r"|抱歉|對不起|对不起|很抱歉)[.,!。!、,]*$",
    re.IGNORECASE,
)


def is_refusal_statement(claim: str) -> bool:
    if _APOLOGY.match(claim.strip()):
        return True
    folded = re.sub(r"\W", "", claim).casefold()
    for frame in FRAMES.values():
        if re.sub(r"\W", "", frame["refusal"]).casefold() in folded:
            return True
    return bool(_REFUSAL_PATTERNS.search(claim))


# -- steps 4-5: verify and decide ----------------------------------------------------------
def finish(
    raw: str,
    question: str,
    language: Language,
    quoted: Quoted,
    verifier: Verifier,
    timings: dict[str, float],
) -> Answer:
    """The final ``Answer`` for the model's complete text ``raw``."""
    # Step 3: markers to passages not given go; then each sentence is cleaned against the
    # passages it cites, and dropped when it echoes quarantined text.
    text, _ = cut_at_special(raw)
    if not has_searchable_content(text):
        raise GenerationFailed("garbage", "the reply has no text")
    markers = Cleaner(len(quoted.passages))
    text = markers.markers(text)
    refusal_said = False
    for frame in FRAMES.values():
        if frame["refusal"] in text:
            text = text.replace(frame["refusal"], "")
            refusal_said = True
    notices: list[str] = []
    if markers.removed_markers:
        items = "".join(f"[{n}]" for n in sorted(markers.removed_markers))
        notices.append(NOTICES["markers"][language].format(items=items))
    pieces: list[str] = []
    kept: list[Sentence] = []
    cursor = 0
    links = 0
    for sentence in sentences_with_citations(text):
        pieces.append(text[cursor : sentence.start])
        cursor = sentence.end
        sources = quoted.link_sources(sentence.citations)
        cleaner = Cleaner(len(quoted.passages), sources, quoted.tainted)
        shown = cleaner.clean(text[sentence.start : sentence.end])
        links += cleaner.removed_links
        claim = _claim(shown)
        if cleaner.removed_tainted or not has_searchable_content(claim):
            continue
        pieces.append(shown)
        kept.append(replace(sentence, claim=claim))
    pieces.append(text[cursor:])
    if not kept and not refusal_said:
        raise GenerationFailed("garbage", "nothing usable in the reply")
    if links:
        notices.append(NOTICES["links"][language])
    if quoted.quarantined:
        notices.append(NOTICES["quarantined"][language])
    answer_text = re.sub(r"[ \t]{2,}", " ", "".join(pieces)).strip()

    # Step 4: each sentence against the passages it cites
    started = time.perf_counter()
    checks: list[SentenceCheck] = []
    for sentence in kept:
        if is_refusal_statement(sentence.claim):
            refusal_said = True
            continue
        if not sentence.citations:
            checks.append(SentenceCheck(sentence.claim, (), False, 0.0, "cites no passage"))
            continue
        cited_texts = [quoted.texts[n - 1] for n in sentence.citations]
        verdict = verifier.verify(sentence.claim, cited_texts)
        checks.append(
            SentenceCheck(
                sentence.claim, sentence.citations, verdict.supported, verdict.score, verdict.reason
            )
        )
    timings["verify"] = round((time.perf_counter() - started) * 1000, 1)

    # Step 5: decide
    supported = [check for check in checks if check.supported]
    unsupported = len(checks) - len(supported)
    if not supported:
        if checks and not refusal_said:
            notices.append(NOTICES["withheld"][language])
        return Answer(
            question=question,
            language=language,
            mode="generative",
            answer=FRAMES[language]["refusal"],
            refused=True,
            timings_ms=timings,
            grounding="refused",
            sentences=tuple(checks),
            notice=" ".join(notices) or None,
        )
    if unsupported:
        notices.append(NOTICES["unsupported"][language].format(count=unsupported))
    cited_numbers = sorted({n for check in checks for n in check.citations})
    return Answer(
        question=question,
        language=language,
        mode="generative",
        answer=answer_text,
        refused=False,
        citations=tuple(_citation(n, quoted.passages[n - 1]) for n in cited_numbers),
        timings_ms=timings,
        grounding="partial" if unsupported else "supported",
        sentences=tuple(checks),
        notice=" ".join(notices) or None,
    )


def _claim(sentence: str) -> str:
    claim = _PLAIN_MARKER.sub("", sentence)
    claim = " ".join(_EMPHASIS.sub("", _LIST_BULLET.sub("", claim)).split())
    claim = re.sub(r" +(?=[.,;:!?。、,])", "", claim)
    return "" if re.fullmatch(r"\d{1,2}[.)、]", claim) else claim


def _citation(n: int, passage: Passage) -> Citation:
    return Citation(
        n=n,
        chunk_id=passage.chunk_id,
        doc_id=passage.doc_id,
        title=passage.title,
        lang=passage.lang,
        text=passage.text,
        original_text=passage.original_text,
        location=passage.location,
        translation_of=passage.translation_of,
    )


# -- the generator ----------------------------------------------------------------------------
class AnswerGenerator:
    """Streams a generated answer: text pieces, then the final ``Answer``."""

    def __init__(self, model: BaseChatModel, verifier: Verifier, timeout: float = 60.0) -> None:
        self.chain = answer_chain(model)
        self.verifier = verifier
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings, verifier: Verifier) -> AnswerGenerator:
        return cls(chat_model(settings), verifier, settings.llm_timeout)

    def stream(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        timings: dict[str, float],
    ) -> Iterator[str | Answer]:
        """Raises ``GenerationFailed`` (possibly after some pieces) when the endpoint fails."""
        # Step 1: passages as quoted material
        quoted = quote(passages, question)
        inputs = prompt_inputs(question, language, quoted)
        # Step 2: stream through the chain, cleaning as we go
        sources = quoted.link_sources(range(1, len(passages) + 1))
        guard = StreamGuard(Cleaner(len(passages), sources, quoted.tainted))
        raw: list[str] = []
        started = time.perf_counter()
        for piece in stream_with_deadline(lambda: self.chain.stream(inputs), self.timeout):
            if piece and "first_token" not in timings:  # (servers open with an empty delta)
                timings["first_token"] = round((time.perf_counter() - started) * 1000, 1)
            raw.append(piece)
            shown = guard.feed(piece)
            if shown:
                yield shown
            if guard.ended:
                break
        tail = guard.close()
        if tail:
            yield tail
        timings["generate"] = round((time.perf_counter() - started) * 1000, 1)
        # Steps 3-5
        yield finish("".join(raw), question, language, quoted, self.verifier, timings)


def answer_stream(
    generator: AnswerGenerator,
    question: str,
    language: Language,
    passages: Sequence[Passage],
    timings: dict[str, float],
    fallback: Callable[[Sequence[Passage]], Answer],
) -> Iterator[str | Answer]:
    """``generator.stream``, falling back to ``fallback(passages)`` with a notice when it fails;
    the fallback gets the passages without their instruction-like sentences. Without passages
    there is nothing to generate from: the fallback answers (refuses)."""
    if not passages:
        yield fallback(passages)
        return
    try:
        yield from generator.stream(question, language, passages, timings)
    except GenerationFailed as error:
        log.warning("language model failed (%s); using the extractive answer", error)
        reason = REASONS.get(error.kind, REASONS["garbage"])[language]
        notice = NOTICES["fallback"][language].format(reason=reason)
        answer = fallback(without_instructions(passages))
        yield replace(answer, notice=f"{notice} {answer.notice}" if answer.notice else notice)
