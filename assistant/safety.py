"""What a generated answer must never carry, from the passages in or from the model out.

In: sentences of a passage that read as instructions to a model ("ignore your instructions…")
are quarantined before the model sees the passages, which it gets as numbered, delimited,
untrusted material. Out: links and images not found in a cited passage, markers to passages not
given, echoed prompt delimiters and tokens seen only in quarantined text are removed from each
sentence the model writes, before it is checked and shown (``Cleaner``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from assistant.citations import normalise_markers
from assistant.text import split_sentences
from assistant.types import Passage

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
    """The passages as the model reads them: numbered and delimited. Not their titles: on the
    dev questions they were a fifth of the prompt (70 of 323 tokens, median), and a two-core
    machine reads about 100 tokens a second."""
    blocks = []
    for n, text in enumerate(quoted.texts, 1):
        body = escape_delimiters(text)
        blocks.append(f'<passage n="{n}">\n{body}\n</passage>')
    return "\n\n".join(blocks)


def escape_delimiters(text: str) -> str:
    """``text`` with what would read as the prompt's own tags (<passage>, <question>) defused."""
    return _DELIMITER.sub(r"‹\1", text)


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
        text, removed = normalise_markers(text, self.passage_count)
        self.removed_markers |= removed
        return text

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

    def _token(self, match: re.Match[str]) -> str:
        if match.group(0).casefold() in self.tainted:
            self.removed_tainted += 1
            return ""
        return match.group(0)
