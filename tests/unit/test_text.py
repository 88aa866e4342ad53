"""assistant.text: sentences and clauses with offsets, numbers, language, script folding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assistant.text import (
    Span,
    detect_language,
    ends_sentence,
    extract_numbers,
    fold_script,
    frame_language,
    lexical_tokens,
    paragraph_spans,
    split_clauses,
    split_sentences,
)
from ingest.load import Document

pytestmark = pytest.mark.unit

FULLWIDTH_QUESTION = "\uff1f"  # ？
FULLWIDTH_EXCLAMATION = "\uff01"  # ！


def texts(spans: list[Span]) -> list[str]:
    return [span.text for span in spans]


def assert_slices(source: str, spans: list[Span]) -> None:
    """Every span is exactly ``source[start:end]``, in order, without overlap."""
    previous_end = 0
    for span in spans:
        assert source[span.start : span.end] == span.text
        assert span.start >= previous_end
        assert span.text == span.text.strip() and span.text
        previous_end = span.end


# -- sentences --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("第一句。第二句!第三句?第四句", ["第一句。", "第二句!", "第三句?", "第四句"]),
        ("他說:「好。」然後離開。", ["他說:「好。」", "然後離開。"]),
        (
            "稟議制是『共識』。根回し(Nemawashi)が先。",
            ["稟議制是『共識』。", "根回し(Nemawashi)が先。"],
        ),
        (
            "The model faded. Next one! Really? Yes.",
            ["The model faded.", "Next one!", "Really?", "Yes."],
        ),
        ("As it said, “it ended.” Then more.", ["As it said, “it ended.”", "Then more."]),
        ("第一行沒有句號\n第二行", ["第一行沒有句號", "第二行"]),
    ],
)
def test_sentences_end_on_cjk_and_latin_enders(source: str, expected: list[str]) -> None:
    spans = split_sentences(source)
    assert texts(spans) == expected
    assert_slices(source, spans)


def test_fullwidth_question_and_exclamation_marks_end_sentences() -> None:
    source = f"本当ですか{FULLWIDTH_QUESTION}はい{FULLWIDTH_EXCLAMATION}そうです。"
    assert texts(split_sentences(source)) == [
        f"本当ですか{FULLWIDTH_QUESTION}",
        f"はい{FULLWIDTH_EXCLAMATION}",
        "そうです。",
    ]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "在我們尋訪的台灣受訪者中,61.5% 的赴日台灣團隊規模在 30 人以下。下一句。",
            ["在我們尋訪的台灣受訪者中,61.5% 的赴日台灣團隊規模在 30 人以下。", "下一句。"],
        ),
        (
            "The Web 2.0 model has indeed faded. But software matters.",
            ["The Web 2.0 model has indeed faded.", "But software matters."],
        ),
        (
            "Among them, 61.5% of teams are small. Next.",
            ["Among them, 61.5% of teams are small.", "Next."],
        ),
        ("U.S. firms grew. Dr. Sato agreed.", ["U.S. firms grew.", "Dr. Sato agreed."]),
        (
            "過去那種 Web 2.0 模式確實已經式微。但在深科技時代",
            ["過去那種 Web 2.0 模式確實已經式微。", "但在深科技時代"],
        ),
    ],
)
def test_decimals_versions_and_abbreviations_do_not_split(source: str, expected: list[str]) -> None:
    spans = split_sentences(source)
    assert texts(spans) == expected
    assert_slices(source, spans)


@pytest.mark.parametrize("lang", ["zh-TW", "en", "ja"])
def test_sentence_offsets_slice_each_edition_and_lose_nothing(
    editions: dict[str, Document], lang: str
) -> None:
    source = editions[lang].text
    spans = split_sentences(source)
    assert_slices(source, spans)
    assert "".join("".join(span.text.split()) for span in spans) == "".join(source.split())
    # a sentence never crosses a line: paragraphs are lines
    assert all("\n" not in span.text for span in spans)


def test_the_essay_has_the_sentences_a_reader_sees(essay: Document) -> None:
    sentences = texts(split_sentences(essay.text))
    assert "取而代之的,是一場「實體革命(Physical Revolution)」。" in sentences
    assert any(s.startswith("數據顯示,在我們尋訪的台灣受訪者中,61.5% 的赴日") for s in sentences)
    assert any(
        "過去那種依靠補貼換取用戶數" in s and "Web 2.0 模式確實已經式微。" in s for s in sentences
    )
    assert any(s.endswith("既有障礙?") for s in sentences)


# -- clauses ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("A, B: C; D.", ["A,", "B:", "C;", "D."]),
        (
            "台灣擁有技術與彈性,但缺乏國家級融資與外交掩護。",
            ["台灣擁有技術與彈性,", "但缺乏國家級融資與外交掩護。"],
        ),
        (
            "劣勢:決策潛伏期長;優勢:執行阻力零。",
            ["劣勢:", "決策潛伏期長;", "優勢:", "執行阻力零。"],
        ),
        ("材料科學、半導體化學與生物製藥", ["材料科學、", "半導體化學與生物製藥"]),
        ("全形,逗號:冒號;分號", ["全形,", "逗號:", "冒號;", "分號"]),
    ],
)
def test_clauses_split_on_ascii_and_fullwidth_comma_colon_semicolon(
    source: str, expected: list[str]
) -> None:
    spans = split_clauses(source)
    assert texts(spans) == expected
    assert_slices(source, spans)


def test_clauses_nest_inside_sentences(essay: Document) -> None:
    sentences = split_sentences(essay.text)
    clauses = split_clauses(essay.text)
    assert_slices(essay.text, clauses)
    assert len(clauses) > len(sentences)
    ends = {sentence.end for sentence in sentences}
    assert ends <= {clause.end for clause in clauses}
    for clause in clauses:
        assert any(s.start <= clause.start and clause.end <= s.end for s in sentences)


@pytest.mark.parametrize(
    ("source", "whole"),
    [
        ("a shortage of 790,000 people, which is large.", "790,000"),
        ("會議在 10:30 開始,共 3 人。", "10:30"),
    ],
)
def test_clauses_keep_numbers_whole(source: str, whole: str) -> None:
    assert any(whole in clause for clause in texts(split_clauses(source)))


# -- numbers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "written",
    ["79 萬", "79萬", "79万", "790,000", "790000", "790 thousand", "0.79 million", "79 萬人"],
)
def test_the_same_number_in_every_notation(written: str) -> None:
    assert extract_numbers(written) == {Decimal(790000)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("61.5% 的赴日台灣團隊", {Decimal("61.5")}),
        ("Web 2.0", {Decimal(2)}),
        ("規模在 30 人以下", {Decimal(30)}),
        ("the 21st century", {Decimal(21)}),
        ("冷戰時期(1980s)", {Decimal(1980)}),
        ("1.5 億", {Decimal(150_000_000)}),
        ("\uff13\uff19 家台灣受訪企業", {Decimal(39)}),  # full-width digits
        ("二十一世紀、萬人規模、ten thousand strong", set()),  # no digits, no numbers
    ],
)
def test_numbers_are_normalised(text: str, expected: set[Decimal]) -> None:
    assert extract_numbers(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("人材の不足は79万人にも達する", {Decimal(790000)}),
        ("台湾チームの61.5%は規模が30人以下", {Decimal("61.5"), Decimal(30)}),
        ("2025年末から2026年初頭にかけて", {Decimal(2025), Decimal(2026)}),
        ("佔比已達54%", {Decimal(54)}),
    ],
)
def test_numbers_written_against_cjk_text(text: str, expected: set[Decimal]) -> None:
    assert extract_numbers(text) == expected


def test_numbers_of_an_essay_paragraph(essay: Document) -> None:
    paragraph = next(p.text for p in paragraph_spans(essay.text) if "79 萬人" in p.text)
    assert extract_numbers(paragraph) == {Decimal(2030), Decimal(790000)}


# -- language ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("什麼是稟議制?", "zh-TW"),
        ("什么是稟议制?日本企业为什么决策这么慢?", "zh-TW"),  # Simplified is served as zh-TW
        ("经济安全为什么重要", "zh-TW"),
        ("稟議制とは何ですか?", "ja"),
        ("ネマワシ", "ja"),
        ("What is the ringi system?", "en"),
        ("How did JASM change Kumamoto?", "en"),
        ("為什麼 Dejima 機制重要?", "zh-TW"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected
    assert frame_language(text) == expected  # one language throughout: the same


@pytest.mark.parametrize(
    ("text", "script", "frame"),
    [
        ("What is 稟議制?", "zh-TW", "en"),
        ("Why does 根回し matter before a proposal is submitted?", "ja", "en"),
        ("How does the 出島 model protect a start-up team?", "zh-TW", "en"),
        ("什麼是 patient capital?", "zh-TW", "zh-TW"),
        ("台灣團隊要如何 open the port?", "zh-TW", "zh-TW"),
        ("Global Southとはどういう意味ですか?", "ja", "ja"),
        ("「The Physical Revolution」とは何ですか?", "ja", "ja"),
    ],
)
def test_a_quoted_term_does_not_set_the_frame_language(text: str, script: str, frame: str) -> None:
    assert detect_language(text) == script  # what the verifier's thresholds were fitted by
    assert frame_language(text) == frame  # what the question is answered in


def test_chinese_quoting_a_japanese_term_is_still_chinese(essay: Document) -> None:
    assert detect_language("台灣創業者該如何做好日本的根回し?") == "zh-TW"
    assert detect_language(essay.text) == "zh-TW"


# -- script folding ---------------------------------------------------------------------------
def test_fold_script_makes_traditional_japanese_and_simplified_equal() -> None:
    assert fold_script("經濟") == fold_script("経済") == fold_script("经济")
    assert fold_script("稟議制") == fold_script("稟议制")
    assert fold_script("實體革命") == fold_script("实体革命")


def test_fold_script_normalises_width_and_case() -> None:
    assert fold_script("\uff21\uff29 for Atoms") == "ai for atoms"  # full-width ＡＩ
    assert fold_script("Ringi SYSTEM") == "ringi system"
    assert fold_script("\uff16\uff11.\uff15%") == "61.5%"


@pytest.mark.parametrize("text", ["經濟安全(Economic Security)", "稟議制は日本特有", "Deep Tech"])
def test_fold_script_is_idempotent(text: str) -> None:
    assert fold_script(fold_script(text)) == fold_script(text)


# -- small helpers ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("好。」", True),
        ("Done.", True),
        ("真的?", True),
        ("標題", False),
        ("清單如下:", False),
        ("", False),
    ],
)
def test_ends_sentence(text: str, expected: bool) -> None:
    assert ends_sentence(text) is expected


def test_paragraphs_are_the_non_empty_lines_with_offsets() -> None:
    source = "第一段\n\n  第二段  \r\n第三段\n\n\n"
    spans = paragraph_spans(source)
    assert texts(spans) == ["第一段", "第二段", "第三段"]
    assert_slices(source, spans)


def test_the_essay_has_65_paragraphs(editions: dict[str, Document]) -> None:
    assert {lang: len(paragraph_spans(doc.text)) for lang, doc in editions.items()} == {
        "zh-TW": 65,
        "en": 65,
        "ja": 65,
    }


def test_a_latin_word_does_not_run_on_into_the_chinese_or_japanese_after_it() -> None:
    tokens = lexical_tokens("JASMの熊本工場は2024年に")
    assert "jasm" in tokens
    assert "熊本" in tokens
    assert not any("jasm" in token and token != "jasm" for token in tokens)


def test_words_of_other_latin_scripts_stay_whole() -> None:
    assert lexical_tokens("Ångström café don’t") == ["ångström", "café", "don't"]
