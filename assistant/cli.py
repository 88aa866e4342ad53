"""The ``kakehashi`` command: ingest, ask, retrieve, eval (and serve, from the UI package)."""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import click

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3


def _quiet_libraries() -> None:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)


def _dump(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"kakehashi: {message}", err=True)
    sys.exit(code)


def _assistant() -> Any:
    from assistant.api import Assistant
    from ingest.embed import EmbedderUnavailable
    from ingest.store import StoreError

    try:
        return Assistant()
    except (StoreError, EmbedderUnavailable) as error:
        _fail(str(error), EXIT_UNAVAILABLE)


@click.group()
@click.version_option(package_name="kakehashi")
def main() -> None:
    """Kakehashi: answers about Taiwan–Japan deep-tech collaboration, with cited passages."""
    _quiet_libraries()


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def ingest(path: Path | None, as_json: bool) -> None:
    """Ingest PATH (default: the corpus folder) into the store."""
    from ingest.index import IngestLocked
    from ingest.store import StoreError

    assistant = _assistant()
    try:
        report = assistant.ingest(path, progress=not as_json and sys.stderr.isatty())
    except (IngestLocked, StoreError, FileNotFoundError) as error:
        _fail(str(error), EXIT_UNAVAILABLE)
    if as_json:
        _dump(report.to_dict())
    else:
        click.echo(report.summary())


def _question_or_fail(func: Any, *args: Any, **kwargs: Any) -> Any:
    from assistant.api import InvalidQuestion
    from ingest.store import StoreError

    try:
        return func(*args, **kwargs)
    except InvalidQuestion as error:
        _fail(str(error), EXIT_USAGE)
    except StoreError as error:
        _fail(str(error), EXIT_UNAVAILABLE)


@main.command()
@click.argument("question")
@click.option("--k", default=5, show_default=True, help="Passages to answer from.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def ask(question: str, k: int, as_json: bool) -> None:
    """Answer QUESTION from the corpus, with citations."""
    assistant = _assistant()
    answer = _question_or_fail(assistant.ask, question, k=k)
    if as_json:
        _dump(answer_json(answer))
        return
    click.echo(answer.answer)
    for citation in answer.citations:
        marker = " (translation)" if citation.translation_of else ""
        click.echo(f"\n[{citation.n}] {citation.title}{marker} — {citation.location.label()}")
        click.echo(f"    {citation.text}")
        if citation.translation_of:
            click.echo(f"    original: {citation.original_text}")


def answer_json(answer: Any) -> dict[str, Any]:
    """The ``ask --json`` contract: question, language, mode, answer, refused, citations, timings."""
    data = answer.to_dict()
    citations = [
        {
            "n": c["n"],
            "chunk_id": c["chunk_id"],
            "doc_id": c["doc_id"],
            "title": c["title"],
            "lang": c["lang"],
            "text": c["text"],
            "original_text": c["original_text"],
            "location": c["location"],
            "quotes": c["quotes"],
            "translation_of": c["translation_of"],
        }
        for c in data["citations"]
    ]
    return {
        "question": data["question"],
        "language": data["language"],
        "mode": data["mode"],
        "answer": data["answer"],
        "refused": data["refused"],
        "grounding": data["grounding"],
        "citations": citations,
        "sentences": data["sentences"],
        "notice": data["notice"],
        "timings_ms": data["timings_ms"],
    }


@main.command()
@click.argument("question")
@click.option("--k", default=10, show_default=True, help="Passages to return.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def retrieve(question: str, k: int, as_json: bool) -> None:
    """Show the passages retrieved for QUESTION, best first."""
    assistant = _assistant()
    passages = _question_or_fail(assistant.retrieve, question, k=k)
    if as_json:
        _dump([passage.to_dict() for passage in passages])
        return
    for rank, passage in enumerate(passages, start=1):
        click.echo(
            f"{rank:>2}. {passage.score:.4f}  {passage.doc_id} ({passage.lang}) "
            f"{passage.location.label()}\n    {passage.text[:200]}"
        )


@main.command(name="eval")
@click.option("--questions", type=click.Path(exists=True, path_type=Path), help="Questions JSONL.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output JSONL.")
def evaluate(questions: Path | None, out: Path) -> None:
    """Run a questions file and print hit@1, hit@5 and MRR per language."""
    from eval.run import QuestionsError, format_table, load_questions, run_questions, summarize
    from eval.run import write_jsonl

    if questions is None:
        _fail("give --questions FILE", EXIT_USAGE)
        return
    try:
        items = load_questions(questions)
    except QuestionsError as error:
        _fail(str(error), EXIT_USAGE)
        return
    assistant = _assistant()
    records = run_questions(assistant, items, progress=sys.stderr.isatty())
    write_jsonl(records, out)
    click.echo(format_table(summarize(records)))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=7860, show_default=True, help="Port.")
def serve(host: str, port: int) -> None:
    """Start the founders' chat in the browser (Gradio)."""
    from ui.app import launch

    launch(_assistant(), host=host, port=port)


if __name__ == "__main__":
    main()
