"""What the English/Japanese editions and the glossary do to retrieval and answer language.

Builds three stores in a temporary folder — original only, all editions, all editions with the
glossary — runs the dev questions through each and prints hit@1 / hit@5 / MRR per language and
the language of the quoted sentences per question language.

    .venv/bin/python -m scripts.compare_editions [eval/questions/dev.jsonl]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import warnings
from collections import Counter
from pathlib import Path

from assistant import Assistant, InvalidQuestion, Settings
from eval.metrics import hit_at, mean, passage_hits, reciprocal_rank
from eval.run import LANGS, load_questions

CORPUS = Path("corpus")


def corpus_variant(root: Path, editions: bool, glossary: bool) -> Path:
    folder = root / f"corpus-{int(editions)}{int(glossary)}"
    folder.mkdir()
    for path in CORPUS.iterdir():
        is_edition = ".en." in path.name or ".ja." in path.name
        if path.name == "glossary.json":
            if glossary:
                shutil.copy(path, folder)
        elif editions or not is_edition:
            shutil.copy(path, folder)
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.compare_editions", description=__doc__.splitlines()[0]
    )
    parser.add_argument("questions", nargs="?", type=Path, default=Path("eval/questions/dev.jsonl"))
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, editions, glossary in (
            ("original only", False, False),
            ("+ editions", True, False),
            ("+ editions + glossary", True, True),
        ):
            corpus = corpus_variant(root, editions, glossary)
            settings = Settings(
                corpus_dir=corpus,
                data_dir=root / f"data-{corpus.name}",
                glossary_expansion=glossary,
            )
            assistant = Assistant(settings)
            assistant.ingest()
            rows: dict[str, list[tuple[float, float, float]]] = {lang: [] for lang in LANGS}
            quoted: dict[str, Counter[str]] = {lang: Counter() for lang in LANGS}
            for question in questions:
                try:
                    passages = assistant.retrieve(question.question, k=10)
                    answer = assistant.ask(question.question)
                except InvalidQuestion:
                    continue
                if question.answerable:
                    hits = passage_hits([p.original_text for p in passages], question.gold)
                    rows[question.lang].append(
                        (hit_at(hits, 1), hit_at(hits, 5), reciprocal_rank(hits))
                    )
                for citation in answer.citations:
                    quoted[question.lang][citation.lang] += 1
            print(f"\n## {name}")
            print("| lang | hit@1 | hit@5 | MRR | quoted passages by language |")
            print("|---|---|---|---|---|")
            for lang in LANGS:
                values = rows[lang]
                h1, h5, mrr = (mean(v[i] for v in values) for i in range(3))
                languages = ", ".join(f"{k} {v}" for k, v in quoted[lang].most_common())
                print(f"| {lang} | {h1:.3f} | {h5:.3f} | {mrr:.3f} | {languages} |")


if __name__ == "__main__":
    main()
