"""ingest.chunk on the real essay: whole sentences, token budget, sections, offsets, ids."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import replace

import pytest

from assistant.text import paragraph_spans, split_clauses, split_sentences
from ingest.chunk import (
    DEFAULT_MAX_TOKENS,
    SECTION_SEPARATOR,
    Chunk,
    chunk_document,
    content_id,
    is_heading,
    paragraphs,
)
from ingest.load import Document
from ingest.tokens import count_tokens

pytestmark = pytest.mark.unit

BUDGETS = [DEFAULT_MAX_TOKENS, 96, 48]
HISTORY = "歷史縱深:從「雁行」到「聯防」,台、日關係的三次迭代"
SOULS = "創業家靈魂的對撞與重塑:一場心智模型的共同演化"
CULTURE = "文化解碼:透視日本商業的決策核心——稟議制"
SOFTWARE = "軟體新定位:不只是工具,而是深科技的「神經系統」"


@pytest.fixture(scope="module")
def chunks(essay: Document) -> list[Chunk]:
    return chunk_document(essay, count_tokens)


def chunk_of(chunks: list[Chunk], starting: str) -> Chunk:
    return next(chunk for chunk in chunks if chunk.text.startswith(starting))


# -- whole sentences within the budget --------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh-TW", "en", "ja"])
@pytest.mark.parametrize("budget", BUDGETS)
def test_chunks_respect_the_token_budget(
    editions: dict[str, Document], lang: str, budget: int
) -> None:
    found = chunk_document(editions[lang], count_tokens, max_tokens=budget)
    assert found
    assert max(count_tokens(chunk.text) for chunk in found) <= budget


@pytest.mark.parametrize("lang", ["zh-TW", "en", "ja"])
@pytest.mark.parametrize("budget", BUDGETS)
def test_no_chunk_ends_mid_sentence(editions: dict[str, Document], lang: str, budget: int) -> None:
    """A chunk ends where a sentence ends (or its paragraph's body ends). Only a sentence that
    alone exceeds the budget may be cut, at a clause boundary; only a clause that alone exceeds
    the budget may be cut anywhere (the last resort)."""
    document = editions[lang]
    sentences = split_sentences(document.text)
    clauses = split_clauses(document.text)
    sentence_ends = {sentence.end for sentence in sentences}
    body_ends = {p.body.end for p in paragraphs(document.text) if p.body is not None}
    for chunk in chunk_document(document, count_tokens, max_tokens=budget):
        if chunk.end in sentence_ends or chunk.end in body_ends:
            continue
        sentence = next(s for s in sentences if s.start < chunk.end < s.end)
        assert count_tokens(sentence.text) > budget, f"cut mid-sentence: {chunk.text!r}"
        if chunk.end in {clause.end for clause in clauses}:
            continue
        clause = next(c for c in clauses if c.start < chunk.end < c.end)
        assert count_tokens(clause.text) > budget, f"cut mid-clause: {chunk.text!r}"


def test_the_default_budget_never_cuts_a_sentence(editions: dict[str, Document]) -> None:
    for document in editions.values():
        sentence_ends = {sentence.end for sentence in split_sentences(document.text)}
        for chunk in chunk_document(document, count_tokens):
            assert chunk.end in sentence_ends, chunk.text


def test_a_paragraph_over_the_budget_is_split_between_sentences(
    chunks: list[Chunk], essay: Document
) -> None:
    paragraph_five = [chunk for chunk in chunks if chunk.paragraph == 5]
    assert len(paragraph_five) == 2
    first, second = paragraph_five
    assert first.text.endswith("形成完美的互補。")
    assert second.text.startswith("分析本次調查的 39 家台灣受訪企業")
    assert first.end <= second.start


# -- offsets, metadata ------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["zh-TW", "en", "ja"])
@pytest.mark.parametrize("budget", BUDGETS)
def test_offsets_slice_the_source_exactly(
    editions: dict[str, Document], lang: str, budget: int
) -> None:
    document = editions[lang]
    previous_end = 0
    for ordinal, chunk in enumerate(chunk_document(document, count_tokens, max_tokens=budget)):
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert chunk.start >= previous_end
        assert chunk.ordinal == ordinal
        previous_end = chunk.end


@pytest.mark.parametrize("lang", ["zh-TW", "en", "ja"])
def test_chunks_and_headings_cover_every_paragraph(
    editions: dict[str, Document], lang: str
) -> None:
    """Nothing of the document is lost: each body is its chunks joined by white space only."""
    document = editions[lang]
    found = chunk_document(document, count_tokens, max_tokens=48)
    spans = paragraph_spans(document.text)
    for paragraph in paragraphs(document.text):
        pieces = [chunk for chunk in found if chunk.paragraph == paragraph.index]
        if paragraph.body is None:
            assert not pieces
            continue
        assert pieces[0].start == paragraph.body.start
        assert pieces[-1].end == paragraph.body.end
        for left, right in itertools.pairwise(pieces):
            assert document.text[left.end : right.start].strip() == ""
        assert spans[paragraph.index - 1].text.startswith(paragraph.body.text)


def test_chunks_carry_the_document_metadata(editions: dict[str, Document]) -> None:
    for document in editions.values():
        for chunk in chunk_document(document, count_tokens):
            assert (chunk.doc_id, chunk.title, chunk.lang) == (
                document.doc_id,
                document.title,
                document.lang,
            )
            assert (chunk.source, chunk.date, chunk.translation_of) == (
                document.source,
                document.date,
                document.translation_of,
            )


def test_paragraph_index_counts_non_empty_lines(chunks: list[Chunk], essay: Document) -> None:
    spans = paragraph_spans(essay.text)
    for chunk in chunks:
        assert chunk.text in spans[chunk.paragraph - 1].text
    # the essay has an empty line after its 19th paragraph: indexes do not count it
    assert chunk_of(chunks, "這解釋了為什麼「合作」變得如此困難").paragraph == 20


def test_metadata_round_trips_through_the_store_shape(chunks: list[Chunk]) -> None:
    for chunk in chunks:
        metadata = chunk.to_metadata()
        assert all(isinstance(value, str | int) for value in metadata.values())
        assert Chunk.from_record(chunk.chunk_id, chunk.text, metadata) == chunk


# -- sections ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("starting", "section"),
    [
        ("2025 年末至 2026 年初", ""),
        (
            "要理解為何 2025 年是台日合作的關鍵轉折點",
            "歷史縱深:從「雁行」到「聯防」,台、日關係的三次迭代",
        ),
        ("在冷戰架構下", f"{HISTORY} › Phase 1 冷戰時期(1980s):垂直分工體系"),
        ("台灣企業的敏捷與速度", f"{SOULS} › 1. 台灣創業者:從「下意識求生」到「有意識佈局」"),
        ("稟議制是日本特有的", f"{CULTURE} › 機制解構:共識的演算法"),
        # inline trailing headings ("... 。 - Heading") open the section of the next paragraph
        ("從效率觀點來看", f"{CULTURE} › 效率的雙面性:從 High Latency 到 Zero Friction"),
        ("稟議制卡關的另一個物理原因", f"{CULTURE} › 物理障礙:量體的不對稱"),
        ("面對全球化競爭", f"{CULTURE} › 破局之道:Dejima 與「協作者」思維"),
        ("日本在材料科學", f"{SOFTWARE} › AI for Science:從「語言模型」到「科學模型」"),
    ],
)
def test_sections_follow_the_essay_headings(
    chunks: list[Chunk], starting: str, section: str
) -> None:
    assert chunk_of(chunks, starting).section == section.replace(" › ", SECTION_SEPARATOR)


@pytest.mark.parametrize(
    ("starting", "heading"),
    [
        ("優勢:執行阻力零", "物理障礙:量體的不對稱"),
        ("稟議制卡關的另一個物理原因", "破局之道"),
        ("這解釋了為何日本企業在面對未經驗證的新創技術時", "效率的雙面性"),
        ("台灣軟體業者進入日本市場時", "AI for Science"),
    ],
)
def test_an_inline_heading_is_not_part_of_the_paragraph_before_it(
    chunks: list[Chunk], starting: str, heading: str
) -> None:
    chunk = chunk_of(chunks, starting)
    assert heading not in chunk.text
    assert chunk.text.endswith("。")
    assert heading not in chunk.section


def test_inline_headings_of_the_translations_open_sections_too(
    editions: dict[str, Document],
) -> None:
    english = chunk_document(editions["en"], count_tokens)
    scale = chunk_of(english, "Another physical reason ringi stalls")
    assert scale.section.endswith("Physical barrier: asymmetry of scale")
    japanese = chunk_document(editions["ja"], count_tokens)
    assert any(c.section.endswith("物理的な障壁:規模の非対称性") for c in japanese)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("歷史縱深:從「雁行」到「聯防」,台、日關係的三次迭代", True),
        ("Phase 1 冷戰時期(1980s):垂直分工體系", True),
        ("## Heading", True),
        ("取而代之的,是一場「實體革命(Physical Revolution)」。", False),
        ("從效率觀點來看,稟議制具有鮮明的雙面性:", False),
        ("", False),
    ],
)
def test_is_heading(line: str, expected: bool) -> None:
    assert is_heading(line) is expected


# -- ids --------------------------------------------------------------------------------------
def test_ids_are_sha256_of_the_embedded_content_with_sorted_keys(chunks: list[Chunk]) -> None:
    for chunk in chunks:
        payload = {"text": chunk.text, "doc_id": chunk.doc_id, "section": chunk.section}
        expected = hashlib.sha256(
            json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        ).hexdigest()
        assert chunk.chunk_id == expected


def test_ids_are_unique_and_stable(editions: dict[str, Document]) -> None:
    first = [c.chunk_id for d in editions.values() for c in chunk_document(d, count_tokens)]
    second = [c.chunk_id for d in editions.values() for c in chunk_document(d, count_tokens)]
    assert first == second
    assert len(set(first)) == len(first)


def test_moving_a_paragraph_keeps_its_id_and_editing_it_changes_only_its_id(
    essay: Document,
) -> None:
    before = {c.chunk_id: c for c in chunk_document(essay, count_tokens)}
    moved = replace(essay, text="新加入的第一段。\n" + essay.text)
    after_move = chunk_document(moved, count_tokens)
    assert set(before) < {c.chunk_id for c in after_move}
    assert len(after_move) == len(before) + 1

    edited_text = essay.text.replace("創業圈的風向標已徹底轉向。", "創業圈的風向標已完全轉向。")
    after_edit = {
        c.chunk_id for c in chunk_document(replace(essay, text=edited_text), count_tokens)
    }
    assert len(set(before) - after_edit) == 1
    assert len(after_edit - set(before)) == 1


def test_repeated_text_gets_distinct_ids() -> None:
    document = Document("doc", "Doc", "zh-TW", "同一句話。\n同一句話。\n", "doc.txt")
    first, second = chunk_document(document, count_tokens)
    assert first.text == second.text
    assert first.chunk_id != second.chunk_id
    assert first.chunk_id == content_id("doc", "", "同一句話。")
