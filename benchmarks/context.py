"""What every section shares: run size, working folders, the questions, the prepared stores.

The real corpus is ingested once into ``<work>/real`` with the default embedder (later runs
re-ingest, which embeds only what changed), and the naive pipeline's persisted Chroma store is
built once per corpus version under ``<work>/naive-<hash>``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.procs import ROOT, bench_env

QUESTIONS = ROOT / "eval" / "questions" / "dev.jsonl"
CORPUS = ROOT / "corpus"
RESULTS = ROOT / "benchmarks" / "results"


@dataclass(frozen=True)
class Plan:
    """How much to measure: ``full`` (about 10-15 minutes on 2 cores) or ``quick``."""

    name: str
    cold_runs: int
    warm_rounds: int
    warm_questions: int
    ask_questions: int
    ingest_chunks: int
    ingest_repeats: int
    reingest_docs: int
    reingest_repeats: int
    scale_sizes: tuple[int, ...]
    scale_queries: int
    baseline_budget_s: float
    llm_questions: int
    ui_runs: int
    open_runs: int  # fresh processes opening each synthetic store, ours and LangChain's
    judge_claims: int  # sentences the shipped model wrote, judged (section judge)

    @classmethod
    def full(cls) -> Plan:
        sizes = (1_000, 10_000, 100_000)
        return cls("full", 7, 1, 72, 24, 32, 3, 1000, 3, sizes, 100, 20.0, 12, 9, 3, 74)

    @classmethod
    def quick(cls) -> Plan:
        return cls("quick", 3, 1, 24, 12, 16, 2, 1000, 2, (1_000, 10_000), 30, 5.0, 6, 5, 2, 24)


@dataclass
class Bench:
    plan: Plan
    work: Path
    results: Path = RESULTS  # where ``--profile`` writes its text files
    profile: bool = False
    llm: str | None = None  # an OpenAI-compatible base URL, or "local"
    llm_model: str | None = None
    setup_notes: list[str] = field(default_factory=list)
    _assistant: Any = None

    @property
    def real_dir(self) -> Path:
        return self.work / "real"

    @property
    def naive_dir(self) -> Path:
        digest = hashlib.sha256()
        for path in sorted(CORPUS.rglob("*")):
            if path.is_file():
                digest.update(path.name.encode() + path.read_bytes())
        return self.work / f"naive-{digest.hexdigest()[:12]}"

    def env(self) -> dict[str, str]:
        """Subprocess environment: the benchmark's store, the repository's corpus."""
        return bench_env(KAKEHASHI_DATA_DIR=str(self.real_dir), KAKEHASHI_CORPUS_DIR=str(CORPUS))

    def questions(self) -> list[str]:
        return [item["question"] for item in _dev_questions()][: self.plan.warm_questions]

    def mixed_questions(self, count: int) -> list[str]:
        """``count`` questions, the languages in turn (the file lists them language by language)."""
        by_language: dict[str, list[str]] = {}
        for item in _dev_questions():
            by_language.setdefault(item["lang"], []).append(item["question"])
        return [q for group in zip(*by_language.values(), strict=False) for q in group][:count]

    def assistant(self) -> Any:
        """The ``Assistant`` over the real corpus, ingested (idempotently) on first use."""
        if self._assistant is None:
            from assistant.api import Assistant
            from assistant.settings import Settings

            # the default, extractive path, whatever KAKEHASHI_LLM_* or .env say
            settings = Settings(
                data_dir=self.real_dir, corpus_dir=CORPUS, llm_base_url=None, llm_model=None
            )
            assistant = Assistant(settings)
            started = time.perf_counter()
            report = assistant.ingest()
            self.setup_notes.append(
                f"setup: real corpus ingest into {self.real_dir}: added {report.added}, "
                f"unchanged {report.unchanged} ({time.perf_counter() - started:.1f} s)"
            )
            self._assistant = assistant
        return self._assistant

    def naive_store(self) -> Any:
        """The naive pipeline's persisted Chroma over the real corpus (same embedder)."""
        from benchmarks import naive

        embedder = self.assistant().embedder
        done = self.naive_dir / "complete"
        if not done.is_file():
            shutil.rmtree(self.naive_dir, ignore_errors=True)
            started = time.perf_counter()
            store, count = naive.build(CORPUS, embedder, persist=self.naive_dir)
            done.write_text(str(count))
            self.setup_notes.append(
                f"setup: naive LangChain store built with {count} chunks "
                f"({time.perf_counter() - started:.1f} s)"
            )
            return store
        return naive.chroma(embedder, persist=self.naive_dir)


def _dev_questions() -> list[dict[str, Any]]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
