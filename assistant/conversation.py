"""What the conversation so far means for the next answer.

"稟議制是什麼?" then "為什麼會這樣?": ``rewrite.py`` makes the follow-up a standalone query for
retrieval; this module decides what its answer may say.

Step 1: a sentence the conversation has already quoted is not quoted again for a follow-up.
Step 2: a "why" (the ``why`` words of ``data/follow_ups.json``) is answered with sentences that
        give a reason (the ``reasons`` words): first from the passages the earlier answers cited
        and the paragraphs around them, which the conversation has shown to be on its topic,
        the closest to a cited paragraph first (an explanation tends to follow what it
        explains); from anywhere else only when they pass the refusal threshold like any answer.
Step 3: when nothing new is found, or the answer would only say again what was said, the answer
        says that nothing more was found (``answer.nothing_more``, ``answer.no_reason``), never
        the earlier answer again. Where nothing was ever answered it is the plain refusal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from assistant import answer as extractive
from assistant.messages import message, translations
from assistant.retrieve import Candidate, SearchIndex, to_passages
from assistant.text import Language
from assistant.types import Answer, Passage
from ingest.chunk import Chunk

NEIGHBOURHOOD = 2  # paragraphs either side of a cited one where a "why" looks first
QUOTE_LOOKUPS = 3  # lexical matches checked for each sentence an earlier answer quoted
MIN_QUOTE_CHARS = 4
_MARKER = re.compile(r"\[\d+\]")
_SPACE = re.compile(r"\s+")
NOTHING_MORE = ("answer.nothing_more", "answer.no_reason")  # found nothing new, found no reason
NON_ANSWERS = ("answer.refusal", *NOTHING_MORE)


@dataclass(frozen=True)
class Cues:
    """``data/follow_ups.json`` as patterns, one per kind of word, all languages in each."""

    leads: re.Pattern[str]  # anchored at the start of a question
    refers_back: re.Pattern[str]
    why: re.Pattern[str]
    reasons: re.Pattern[str]


def _pattern(words: Sequence[str], anchored: bool = False) -> re.Pattern[str]:
    latin = sorted((w for w in words if w.isascii()), key=len, reverse=True)
    other = sorted((w for w in words if not w.isascii()), key=len, reverse=True)
    parts = []
    if latin:
        parts.append(r"\b(?:" + "|".join(re.escape(w) for w in latin) + r")\b")
    if other:
        parts.append("(?:" + "|".join(re.escape(w) for w in other) + ")")
    body = "|".join(parts) or r"(?!)"
    return re.compile(rf"^\s*(?:{body})" if anchored else body, re.IGNORECASE)


@lru_cache(maxsize=1)
def cues() -> Cues:
    text = resources.files("assistant").joinpath("data", "follow_ups.json").read_text("utf-8")
    table = json.loads(text)

    def words(kind: str) -> list[str]:
        return [word for language in table[kind].values() for word in language]

    return Cues(
        leads=_pattern(words("leads"), anchored=True),
        refers_back=_pattern(words("refers_back")),
        why=_pattern(words("why")),
        reasons=_pattern(words("reasons")),
    )


def asks_why(question: str) -> bool:
    return cues().why.search(question) is not None


def gives_reason(sentence: str) -> bool:
    return cues().reasons.search(sentence) is not None


def _squeezed(text: str) -> str:
    """Text compared as quoted: no ``[n]`` markers, no white space."""
    return _SPACE.sub("", _MARKER.sub("", text))


@lru_cache(maxsize=len(NON_ANSWERS))
def _said(keys: tuple[str, ...]) -> frozenset[str]:
    """The messages ``keys`` in every language, as compared."""
    return frozenset(_squeezed(text) for key in keys for text in translations(key).values())


def is_non_answer(text: str) -> bool:
    """Whether an answer's text is (or carries) a refusal or a "nothing more", in any
    language."""
    squeezed = _squeezed(text)
    return any(non_answer in squeezed for non_answer in _said(NON_ANSWERS))


def is_nothing_more(text: str) -> bool:
    """Whether an answer's text says that nothing more was found (not a plain refusal)."""
    return _squeezed(text) in _said(NOTHING_MORE)


def nothing_more(question: str, language: Language, evidence: float, why: bool) -> Answer:
    """The answer to a follow-up that finds nothing the conversation has not already said."""
    key = "answer.no_reason" if why else "answer.nothing_more"
    return Answer(
        question=question,
        language=language,
        mode="extractive",
        answer=message(key, language),
        refused=True,
        grounding="refused",
        evidence=evidence,
    )


def quoted_sentences(answer_text: str) -> list[str]:
    """The sentences an answer quotes: each piece of its text before a ``[n]`` marker, line by
    line, without the frame an extractive answer opens with ("According to the corpus:")."""
    frames = tuple(translations("answer.intro").values())
    found = []
    for piece in _MARKER.split(answer_text)[:-1]:
        for line in piece.splitlines():
            line = line.strip()
            if len(line) >= MIN_QUOTE_CHARS and not line.startswith(frames):
                found.append(line)
    return found


def cited_chunks(answers: Sequence[str], index: SearchIndex) -> list[Chunk]:
    """The chunks the ``answers`` quoted from, found through the lexical index."""
    found: dict[str, Chunk] = {}
    for answer_text in answers:
        for quote in quoted_sentences(answer_text):
            wanted = _squeezed(quote)
            for i, _ in index.lexical.top(quote, QUOTE_LOOKUPS):
                chunk = index.chunks[i]
                if wanted in _squeezed(chunk.text):
                    found.setdefault(chunk.chunk_id, chunk)
                    break
    return list(found.values())


def neighbourhood(
    cited: Sequence[Chunk], index: SearchIndex, language: str
) -> list[tuple[Passage, int]]:
    """The cited chunks and the chunks of the paragraphs around them, as passages (in the
    question's edition where one exists, each with its original), each with its distance in
    paragraphs from the nearest cited one."""
    found: dict[str, tuple[Passage, int]] = {}
    for anchor in cited:
        for offset in range(-NEIGHBOURHOOD, NEIGHBOURHOOD + 1):
            for chunk in index.paragraph(anchor.doc_id, anchor.paragraph + offset):
                for passage in to_passages([Candidate(chunk, 0.0, 0.0, 0.0)], index, language, 1):
                    known = found.get(passage.chunk_id)
                    if known is None or abs(offset) < known[1]:
                        found[passage.chunk_id] = (passage, abs(offset))
    return list(found.values())


@dataclass(frozen=True)
class Conversation:
    """The earlier exchanges as the next answer needs them.

    ``follow_up``: the question leans on the conversation (``rewrite.leans_on_history``);
    ``why``: it asks for a reason; ``near``: for a "why" follow-up, the passages the earlier
    answers cited and their neighbours, each with its distance from a cited paragraph."""

    earlier: tuple[str, ...]
    follow_up: bool
    why: bool
    answered: bool
    near: tuple[tuple[Passage, int], ...] = ()

    @classmethod
    def of(
        cls,
        asked: str,
        history: Sequence[tuple[str, str]] | None,
        follow_up: bool,
        index: SearchIndex,
        language: str,
    ) -> Conversation | None:
        """None without history: a first question is answered as it always was."""
        if not history:
            return None
        answers = [answered for _, answered in history]
        why = follow_up and asks_why(asked)
        near = neighbourhood(cited_chunks(answers, index), index, language) if why else []
        return cls(
            earlier=tuple(_squeezed(text) for text in answers),
            follow_up=follow_up,
            why=why,
            answered=any(not is_non_answer(text) for text in answers),
            near=tuple(near),
        )

    def widen(self, passages: Sequence[Passage]) -> list[Passage]:
        """``passages`` and, after them, the neighbourhood passages not among them."""
        seen = {_paragraph(passage) for passage in passages}
        extra = [passage for passage, _ in self.near if _paragraph(passage) not in seen]
        return [*passages, *extra]

    def fresh(self, scored: Sequence[extractive.ScoredSentence]) -> list[extractive.ScoredSentence]:
        """The sentences a follow-up may still quote (or show a model): not those said."""
        return [s for s in scored if not self.said(s.text)] if self.follow_up else list(scored)

    def said(self, sentence: str) -> bool:
        """Whether an earlier answer already quoted ``sentence``."""
        wanted = _squeezed(sentence)
        return bool(wanted) and any(wanted in earlier for earlier in self.earlier)

    def decide(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        scored: Sequence[extractive.ScoredSentence],
        threshold: float,
    ) -> Answer:
        """The answer within the conversation: something new, or a clear "nothing more"."""
        # Step 1: what a follow-up has already been told is not told again
        fresh = self.fresh(scored)
        # Step 2: a why is answered with reasons, first from around what was cited
        if self.why:
            distance = {_paragraph(passage): d for passage, d in self.near}
            reasons = [s for s in fresh if gives_reason(s.text)]
            close = [s for s in reasons if _paragraph(passages[s.passage]) in distance]
            if close:
                nearest = min(distance[_paragraph(passages[s.passage])] for s in close)
                close = [s for s in close if distance[_paragraph(passages[s.passage])] == nearest]
            far = [s for s in reasons if _evidence([s], passages, language) >= threshold]
            chosen = extractive.select(close or far)
        else:
            good = _evidence(fresh, passages, language) >= threshold
            chosen = extractive.select(fresh) if good else []
        # Step 3: nothing new for a follow-up, or only what was said before: say so
        evidence = _evidence(chosen or fresh, passages, language)
        if not chosen and not (self.follow_up and self.answered):
            return extractive.refusal(question, language, evidence)
        if not chosen or all(self.said(s.text) for s in chosen):
            return nothing_more(question, language, evidence, self.why)
        return extractive.compose(question, language, passages, chosen, evidence)


def _paragraph(passage: Passage) -> tuple[str, int]:
    """One key for a paragraph in any of its editions."""
    return (passage.original_doc_id or passage.doc_id, passage.location.paragraph)


def _evidence(
    sentences: Sequence[extractive.ScoredSentence], passages: Sequence[Passage], language: str
) -> float:
    return extractive.evidence_score(sentences, passages, language)
