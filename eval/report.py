"""The evaluation report: a markdown summary and a self-contained HTML page (plots embedded as
base64 PNGs, so the page can be mailed or attached to a CI run as one file)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.metrics import reciprocal_rank
from eval.summary import format_table

PLOTTED = ("hit@1", "hit@5", "mrr", "ndcg@10", "citation_recall", "faithfulness", "fact_coverage")


def worst_questions(records: Sequence[dict[str, Any]], n: int = 8) -> list[dict[str, Any]]:
    """Answerable questions that went worst: by reciprocal rank, then unsupported sentences,
    then fact coverage; a refused answerable question is as bad as it gets."""

    def badness(record: dict[str, Any]) -> tuple[float, float, float]:
        rr = reciprocal_rank(record["hits"])
        faithful = record.get("faithfulness", 0.0 if record["refused"] else 1.0)
        facts = record.get("fact_coverage") or 0.0
        return (rr + faithful + facts, rr, facts)

    answerable = [r for r in records if r["answerable"]]
    return sorted(answerable, key=badness)[:n]


def markdown(
    table: dict[str, dict[str, float]],
    records: Sequence[dict[str, Any]],
    *,
    title: str,
    failures: Sequence[str] = (),
    extra: str = "",
) -> str:
    lines = [
        f"# {title}",
        "",
        f"{len(records)} questions · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        "Retrieval is graded on answerable questions against the gold quotes; `naive` is the "
        "LangChain baseline (RecursiveCharacterTextSplitter defaults, same embedder, Chroma "
        "similarity search). Citation recall/precision follow ALCE, faithfulness is supported "
        "sentences / all sentences, both judged by the offline verifier. `chars@5` is the mean "
        "length of the top 5 passages: a hit in a 4,000-character chunk tells a reader less "
        "than a hit in a 300-character one.",
        "",
        format_table(table),
        "",
    ]
    if failures:
        lines += ["## Regression gate: FAILED", "", *[f"- {f}" for f in failures], ""]
    lines += ["## Worst questions", ""]
    for record in worst_questions(records):
        rr = reciprocal_rank(record["hits"])
        lines.append(
            f"- **{record['id']}** ({record['lang']}) RR={rr:.2f} "
            f"facts={record.get('fact_coverage') or 0:.2f} refused={record['refused']}: "
            f"{record['question']}"
        )
    if extra:
        lines += ["", extra]
    return "\n".join(lines) + "\n"


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def plots(table: dict[str, dict[str, float]], records: Sequence[dict[str, Any]]) -> list[str]:
    """Per-language metrics (with the baseline's retrieval beside), latency distribution."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # the report still has its tables
        return []
    images = []
    langs = list(table)
    metrics = [m for m in PLOTTED if any(m in table[lang] for lang in langs)]
    figure, axes = plt.subplots(1, len(langs), figsize=(3.2 * len(langs), 3.4), sharey=True)
    for axis, lang in zip(axes if len(langs) > 1 else [axes], langs, strict=True):
        ours = [table[lang].get(m, 0.0) for m in metrics]
        naive = [table[lang].get(f"baseline_{m}", float("nan")) for m in metrics]
        positions = range(len(metrics))
        axis.bar([p - 0.2 for p in positions], ours, width=0.4, label="Kakehashi")
        axis.bar([p + 0.2 for p in positions], naive, width=0.4, label="naive baseline")
        axis.set_xticks(list(positions), metrics, rotation=60, ha="right", fontsize=8)
        axis.set_ylim(0, 1.05)
        axis.set_title(lang)
    (axes[0] if len(langs) > 1 else axes).legend(fontsize=7, loc="lower left")
    figure.suptitle("Metrics per language")
    images.append(_png(figure))
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(6, 3))
    totals = [float(r["timings_ms"].get("total", 0.0)) for r in records]
    axis.hist(totals, bins=min(30, max(5, len(totals) // 2)))
    axis.set_xlabel("answer latency (ms)")
    axis.set_ylabel("questions")
    axis.set_title("Latency distribution")
    images.append(_png(figure))
    plt.close(figure)
    return images


def html_page(
    table: dict[str, dict[str, float]],
    records: Sequence[dict[str, Any]],
    *,
    title: str,
    failures: Sequence[str] = (),
    extra_html: str = "",
) -> str:
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px}",
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;",
        "padding:3px 6px;text-align:right}td:first-child,th:first-child{text-align:left}",
        ".fail{color:#b00}.passage{font-size:12px;color:#333;margin:2px 0 2px 1rem}",
        ".hit{background:#e6ffe6}.bad{color:#b00}details{margin:.6rem 0}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>{len(records)} questions · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC</p>",
        _html_table(table),
    ]
    if failures:
        parts.append("<h2 class='fail'>Regression gate: FAILED</h2><ul>")
        parts += [f"<li class='fail'>{esc(f)}</li>" for f in failures]
        parts.append("</ul>")
    for image in plots(table, records):
        parts.append(f"<p><img alt='plot' src='data:image/png;base64,{image}'></p>")
    parts.append("<h2>Worst questions</h2>")
    for record in worst_questions(records):
        parts.append(_html_question(record))
    parts.append(extra_html)
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_table(table: dict[str, dict[str, float]]) -> str:
    from eval.summary import COLUMNS

    columns = [c for c in COLUMNS if any(c[0] in row for row in table.values())]
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in columns)
    rows = []
    for lang, row in table.items():
        cells = "".join(
            f"<td>{fmt.format(row[key]) if key in row else '–'}</td>" for key, _, fmt in columns
        )
        rows.append(f"<tr><td>{html.escape(lang)}</td>{cells}</tr>")
    return f"<table><tr><th>lang</th>{head}</tr>{''.join(rows)}</table>"


def _html_question(record: dict[str, Any]) -> str:
    esc = html.escape
    rr = reciprocal_rank(record["hits"])
    sentences = "".join(
        f"<li class='{'' if s['supported'] else 'bad'}'>{esc(s['text'])} "
        f"{esc(str(s['citations']))} — {esc(s['reason'])} ({s['score']:.3f})</li>"
        for s in record.get("sentences", [])
    )
    passages = "".join(
        f"<div class='passage {'hit' if hit else ''}'>#{rank} {esc(p['text'][:400])}</div>"
        for rank, (p, hit) in enumerate(
            zip(record["passages"][:5], record["hits"][:5], strict=False), start=1
        )
    )
    return (
        f"<details><summary><b>{esc(record['id'])}</b> ({esc(record['lang'])}) RR={rr:.2f} "
        f"facts={record.get('fact_coverage') or 0:.2f} refused={record['refused']} — "
        f"{esc(record['question'])}</summary><p><b>Answer</b>: {esc(record['answer'])}</p>"
        f"<ul>{sentences}</ul><p><b>Top passages</b> (green: contains a gold quote)</p>"
        f"{passages}</details>"
    )


def write_reports(
    folder: Path,
    stem: str,
    table: dict[str, dict[str, float]],
    records: Sequence[dict[str, Any]],
    *,
    title: str = "Kakehashi evaluation",
    failures: Sequence[str] = (),
    extra_markdown: str = "",
) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    md_path = folder / f"{stem}.md"
    html_path = folder / f"{stem}.html"
    md_path.write_text(
        markdown(table, records, title=title, failures=failures, extra=extra_markdown),
        encoding="utf-8",
    )
    extra_html = f"<pre>{html.escape(extra_markdown)}</pre>" if extra_markdown else ""
    html_path.write_text(
        html_page(table, records, title=title, failures=failures, extra_html=extra_html),
        encoding="utf-8",
    )
    return md_path, html_path
