"""Load (issue 8): 20 threads through the Python API, and 20 users through the chat's HTTP API
(the Gradio queue), for a bounded number of questions each. No error, no cross-talk: every
answer is the one a single-threaded run gives to the same question and conversation. The p95
latency is printed, never asserted (the machine is shared). Everything on 127.0.0.1."""

from __future__ import annotations

import html
import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import FIXTURE_CORPUS, Workspace, free_port
from fakes import FakeEmbedder

from assistant.api import Assistant
from assistant.settings import Settings

pytestmark = [
    pytest.mark.integration,
    pytest.mark.timeout(600),
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]

USERS = 20
PER_THREAD = 2  # questions each thread asks through the Python API...
API_SECONDS = 20.0  # ...unless this much time has passed (every thread asks at least one)
K = 3  # passages per answer: fewer sentences to embed, the same code path

History = tuple[tuple[str, str], ...]
RINGI: History = (("什麼是稟議制?", "稟議制是日本特有的由下而上決策機制。"),)
DEJIMA: History = (("What is Dejima?", "A start-up liaison unit outside the head office."),)
ASKED: list[tuple[str, History]] = [
    ("What is the ringi system?", ()),
    ("出島とは何ですか?", ()),
    ("台日如何攜手進軍全球南方?", ()),
    ("那需要多久?", RINGI),  # follow-ups: the history decides what they mean
    ("and why does it matter?", DEJIMA),
]


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def report(capsys: pytest.CaptureFixture[str], what: str, latencies: Sequence[float]) -> None:
    with capsys.disabled():
        print(
            f"\n[load] {what}: {len(latencies)} answers, "
            f"p50 {percentile(latencies, 0.5):.2f} s, p95 {percentile(latencies, 0.95):.2f} s, "
            f"max {max(latencies):.2f} s"
        )


def without_timings(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "timings_ms"}


# -- 20 threads through the Python API ----------------------------------------------------------
@dataclass
class Outcome:
    asked: list[tuple[str, History]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def test_twenty_threads_get_their_own_answers(
    e5_workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    bot: Assistant = e5_workspace.assistant
    # Step 1: what one thread alone is answered
    alone = {
        item: without_timings(bot.ask(item[0], k=K, history=list(item[1])).to_dict())
        for item in ASKED
    }

    # Step 2: 20 threads at once, each starting on a different question
    outcomes = [Outcome() for _ in range(USERS)]
    start = threading.Barrier(USERS)
    deadline = time.monotonic() + API_SECONDS

    def user(number: int) -> None:
        outcome = outcomes[number]
        start.wait()
        for turn in range(PER_THREAD):
            if turn and time.monotonic() > deadline:
                break
            item = ASKED[(number + turn) % len(ASKED)]
            began = time.perf_counter()
            try:
                answer = bot.ask(item[0], k=K, history=list(item[1]))
            except BaseException as error:
                outcome.errors.append(error)
                continue
            outcome.latencies.append(time.perf_counter() - began)
            outcome.asked.append(item)
            outcome.answers.append(without_timings(answer.to_dict()))

    threads = [threading.Thread(target=user, args=(n,)) for n in range(USERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=API_SECONDS + 300)
    assert not any(thread.is_alive() for thread in threads)

    # Step 3: no error, and each thread got exactly what it would have got alone
    assert [error for outcome in outcomes for error in outcome.errors] == []
    for outcome in outcomes:
        assert outcome.answers
        for item, answer in zip(outcome.asked, outcome.answers, strict=True):
            assert answer["question"] == item[0]
            assert answer == alone[item]
    report(capsys, f"{USERS} threads, Python API", [t for o in outcomes for t in o.latencies])


# -- 20 users through the chat's HTTP API (the Gradio queue) ------------------------------------
FOLLOW_UP = {
    "en": "and why does it matter?",
    "zh-TW": "那它為什麼重要?",
    "ja": "それはなぜ重要ですか?",
}
TOPICS: list[tuple[str, str]] = [  # (interface language, the conversation's first question)
    ("en", "What is the ringi system?"),
    ("en", "What is Dejima?"),
    ("en", "What share of the surveyed Taiwanese startups are in deep tech?"),
    ("en", "What did The Economist call the Great Rebalancing?"),
    ("en", "What does Sequoia Capital mean by AI for Atoms?"),
    ("en", "What ended the SaaS virtual frenzy?"),
    ("en", "How large will Japan's IT talent gap be by 2030?"),
    ("en", "What are the three iterations of Taiwan-Japan relations?"),
    ("zh-TW", "什麼是稟議制?"),
    ("zh-TW", "台日如何攜手進軍全球南方?"),
    ("zh-TW", "台灣受訪新創中,深科技領域佔比多少?"),
    ("zh-TW", "出島機制是什麼?"),
    ("zh-TW", "什麼是雁行模式?"),
    ("zh-TW", "日本的耐心資本是什麼?"),
    ("ja", "稟議制とは何ですか?"),
    ("ja", "出島とは何ですか?"),
    ("ja", "台日はどのようにグローバルサウスへ進出できますか?"),
    ("ja", "日本のIT人材不足は2030年に何人?"),
    ("ja", "根回しとは何ですか?"),
    ("ja", "台湾の回答企業のうちディープテック領域の割合は?"),
]


@pytest.fixture(scope="module")
def chat_backend(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    """The corpus with the deterministic fake embedder: the queue and the sessions are under
    test here, not the model (the Python API test above runs the real one)."""
    root = tmp_path_factory.mktemp("load-ui")
    corpus = root / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    bot = Assistant(Settings(corpus_dir=corpus, data_dir=root / "data"), embedder=FakeEmbedder())
    bot.ingest()
    return bot


@dataclass(frozen=True)
class Served:
    url: str
    fn_index: int
    trigger_id: int


@pytest.fixture(scope="module")
def served(chat_backend: Assistant) -> Iterator[Served]:
    from ui.serve import launch

    port = free_port()
    app = launch(chat_backend, host="127.0.0.1", port=port, prevent_thread_lock=True)
    url = f"http://127.0.0.1:{port}"
    try:
        config = httpx.get(f"{url}/config", timeout=30).json()
        box = next(
            c["id"] for c in config["components"] if c["props"].get("elem_id") == "kk-question"
        )
        submit = next(
            d for d in config["dependencies"] if [box, "submit"] in map(list, d["targets"])
        )
        yield Served(url, int(submit["id"]), box)
    finally:
        app.close()


def ask_over_http(
    client: httpx.Client, served: Served, session: str, question: str, language: str
) -> list[Any]:
    """Send ``question`` as the page does (join the queue, read the event stream); the final
    outputs: [chat messages, citations panel, turns, copy text, question box, feedback note, its
    key, the two rating buttons] (ui.chat.ChatView)."""
    joined = client.post(
        f"{served.url}/gradio_api/queue/join",
        json={
            "data": [question, None, language],  # None: the conversation (gr.State) is the
            "fn_index": served.fn_index,  # session's, kept on the server
            "session_hash": session,
            "event_data": None,
            "trigger_id": served.trigger_id,
        },
    )
    assert joined.status_code == 200, joined.text
    event = joined.json()["event_id"]
    with client.stream(
        "GET", f"{served.url}/gradio_api/queue/data", params={"session_hash": session}
    ) as stream:
        for line in stream.iter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("event_id") != event:
                continue
            if message["msg"] == "process_completed":
                assert message.get("success"), message
                return list(message["output"]["data"])
    raise AssertionError(f"the event stream of {question!r} ended without a result")


def texts(messages: list[dict[str, Any]], role: str) -> list[str]:
    """The HTML of each message of ``role``, entities decoded (to compare with plain text)."""
    found = []
    for message in messages:
        if message["role"] == role:
            content = message["content"]
            parts = content if isinstance(content, list) else [{"text": content}]
            found.append(html.unescape("".join(str(part.get("text", "")) for part in parts)))
    return found


def test_twenty_chat_users_keep_their_own_conversations(
    served: Served, chat_backend: Assistant, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from ui.chat import Chat
    from ui.feedback import FeedbackLog

    assert len(TOPICS) == USERS
    # Step 1: each conversation alone, through the chat's own logic (no server, one thread)
    chat = Chat(chat_backend, FeedbackLog(tmp_path / "feedback.jsonl"))
    alone = []
    for language, first in TOPICS:
        *_, view = chat.respond(first, [], language)
        *_, view = chat.respond(FOLLOW_UP[language], view[2], language)
        alone.append(view)

    # Step 2: 20 users at once, each its own browser session: a question, then a follow-up
    finals: list[list[Any] | None] = [None] * USERS
    errors: list[BaseException] = []
    latencies: list[float] = []
    start = threading.Barrier(USERS)

    def user(number: int) -> None:
        language, first = TOPICS[number]
        session = uuid.uuid4().hex[:12]
        try:
            with httpx.Client(timeout=httpx.Timeout(300, connect=10)) as client:
                start.wait()
                for question in (first, FOLLOW_UP[language]):
                    began = time.perf_counter()
                    finals[number] = ask_over_http(client, served, session, question, language)
                    latencies.append(time.perf_counter() - began)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(USERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=500)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    # Step 3: each user sees only its own two questions, the follow-up understood within its
    # own conversation, and the same answers and sources as the conversation run alone
    for number, ((language, first), final) in enumerate(zip(TOPICS, finals, strict=True)):
        assert final is not None
        messages, panel, _, copied = final[0], final[1], final[2], final[3]
        asked = texts(messages, "user")
        assert len(asked) == 2 and first in asked[0] and FOLLOW_UP[language] in asked[1]
        answered = texts(messages, "assistant")
        assert len(answered) == 2 and "kk-final" in answered[1]
        understood = answered[1].split("kk-understood", 1)
        assert len(understood) == 2 and first[:8] in understood[1], (number, answered[1])
        for _, other in TOPICS[:number] + TOPICS[number + 1 :]:
            assert other not in " ".join(asked + answered)
        assert copied and copied == alone[number][3]
        assert panel == alone[number][1]
    report(capsys, f"{USERS} users, chat HTTP API (queue)", latencies)
