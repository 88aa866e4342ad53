"""The benchmark package imports, and its synthetic data is deterministic and searchable."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# benchmarks/ is run as ``python -m benchmarks`` from the repository and is not an installed
# package; the ``pytest`` script does not put the repository on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks import synthetic
from benchmarks.report import Report, Row, table
from benchmarks.stats import Summary


@pytest.mark.unit
def test_synthetic_chunks_are_deterministic_multilingual_and_searchable() -> None:
    from assistant.lexical import LexicalIndex

    first = synthetic.chunks(60)
    again = synthetic.chunks(60)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert {c.lang for c in first} == set(synthetic.LANGS)
    assert len({c.chunk_id for c in first}) == 60

    index = LexicalIndex([chunk.embed_text for chunk in first])
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
    report.rows.append(Row("warm", "hybrid", "ms", Summary.of([1, 2, 3]), Summary.of([4, 6, 8])))
    assert report.rows[0].advantage == pytest.approx(3.0)
    assert "3.0× faster" in table(report)
