"""The ``kakehashi`` command: ingest, ask, retrieve, eval, serve (the UI package) and llm serve
(the packaged model)."""

from __future__ import annotations

import json
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from assistant.errors import EXIT_UNAVAILABLE, EXIT_USAGE, KakehashiError

# Control characters from a document (escape sequences that retitle the terminal, clear it, set
# the clipboard, move the cursor) are printed as \x.. escapes, never sent to the terminal raw.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _plain(text: str) -> str:
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


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
    from assistant import Assistant

    return Assistant()


class _Commands(click.Group):
    """Every Kakehashi error ends the command with its message and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KakehashiError as error:
            _fail(str(error), error.exit_code)
        except ValidationError as error:  # a KAKEHASHI_* setting (environment or .env)
            _fail(invalid_settings(error), EXIT_USAGE)


def invalid_settings(error: ValidationError) -> str:
    """Which settings cannot be used and why, by their variable names; never their values
    (one may be a key)."""
    problems = [
        f"KAKEHASHI_{'_'.join(str(part) for part in problem['loc']).upper()}: {problem['msg']}"
        for problem in error.errors()
    ]
    return "invalid setting: " + "; ".join(problems)


@click.group(cls=_Commands)
@click.version_option(package_name="kakehashi")
def main() -> None:
    """Kakehashi: answers about Taiwan–Japan deep-tech collaboration, with cited passages."""
    _quiet_libraries()


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Set the store aside (embedded) or drop the collection (server) and ingest afresh.",
)
def ingest(path: Path | None, as_json: bool, rebuild: bool) -> None:
    """Ingest PATH (default: the corpus folder) into the store."""
    from assistant import Settings
    from ingest.store import ChromaStore

    if rebuild:
        settings = Settings()
        aside = ChromaStore.reset(settings.collection, settings.data_dir, settings.chroma_url)
        if aside is not None:
            click.echo(f"moved the old store to {aside}", err=True)
    assistant = _assistant()
    try:
        report = assistant.ingest(path, progress=not as_json and sys.stderr.isatty())
    except FileNotFoundError as error:
        _fail(str(error), EXIT_UNAVAILABLE)
    if as_json:
        _dump(report.to_dict())
    else:
        click.echo(report.summary())


@main.command()
@click.argument("question")
@click.option("--k", default=5, show_default=True, help="Passages to answer from.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--stream", is_flag=True, help="Print the answer as it is written.")
def ask(question: str, k: int, as_json: bool, stream: bool) -> None:
    """Answer QUESTION from the corpus, with citations."""
    assistant = _assistant()
    if stream and not as_json:
        answer = _echo_stream(assistant, question, k)
    else:
        answer = assistant.ask(question, k=k)
    if as_json:
        _dump(answer_json(answer))
        return
    if not stream:
        click.echo(_plain(answer.answer))
    for check in answer.sentences:
        if not check.supported:
            click.echo(_plain(f"  ⚠ not supported by its citations: {check.text}"))
    if answer.notice:
        click.echo(_plain(f"\n({answer.notice})"))
    for citation in answer.citations:
        marker = " (translation)" if citation.translation_of else ""
        where = citation.location.label(citation.title)
        click.echo(_plain(f"\n[{citation.n}] {citation.title}{marker} — {where}"))
        click.echo(_plain(f"    {citation.text}"))
        if citation.translation_of:
            click.echo(_plain(f"    original: {citation.original_text}"))


def _echo_stream(assistant: Any, question: str, k: int) -> Any:
    """Echo the pieces as they arrive; the final answer follows a rule when it differs from
    them (a refusal, the extractive fallback, sentences dropped after checking)."""
    from assistant.types import Answer

    shown: list[str] = []
    final = None
    for piece in assistant.stream(question, k=k):
        if isinstance(piece, Answer):
            final = piece
        else:
            shown.append(piece)
            click.echo(_plain(piece), nl=False)
    click.echo()
    if final is not None and final.answer.strip() != "".join(shown).strip():
        click.echo("─" * 40)
        click.echo(_plain(final.answer))
    return final


def answer_json(answer: Any) -> dict[str, Any]:
    """The ``ask --json`` contract: question, language, mode, answer, refused, citations..."""
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
        "unanswered": data["unanswered"],
        "timings_ms": data["timings_ms"],
    }


@main.command()
@click.argument("question")
@click.option("--k", default=10, show_default=True, help="Passages to return.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def retrieve(question: str, k: int, as_json: bool) -> None:
    """Show the passages retrieved for QUESTION, best first."""
    assistant = _assistant()
    passages = assistant.retrieve(question, k=k)
    if as_json:
        _dump([passage.to_dict() for passage in passages])
        return
    for rank, passage in enumerate(passages, start=1):
        click.echo(
            _plain(
                f"{rank:>2}. {passage.score:.4f}  {passage.doc_id} ({passage.lang}) "
                f"{passage.location.label(passage.title)}\n    {passage.text[:200]}"
            )
        )


@main.command(name="eval")
@click.option("--questions", type=click.Path(exists=True, path_type=Path), help="Questions JSONL.")
@click.option("--claims", type=click.Path(exists=True, path_type=Path), help="Claims JSONL.")
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Output JSONL.")
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Folder for the markdown and HTML reports.",
)
@click.option("--no-baseline", is_flag=True, help="Skip the naive LangChain baseline.")
@click.option(
    "--fail-under",
    "fail_under",
    multiple=True,
    metavar="METRIC=VALUE",
    help="Exit 1 when a metric (overall, or LANG.METRIC) is under VALUE. Repeatable.",
)
def evaluate(
    questions: Path | None,
    claims: Path | None,
    out: Path,
    reports_dir: Path,
    no_baseline: bool,
    fail_under: tuple[str, ...],
) -> None:
    """Score the assistant on a questions file, or the verifier on a claims file.

    \b
    kakehashi eval --questions eval/questions/dev.jsonl --out runs/dev.jsonl
    kakehashi eval --claims eval/claims.jsonl --out runs/claims.jsonl
    kakehashi eval --questions ... --out ... --fail-under hit@5=0.9 --fail-under ja.mrr=0.7
    """
    from assistant import Settings
    from assistant.grounding import make_verifier
    from eval.claims import judge, load_claims, verdict_records
    from eval.claims import report as claims_report
    from eval.editions import Editions
    from eval.gates import CLAIMS_GATED, check_gates, parse_gate
    from eval.report import write_reports
    from eval.run import load_questions, run_questions, write_jsonl
    from eval.summary import GATED, format_table, summarize

    if (questions is None) == (claims is None):
        _fail("give exactly one of --questions FILE or --claims FILE", EXIT_USAGE)
        return
    gates = [parse_gate(text, CLAIMS_GATED if claims is not None else GATED) for text in fail_under]
    progress = sys.stderr.isatty()
    settings = Settings()

    if claims is not None:
        from ingest.embed import make_embedder

        items = load_claims(claims)
        embedder = make_embedder(settings.embedder)
        # where a claim's passage has another edition in the corpus (none without a corpus)
        corpus = Path(settings.corpus_dir)
        editions = Editions.from_corpus(corpus) if corpus.is_dir() else Editions.from_documents([])
        judged = judge(make_verifier(settings, embedder), items, progress, editions)
        write_jsonl(verdict_records(judged), out)
        result = claims_report(judged)
        click.echo(result.markdown())
        overall = result.gate_metrics()
        failures = []
        for gate in gates:
            value = overall.get(gate.metric)
            if value is None:
                failures.append(f"{gate.name}: not a claims metric")
            elif value < gate.minimum:
                failures.append(f"{gate.name} = {value:.3f} is under {gate.minimum:g}")
        if failures:
            _fail("regression gate failed:\n  " + "\n  ".join(failures))
        return

    assert questions is not None
    items_q = load_questions(questions)
    assistant = _assistant()
    verifier = make_verifier(settings, assistant.embedder)
    baseline = None
    if not no_baseline:
        from eval.baseline import NaiveRAG

        baseline = NaiveRAG(settings.corpus_dir, assistant.embedder)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:  # one line per question, as it is done

        def written(record: dict[str, Any]) -> None:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()

        records = run_questions(
            assistant,
            items_q,
            progress=progress,
            verifier=verifier,
            baseline=baseline,
            on_record=written,
        )
    table = summarize(records)
    failures = check_gates(table, gates)
    md_path, html_path = write_reports(
        reports_dir,
        out.stem,
        table,
        records,
        title=f"Kakehashi eval: {questions.name}",
        failures=failures,
        extra_markdown=(
            f"Naive baseline: {baseline.chunks} chunks of the same corpus "
            "(RecursiveCharacterTextSplitter defaults: 4,000 characters)."
            if baseline is not None
            else ""
        ),
    )
    click.echo(format_table(table))
    click.echo(f"\nrecords: {out}\nreport: {md_path} · {html_path}")
    if failures:
        _fail("regression gate failed:\n  " + "\n  ".join(failures))


@main.group()
def llm() -> None:
    """The language model Kakehashi ships (the llm extra)."""


@llm.command(name="serve")
@click.option("--port", default=0, type=int, help="Port on 127.0.0.1 [a free one].")
def llm_serve(port: int) -> None:
    """Serve the packaged model on 127.0.0.1 with a fresh key until stopped.

    Prints KAKEHASHI_LLM_BASE_URL, KAKEHASHI_LLM_MODEL and KAKEHASHI_LLM_API_KEY, one a line,
    once the server answers.
    """
    from assistant import Settings
    from assistant.local_model import serve_until_stopped

    serve_until_stopped(Settings().data_dir, port)


@main.command()
@click.option("--host", default=None, help="Address to bind [KAKEHASHI_UI_HOST, 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [KAKEHASHI_UI_PORT, 7860].")
def serve(host: str | None, port: int | None) -> None:
    """Start the founders' chat in the browser (Gradio)."""
    from assistant import Assistant, Settings
    from ui.serve import serve as serve_chat

    settings = Settings()
    host, port = host or settings.ui_host, port or settings.ui_port
    serve_chat(settings, lambda: Assistant(settings), host, port)


if __name__ == "__main__":
    main()
