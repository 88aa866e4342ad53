"""The benchmark package imports (every section), its command line chooses the sections, and
its synthetic data is deterministic and searchable. Nothing here measures anything."""

from __future__ import annotations

import pytest

from benchmarks import synthetic
from benchmarks.__main__ import DEFAULT, SECTIONS, parse_args
from benchmarks.report import Report, Row, table
from benchmarks.stats import Summary, interleaved


@pytest.mark.unit
def test_synthetic_chunks_are_deterministic_multilingual_and_searchable() -> None:
    from assistant.lexical import LexicalIndex

    first = synthetic.chunks(60)
    again = synthetic.chunks(60)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert {c.lang for c in first} == set(synthetic.LANGS)
    assert len({c.chunk_id for c in first}) == 60

    index = LexicalIndex.build([chunk.embed_text for chunk in first])
    hits = index.top(first[0].text, 5)
    assert hits and hits[0][0] == 0


@pytest.mark.unit
def test_hash_embedder_is_deterministic_and_counts_what_it_embeds() -> None:
    embedder = synthetic.HashEmbedder()
    vectors = embedder.embed(["半導體", "半導体", "semiconductor"], kind="passage")
    assert vectors.shape == (3, synthetic.DIMENSION)
    assert (embedder.embed(["半導體"], kind="passage")[0] == vectors[0]).all()
    assert embedder.embedded == 4


@pytest.mark.unit
def test_table_shows_medians_and_the_ratio_to_the_baseline() -> None:
    report = Report(mode="test")
    report.rows.append(
        Row("warm", "ask", "ms", Summary.of([1, 2, 3]), Summary.of([4, 6, 8]), headline=True)
    )
    report.rows.append(Row("warm", "dense only", "ms", Summary.of([1]), Summary.of([2])))
    assert report.rows[0].advantage == pytest.approx(3.0)
    assert "3.0× faster" in table(report)
    assert "dense only" not in table(report) and "dense only" in table(report, details=True)


@pytest.mark.unit
def test_a_smaller_size_is_fewer_not_faster() -> None:
    report = Report(mode="test")
    report.rows.append(Row("llm", "prompt", "tokens", Summary.of([100]), Summary.of([650])))
    report.rows.append(Row("cold", "peak RSS", "MB", Summary.of([900]), Summary.of([300])))
    shown = table(report, details=True)
    assert "6.5× fewer" in shown and "3.0× more" in shown and "faster" not in shown


@pytest.mark.unit
def test_the_model_runs_only_when_asked_for_and_the_chat_can_be_left_out() -> None:
    assert parse_args([]).sections == list(DEFAULT)
    assert set(DEFAULT) < set(SECTIONS) == {*DEFAULT, "llm", "judge"}
    assert "ui" not in parse_args(["--no-ui"]).sections
    args = parse_args(["--quick", "--only", "warm", "ui", "--llm", "local", "--profile"])
    assert (args.quick, args.profile, args.llm) == (True, True, "local")
    assert args.sections == ["warm", "ui", "llm"]
    assert parse_args(["--only", "ui"]).sections == ["ui"]
    assert parse_args(["--llm", "http://127.0.0.1:8080/v1", "--llm-model", "m"]).llm_model == "m"
    assert parse_args(["--only", "judge", "--llm", "local"]).sections == ["judge", "llm"]


@pytest.mark.unit
@pytest.mark.parametrize(
    "argv",
    [
        ["--only", "llm"],
        ["--only", "judge"],
        ["--llm", "http://127.0.0.1:8080/v1"],
        ["--only", "nope"],
    ],
)
def test_the_llm_section_needs_an_endpoint_and_a_model(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(argv)


@pytest.mark.unit
def test_interleaved_times_both_sides_and_keeps_the_baseline_to_its_budget() -> None:
    calls: list[str] = []
    paired = interleaved(calls.append, calls.append, ["a", "b", "c"], rounds=2, warmup=1)
    assert calls[:2] == ["a", "a"] and len(calls) == 2 + 2 * 2 * 3
    assert paired.ours.n == paired.theirs.n == 6
    budgeted = interleaved(str, str, list("abcdefgh"), warmup=0, budget_s=0.0, min_runs=3)
    assert (budgeted.ours.n, budgeted.theirs.n) == (8, 3)
