"""Follow-ups within a conversation: what refers back, what was already said, where a "why"
looks, and the "nothing more" that replaces a repeated answer."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from fakes import FakeEmbedder

from assistant import Assistant, Settings
from assistant.answer import ScoredSentence
from assistant.conversation import (
    Conversation,
    asks_why,
    gives_reason,
    is_non_answer,
    quoted_sentences,
)
from assistant.messages import LANGUAGES, message
from assistant.retrieve import SearchIndex
from assistant.rewrite import fallback_rewrite, leans_on_history
from assistant.types import Location, Passage
from ingest.chunk import Chunk

pytestmark = pytest.mark.unit

THRESHOLD = 0.8


# -- the words: data, in every language -----------------------------------------------------
def test_the_follow_up_words_are_data_in_all_three_languages() -> None:
    path = resources.files("assistant").joinpath("data", "follow_ups.json")
    table = json.loads(path.read_text("utf-8"))

    assert set(table) == {"_about", "leads", "refers_back", "why", "reasons"}
    for kind in ("leads", "refers_back", "why", "reasons"):
        assert set(table[kind]) == set(LANGUAGES), kind
        for words in table[kind].values():
            assert words and all(isinstance(w, str) and w.strip() == w and w for w in words)
            assert len(set(words)) == len(words), kind


@pytest.mark.parametrize(
    ("history", "follow_up"),
    [
        ([("什麼是稟議制?", "…")], "為什麼會這樣?"),
        ([("什麼是稟議制?", "…")], "為什麼?"),
        ([("什麼是稟議制?", "…")], "那為什麼重要?"),
        ([("什麼是稟議制?", "…")], "它要花多久時間?"),
        ([("稟議制とは何ですか?", "…")], "それはなぜですか?"),
        ([("What is the ringi system?", "…")], "Why is that?"),
    ],
)
def test_the_issues_follow_ups_refer_back_in_every_language(
    history: list[tuple[str, str]], follow_up: str
) -> None:
    assert leans_on_history(follow_up)
    assert fallback_rewrite(follow_up, history).startswith(history[0][0])


def test_a_short_question_that_names_a_topic_of_its_own_stands_alone() -> None:
    def never(question: str) -> bool:
        raise AssertionError(f"asked about {question!r}")

    assert not leans_on_history("What is Dejima?", lambda question: True)
    assert leans_on_history("為什麼?", lambda question: False)
    # a lead or a word that refers back decides alone; so does a question long enough
    assert leans_on_history("Why is it so?", never)
    assert not leans_on_history("What share of the surveyed startups are in deep tech?", never)
    history = [("What is ringi?", "…")]
    assert fallback_rewrite("What is Dejima?", history, lambda q: "Dejima" in q) == (
        "What is Dejima?"
    )


def test_a_new_question_with_a_topic_stands_alone() -> None:
    for question in (
        "What share of the Taiwanese companies surveyed work in deep tech?",
        "台灣受訪新創中,深科技領域佔比多少?",
        "Software founders and Dejima: what does the essay say about Dejima units?",  # not "so"
    ):
        assert not leans_on_history(question), question


@pytest.mark.parametrize(
    ("question", "why"),
    [
        ("為什麼?", True),
        ("為何如此?", True),
        ("それはなぜですか?", True),
        ("どうして?", True),
        ("Why is that?", True),
        ("How come?", True),
        ("它要花多久時間?", False),
        ("How long does it take?", False),
        ("Whyte is a name", False),  # a whole word, not a prefix
    ],
)
def test_asks_why(question: str, why: bool) -> None:
    assert asks_why(question) is why


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("這套制度源於日本歷史悠久的「村落社會」結構。", True),
        ("因為在集體負責的邏輯下,沒有人願意承擔風險。", True),
        ("この制度は「ムラ社会」の構造に由来する。", True),
        ("誰もリスクを負おうとしないからだ。", True),
        ("The system has its roots in Japan's village society.", True),
        ("Ringi stalls because of the asymmetry of scale.", True),
        ("稟議制是日本特有的決策機制。", False),
        ("その核心は押印プロセスにあるのではなく、根回しにある。", False),  # の+では, not ので
        ("稟議書は「議論」のためのものではない。", False),  # ため of purpose
        ("Ringi is a bottom-up decision process.", False),
    ],
)
def test_gives_reason(sentence: str, reason: bool) -> None:
    assert gives_reason(sentence) is reason


def test_refusals_and_nothing_more_are_recognised_in_every_language() -> None:
    for key in ("answer.refusal", "answer.nothing_more", "answer.no_reason"):
        for language in LANGUAGES:
            assert is_non_answer(message(key, language))
    assert not is_non_answer("According to the corpus:\nRingi is bottom-up.[1]")


def test_the_quoted_sentences_of_an_answer_are_found_without_its_frame() -> None:
    text = "根據語料:\n稟議制是日本特有的決策機制。[1]從效率觀點來看,稟議制具有雙面性:[2]"

    assert quoted_sentences(text) == [
        "稟議制是日本特有的決策機制。",
        "從效率觀點來看,稟議制具有雙面性:",
    ]
    assert quoted_sentences(message("answer.refusal", "en")) == []


# -- deciding within a conversation ---------------------------------------------------------
def passage(paragraph: int, text: str, doc: str = "essay") -> Passage:
    where = Location("文化解碼", paragraph, 0, len(text))
    return Passage(f"{doc}-{paragraph}", doc, "台日", "zh-TW", text, text, where, 1.0)


def scored(p: int, text: str, score: float, position: int = 0) -> ScoredSentence:
    return ScoredSentence(p, position, text, score, score)


SAID = "稟議制是日本特有的決策機制。"
EARLIER = f"根據語料:\n{SAID}[1]"
PASSAGES = [
    passage(38, SAID + "其核心在於根回し。"),
    passage(39, "這套制度源於日本的村落社會結構。"),
    passage(41, "因為集體負責,沒有人願意承擔風險。"),
    passage(60, "由於市場變化快,台灣新創不適應。", doc="other"),
]
SENTENCES = [
    scored(0, SAID, 0.95),
    scored(0, "其核心在於根回し。", 0.9, 1),
    scored(1, "這套制度源於日本的村落社會結構。", 0.82),
    scored(2, "因為集體負責,沒有人願意承擔風險。", 0.84),
    scored(3, "由於市場變化快,台灣新創不適應。", 0.97),
]


def conversation(why: bool, follow_up: bool = True, answered: bool = True) -> Conversation:
    near = ((PASSAGES[0], 0), (PASSAGES[1], 1), (PASSAGES[2], 3)) if why else ()
    earlier = (EARLIER if answered else message("answer.refusal", "zh-TW"),)
    return Conversation(
        earlier=tuple("".join(text.split()) for text in earlier),
        follow_up=follow_up,
        why=why,
        answered=answered,
        near=near,
    )


def test_a_follow_up_never_quotes_again_what_was_said() -> None:
    answer = conversation(why=False).decide("q", "zh-TW", PASSAGES, SENTENCES, THRESHOLD)

    assert not answer.refused and SAID not in answer.answer
    assert "由於市場變化快" in answer.answer


def test_a_why_takes_the_reason_closest_to_what_was_cited() -> None:
    answer = conversation(why=True).decide("q", "zh-TW", PASSAGES, SENTENCES, THRESHOLD)

    # paragraph 39 (next to the cited 38) before 41, and before a better-scored far one
    assert answer.answer.splitlines()[1] == "這套制度源於日本的村落社會結構。[1]"
    assert "由於市場變化快" not in answer.answer and SAID not in answer.answer


def test_a_why_with_no_reason_near_takes_one_from_elsewhere_only_above_the_threshold() -> None:
    talk = conversation(why=True)
    elsewhere = [SENTENCES[0], SENTENCES[1], SENTENCES[4]]

    assert "由於市場變化快" in talk.decide("q", "zh-TW", PASSAGES, elsewhere, THRESHOLD).answer
    weak = [SENTENCES[0], scored(3, SENTENCES[4].text, 0.5)]
    answer = talk.decide("q", "zh-TW", PASSAGES, weak, THRESHOLD)
    assert answer.refused and answer.answer == message("answer.no_reason", "zh-TW")


def test_a_follow_up_that_finds_nothing_new_says_so_instead_of_repeating() -> None:
    only_said = [SENTENCES[0]]

    answer = conversation(why=False).decide("q", "zh-TW", PASSAGES, only_said, THRESHOLD)

    assert answer.refused and answer.grounding == "refused"
    assert answer.answer == message("answer.nothing_more", "zh-TW")


def test_a_new_question_in_a_conversation_is_refused_as_ever_and_never_repeats() -> None:
    talk = conversation(why=False, follow_up=False)
    weak = [scored(3, "由於市場變化快,台灣新創不適應。", 0.3)]

    refused = talk.decide("q", "zh-TW", PASSAGES, weak, THRESHOLD)
    assert refused.answer == message("answer.refusal", "zh-TW")
    # the same question asked again gets no copy of its answer
    again = talk.decide("q", "zh-TW", PASSAGES, [SENTENCES[0]], THRESHOLD)
    assert again.answer == message("answer.nothing_more", "zh-TW")


def test_after_only_refusals_a_follow_up_gets_the_plain_refusal() -> None:
    talk = conversation(why=False, answered=False)

    answer = talk.decide("q", "zh-TW", PASSAGES, [scored(3, "x" * 8, 0.1)], THRESHOLD)

    assert answer.answer == message("answer.refusal", "zh-TW")


def chunk(paragraph: int, text: str, doc: str = "essay") -> Chunk:
    return Chunk(
        f"{doc}-{paragraph}", doc, "台日", "zh-TW", "文化解碼", paragraph, 0, len(text), text, 0
    )


def test_the_passages_an_answer_cited_are_found_with_their_neighbours() -> None:
    chunks = [chunk(n, f"第{n}段的內容。這是段落{n}。") for n in range(30, 50)]
    chunks[8] = chunk(38, SAID + "其核心在於根回し。")
    index = SearchIndex(chunks)

    talk = Conversation.of("為什麼?", [("什麼是稟議制?", EARLIER)], True, index, "zh-TW")

    assert talk is not None and talk.why
    near = {p.location.paragraph: distance for p, distance in talk.near}
    assert near == {36: 2, 37: 1, 38: 0, 39: 1, 40: 2}
    widened = talk.widen([PASSAGES[3]])
    assert widened[0] == PASSAGES[3] and len(widened) == 6
    assert Conversation.of("為什麼?", None, True, index, "zh-TW") is None
    standalone = Conversation.of("什麼是出島?", [("q", EARLIER)], False, index, "zh-TW")
    assert standalone is not None and standalone.near == () and not standalone.why


# -- through the Assistant, no model --------------------------------------------------------
@pytest.fixture
def ringi(tmp_path: Path) -> Assistant:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ringi.en.txt").write_text(
        "Ringi\n"
        "Ringi is a bottom-up decision process in Japanese companies.\n"
        "The system has its roots in Japan's village society, where decisions were shared.\n"
        "A ringi document collects the seals of many managers before approval.\n",
        encoding="utf-8",
    )
    settings = Settings(corpus_dir=corpus, data_dir=tmp_path / "data", min_evidence=-5.0)
    assistant = Assistant(settings, embedder=FakeEmbedder())
    assistant.ingest()
    # With the refusal off, every short question would be "answered alone": here a short
    # question is a follow-up (how one is told from a new topic is tested below).
    assistant.rewriter.names_topic = None
    return assistant


def test_why_after_an_answer_gives_the_reason_then_says_there_is_no_more(
    ringi: Assistant,
) -> None:
    first = ringi.ask("What is ringi?", k=1)
    history = [("What is ringi?", first.answer)]

    why = ringi.ask("Why is that?", k=1, history=history)
    again = ringi.ask("Why is that?", k=1, history=[*history, ("Why is that?", why.answer)])

    assert not first.refused and "village society" not in first.answer
    assert "roots in Japan's village society" in why.answer and why.answer != first.answer
    assert why.standalone_question == "What is ringi? Why is that?"
    assert again.answer == message("answer.no_reason", "en") and again.refused


def test_a_follow_up_is_never_the_earlier_answer_word_for_word(ringi: Assistant) -> None:
    history: list[tuple[str, str]] = []
    answers = []
    for question in ("What is ringi?", "and what else?", "and what else?", "and what else?"):
        answer = ringi.ask(question, k=3, history=history)
        history.append((question, answer.answer))
        answers.append(answer.answer)

    assert len(set(answers)) == len(answers)
    assert answers[-1] == message("answer.nothing_more", "en")
    said = [s for a in answers for s in quoted_sentences(a)]
    assert len(said) == len(set(said))  # no sentence quoted twice
