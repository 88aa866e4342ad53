"""The Python API for program staff: ``Assistant().ask(...)`` and ``.retrieve(...)``."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from assistant import answer as extractive
from assistant import generate, rewrite, thresholds
from assistant.conversation import Conversation
from assistant.errors import InvalidQuestion
from assistant.grounding import make_verifier
from assistant.lexical import Glossary
from assistant.messages import message
from assistant.retrieve import SearchIndex, hybrid_search
from assistant.settings import Settings
from assistant.terms import Terms
from assistant.text import Language, frame_language, has_searchable_content, split_sentences
from assistant.types import Answer, Passage
from ingest.embed import CachedEmbedder, Embedder, make_embedder
from ingest.index import IngestReport, ingest
from ingest.store import ChromaStore, Store
from ingest.tokens import count_tokens

GLOSSARY_FILE = "glossary.json"
RAW_LIMIT_FACTOR = 4  # white space and control characters may pad a question this much
MARKUP = re.compile(r"<[^<>]*>|&#?\w+;")  # tags and entities: a question of only these has no words
HISTORY_TURNS = 6  # earlier exchanges a follow-up is understood within (as the chat passes)
ALONE_K = 5  # passages a short question is tried on alone, before it is read as a follow-up
ALONE_CACHE = 256


def clean_question(text: str, max_chars: int) -> str:
    """Strip control characters and surrounding space; refuse empty, huge or wordless input.
    Input over ``RAW_LIMIT_FACTOR`` times the limit is refused before it is scanned, so a huge
    paste costs neither time nor memory."""
    if not isinstance(text, str):
        raise InvalidQuestion("the question must be text")
    language = frame_language(text[:2000])
    if len(text) > RAW_LIMIT_FACTOR * max_chars:
        raise _invalid("question.too_long", language, limit=max_chars, length=len(text))
    cleaned = "".join(
        ch if unicodedata.category(ch)[0] != "C" else " " for ch in text if ch != "\x00"
    )
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise _invalid("question.empty", language)
    if len(cleaned) > max_chars:
        raise _invalid("question.too_long", language, limit=max_chars, length=len(cleaned))
    if not has_searchable_content(MARKUP.sub(" ", cleaned)):
        raise _invalid("question.no_words", language)
    return cleaned


def _invalid(key: str, language: str, **fields: object) -> InvalidQuestion:
    return InvalidQuestion(message(key, language, **fields), key, **fields)


def bounded_history(
    history: Sequence[tuple[str, str]] | None, max_chars: int
) -> list[tuple[str, str]] | None:
    """The last ``HISTORY_TURNS`` exchanges, each earlier question cut to the question limit:
    a follow-up is rewritten from them, so they must not carry a query past ``clean_question``."""
    if not history:
        return None
    return [(str(asked)[:max_chars], answered) for asked, answered in history][-HISTORY_TURNS:]


class Assistant:
    """Retrieval and answers over the ingested corpus.

    >>> from assistant import Assistant
    >>> bot = Assistant()                       # settings from KAKEHASHI_* variables
    >>> answer = bot.ask("什麼是稟議制?")
    >>> answer.citations[0].title
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.embedder = embedder or make_embedder(self.settings.embedder)
        self.store: Store = store or ChromaStore.open(
            self.embedder,
            self.settings.collection,
            self.settings.data_dir,
            self.settings.chroma_url,
        )
        # sentence vectors embedded at ingest, looked up instead of embedded per question
        self._sentences = CachedEmbedder(self.embedder, stored=self.store.sentence_vectors())
        # A term quoted in another language's script is also named in the question's own
        self.terms = Terms.load(self.settings.corpus_dir / GLOSSARY_FILE)
        # Off by default: expanding queries across languages with the glossary measured no
        # gain on the dev questions once the editions exist (scripts/compare_editions.py).
        self.glossary = Glossary.of(self.terms) if self.settings.glossary_expansion else None
        self._lock = threading.Lock()
        self.index = SearchIndex(self.store.snapshot(), self.glossary)
        # Generated answers when an endpoint is configured (assistant/generate.py), and
        # follow-up questions made standalone (assistant/rewrite.py)
        self.generator: generate.AnswerGenerator | None = (
            generate.AnswerGenerator.from_settings(
                self.settings,
                make_verifier(self.settings, self.embedder, answering_model_judges=False),
            )
            if self.settings.llm_configured
            else None
        )
        self._alone: dict[str, bool] = {}  # short questions the corpus answers on their own
        self.rewriter = rewrite.Rewriter.from_settings(self.settings, self._names_topic)

    # -- corpus ---------------------------------------------------------------------------
    def ingest(self, path: Path | None = None, progress: bool = False) -> IngestReport:
        report = ingest(
            path or self.settings.corpus_dir,
            self.store,
            self.embedder,
            count_tokens,
            self.settings.lock_path,
            max_tokens=self.settings.chunk_tokens,
            progress=progress,
        )
        self.refresh()
        return report

    def refresh(self) -> None:
        index = SearchIndex(self.store.snapshot(), self.glossary)
        with self._lock:
            self.index = index
            self._alone = {}

    def status(self) -> dict[str, Any]:
        info = self.store.info()
        index = self.index
        return {
            "documents": len(index.doc_lang),
            "chunks": len(index.chunks),
            "embedder": self.embedder.identity,
            "mode": "generative" if self.settings.llm_configured else "extractive",
            "model": self.settings.llm_model if self.settings.llm_configured else None,
            "answers": self.settings.llm_answers if self.settings.llm_configured else None,
            "ingested_at": info.get("ingested_at"),
            "store": str(self.settings.chroma_url or self.settings.data_dir),
        }

    # -- questions ------------------------------------------------------------------------
    def retrieve(self, question: str, k: int = 10) -> list[Passage]:
        question = clean_question(question, self.settings.max_question_chars)
        language = frame_language(question)
        question = self.terms.in_language(question, language)
        vector = self.embedder.embed([question], kind="query")[0]
        return self._search(question, vector, language, k)

    def _search(self, question: str, vector: np.ndarray, language: str, k: int) -> list[Passage]:
        if k < 1:
            raise InvalidQuestion("k must be at least 1")  # a ValueError: exit 2 in the CLI
        return hybrid_search(
            question, vector, self.store, self.index, language, k, sentences=self._sentences
        )

    def ask(
        self, question: str, k: int = 5, history: Sequence[tuple[str, str]] | None = None
    ) -> Answer:
        """Answer ``question`` from the corpus. ``history`` is the conversation so far as
        (question, answer) pairs, used to understand a follow-up question."""
        final: Answer | None = None
        for piece in self.stream(question, k=k, history=history):
            if isinstance(piece, Answer):
                final = piece
        assert final is not None
        return final

    def stream(
        self, question: str, k: int = 5, history: Sequence[tuple[str, str]] | None = None
    ) -> Iterator[str | Answer]:
        """Text pieces of the answer as they are produced, then the final ``Answer``.

        Generated answers stream the model's tokens (cleaned of links, images and bad markers);
        the final ``Answer`` is what counts: it flags unsupported sentences, and may be a
        refusal or, when the endpoint fails, the extractive answer with a ``notice``."""
        history = bounded_history(history, self.settings.max_question_chars)
        if self.generator is not None:
            yield from self._generate(question, k, history)
            return
        answer = self._answer(question, k, history)
        yield from answer.answer.splitlines(keepends=True)
        yield answer

    def _answer(self, question: str, k: int, history: Sequence[tuple[str, str]] | None) -> Answer:
        if self.generator is not None:
            final = [piece for piece in self._generate(question, k, history)][-1]
            assert isinstance(final, Answer)
            return final
        started = time.perf_counter()
        prepared = self._prepare(question, k, history)
        asked, question, language, vector, passages, timings, conversation = prepared
        with _timed(timings, "compose"):
            result = self._extractive(question, language, vector, passages, conversation)
        result = result.with_timings(**timings, total=_since(started))
        return rewrite.with_question(result, asked, question, history)

    def _names_topic(self, question: str) -> bool:
        """Whether a question too short to tell ("What is Dejima?" or "為什麼?") names a topic
        of its own: the glossary knows a term of it, or the corpus answers it alone, as the
        refusal judges. Else it is read within the conversation."""
        if self.glossary is not None and self.glossary.expand(question):
            return True
        alone = self._alone.get(question)
        if alone is None:
            try:
                cleaned = clean_question(question, self.settings.max_question_chars)
            except InvalidQuestion:
                return False
            language = frame_language(cleaned)
            cleaned = self.terms.in_language(cleaned, language)
            vector = self.embedder.embed([cleaned], kind="query")[0]
            passages = self._search(cleaned, vector, language, ALONE_K)
            scored = self._scored(cleaned, vector, passages)
            evidence = extractive.evidence_score(scored, passages, language)
            alone = evidence >= extractive.refusal_threshold(self.settings.min_evidence)
            if len(self._alone) >= ALONE_CACHE:
                self._alone = {}
            self._alone[question] = alone
        return alone

    def _prepare(
        self, question: str, k: int, history: Sequence[tuple[str, str]] | None
    ) -> tuple[
        str, str, Language, np.ndarray, list[Passage], dict[str, float], Conversation | None
    ]:
        """The steps every answer shares: check the question, make a follow-up standalone,
        embed it, retrieve (for a "why" follow-up, also around the passages already cited).
        Returns (asked, standalone, language, vector, passages, timings, conversation)."""
        timings: dict[str, float] = {}
        asked = question = clean_question(question, self.settings.max_question_chars)
        language: Language = frame_language(question)
        with _timed(timings, "rewrite"):
            question = self.rewriter.rewrite(question, history)
        question = self.terms.in_language(question, language)
        with _timed(timings, "embed"):
            vector = self.embedder.embed([question], kind="query")[0]
        with _timed(timings, "retrieve"):
            passages = self._search(question, vector, language, k)
            follow_up = bool(history) and self.rewriter.leans(asked)
            conversation = Conversation.of(asked, history, follow_up, self.index, language)
            if conversation is not None:
                passages = conversation.widen(passages)
        return asked, question, language, vector, passages, timings, conversation

    def _generate(
        self, question: str, k: int, history: Sequence[tuple[str, str]] | None
    ) -> Iterator[str | Answer]:
        """The generated answer, streamed; the extractive one (with a notice) where the model
        adds nothing checked, and no model at all where the corpus does not answer."""
        assert self.generator is not None
        started = time.perf_counter()
        prepared = self._prepare(question, k, history)
        asked, question, language, vector, passages, timings, conversation = prepared
        safe = generate.without_instructions(passages)
        with _timed(timings, "compose"):
            scored = self._scored(question, vector, safe)
            parts = self._parts(question, safe, conversation)
            floor = self._decide(question, language, safe, scored, conversation, parts)
            if conversation is not None:
                scored = conversation.fresh(scored)  # nor does the model see what was said
            unconfirmed: Answer | None = None
            if floor.refused and conversation is None and self.generator.confirms:
                # Just under the threshold, the model is asked whether the sentences answer.
                near = self._decide(
                    question,
                    language,
                    safe,
                    scored,
                    None,
                    parts,
                    -thresholds.quotes().confirm_below,
                )
                if not near.refused:
                    floor, unconfirmed = near, floor
        answered = [part for text, part in parts if text not in floor.unanswered]
        # The model is asked only what the documents may answer: the parts already said to be
        # missing would make it call the whole question unanswerable.
        put = question
        if floor.unanswered:
            gap = " " if language == "en" else ""
            put = gap.join(text for text, _ in parts if text not in floor.unanswered)
        for piece in generate.answer_stream(
            self.generator, put, language, passages, scored, floor, answered, unconfirmed
        ):
            if isinstance(piece, Answer):
                said = extractive.with_unanswered(piece, floor.unanswered)
                if said is not piece:
                    yield said.answer[len(piece.answer) :]
                piece = said.with_timings(**timings, total=_since(started))
                piece = rewrite.with_question(piece, asked, question, history)
            yield piece

    def _scored(
        self, question: str, vector: np.ndarray, passages: Sequence[Passage]
    ) -> list[extractive.ScoredSentence]:
        """The sentences of ``passages``, scored against the question."""
        candidates = extractive.candidate_sentences(passages)
        sentence_vectors = self._sentences.embed(
            [text for _, _, text in candidates], kind="passage"
        )
        return extractive.score_sentences(question, candidates, vector, sentence_vectors)

    def _parts(
        self,
        question: str,
        passages: Sequence[Passage],
        conversation: Conversation | None = None,
    ) -> list[tuple[str, list[extractive.ScoredSentence]]]:
        """Each sentence of a question that has several ("How many applied? How many were
        accepted?"), with the sentences of ``passages`` scored against it; none for a single
        sentence, nor for a follow-up (its standalone question may be the earlier one joined
        to it)."""
        if conversation is not None and conversation.follow_up:
            return []
        parts = [s.text for s in split_sentences(question) if has_searchable_content(s.text)]
        if len(parts) < 2:
            return []
        vectors = self.embedder.embed(parts, kind="query")
        return [
            (part, self._scored(part, v, passages)) for part, v in zip(parts, vectors, strict=True)
        ]

    def _decide(
        self,
        question: str,
        language: Language,
        passages: Sequence[Passage],
        scored: Sequence[extractive.ScoredSentence],
        conversation: Conversation | None = None,
        parts: Sequence[tuple[str, Sequence[extractive.ScoredSentence]]] = (),
        shift: float = 0.0,
    ) -> Answer:
        """Refuse on weak evidence, else quote the best sentences (each part's best for a
        question of several, and what parts the documents do not answer) and cite them; within
        a conversation, say only what it has not said yet (``assistant/conversation.py``).
        ``shift`` moves the refusal threshold."""
        threshold = extractive.refusal_threshold(self.settings.min_evidence + shift)
        if conversation is not None:
            return conversation.decide(question, language, passages, scored, threshold)
        evidence = extractive.evidence_score(scored, passages, language)
        defining = extractive.definition(self._naming(question, scored), scored)
        if defining:
            return extractive.compose(question, language, passages, defining, evidence)
        if not scored or evidence < threshold:
            return extractive.refusal(question, language, evidence)
        unanswered = extractive.unanswered_parts(question, scored, parts)
        if len(unanswered) == max(len(parts), 1):
            return extractive.refusal(question, language, evidence)
        answered = [part for text, part in parts if text not in unanswered]
        chosen = extractive.select(scored, answered)
        answer = extractive.compose(question, language, passages, chosen, evidence)
        return extractive.with_unanswered(answer, unanswered)

    def _naming(
        self, question: str, scored: Sequence[extractive.ScoredSentence]
    ) -> list[extractive.ScoredSentence]:
        """When ``question`` asks only what a glossary term is, the sentences that name the term,
        scored by similarity alone (each shares the question's one word); else none. The
        glossary lists the terms the corpus explains, so such a question is answered even when
        so short a question scores its defining sentence under the refusal threshold."""
        term = self.terms.defined(question)
        if term is None:
            return []
        return [
            dataclasses.replace(s, score=s.similarity) for s in scored if term.mentioned_in(s.text)
        ]

    def _extractive(
        self,
        question: str,
        language: Language,
        vector: np.ndarray,
        passages: Sequence[Passage],
        conversation: Conversation | None = None,
    ) -> Answer:
        # Step 1-2: candidate sentences of the retrieved passages, scored against the question
        scored = self._scored(question, vector, passages)
        parts = self._parts(question, passages, conversation)
        # Step 3: refuse on weak evidence, else quote and cite
        return self._decide(question, language, passages, scored, conversation, parts)


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round((time.perf_counter() - started) * 1000, 1)
