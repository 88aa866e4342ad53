"""ingest.align: translations line up with the original paragraph by paragraph, or are refused
naming the first paragraph that does not."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.errors import MisalignedTranslation
from assistant.text import paragraph_spans
from ingest.align import check_alignment, check_translation, paragraph_mismatch
from ingest.index import prepare
from ingest.load import Document
from ingest.tokens import count_tokens

pytestmark = pytest.mark.unit


def lines(document: Document) -> list[str]:
    return [span.text for span in paragraph_spans(document.text)]


def with_lines(document: Document, new_lines: list[str]) -> Document:
    return replace(document, text="\n".join(new_lines) + "\n")


def named_paragraph(error: pytest.ExceptionInfo[MisalignedTranslation]) -> int:
    match = re.match(r"paragraph (\d+)\b", str(error.value))
    assert match, str(error.value)
    return int(match.group(1))


def edit_paragraph(document: Document, index: int, old: str, new: str) -> Document:
    paragraphs = lines(document)
    assert old in paragraphs[index - 1], (index, old)
    paragraphs[index - 1] = paragraphs[index - 1].replace(old, new)
    return with_lines(document, paragraphs)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_fixture_editions_align(editions: dict[str, Document], lang: str) -> None:
    check_translation(editions[lang], editions["zh-TW"])


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_any_dropped_paragraph_is_refused_never_naming_an_earlier_one(
    editions: dict[str, Document], lang: str
) -> None:
    translation, original = editions[lang], editions["zh-TW"]
    paragraphs = lines(translation)
    for dropped in range(1, len(paragraphs) + 1):
        shorter = with_lines(translation, paragraphs[: dropped - 1] + paragraphs[dropped:])
        with pytest.raises(MisalignedTranslation) as error:
            check_alignment(shorter, original)
        assert named_paragraph(error) >= dropped
        assert original.doc_id in str(error.value)


@pytest.mark.parametrize(
    ("lang", "dropped", "problem"),
    [
        ("en", 9, "the original paragraph is a body paragraph"),  # the 'Phase 1' heading moves up
        ("en", 10, "the original paragraph is a heading"),  # the 'Phase 1' heading dropped
        ("en", 51, "number(s) 3 not in the original paragraph"),
        ("ja", 35, "the original paragraph is a body paragraph"),
        ("ja", 65, "the translation has 64 paragraphs, the original"),  # the last one
    ],
)
def test_a_dropped_paragraph_with_a_landmark_is_named_exactly(
    editions: dict[str, Document], lang: str, dropped: int, problem: str
) -> None:
    translation = editions[lang]
    paragraphs = lines(translation)
    shorter = with_lines(translation, paragraphs[: dropped - 1] + paragraphs[dropped:])
    with pytest.raises(MisalignedTranslation, match=re.escape(problem)) as error:
        check_alignment(shorter, editions["zh-TW"])
    assert named_paragraph(error) == dropped


@pytest.mark.parametrize(("lang", "dropped"), [("en", 1), ("ja", 1), ("en", 43)])
def test_any_dropped_paragraph_is_named_exactly(
    editions: dict[str, Document], lang: str, dropped: int
) -> None:
    translation = editions[lang]
    paragraphs = lines(translation)
    shorter = with_lines(translation, paragraphs[: dropped - 1] + paragraphs[dropped:])
    with pytest.raises(MisalignedTranslation) as error:
        check_alignment(shorter, editions["zh-TW"])
    assert named_paragraph(error) == dropped


def test_an_added_paragraph_is_refused(editions: dict[str, Document]) -> None:
    longer = with_lines(editions["en"], [*lines(editions["en"]), "A closing remark."])
    with pytest.raises(MisalignedTranslation, match="the translation has 66 paragraphs") as error:
        check_alignment(longer, editions["zh-TW"])
    assert named_paragraph(error) == 66


@pytest.mark.parametrize(
    ("index", "old", "new", "shown"),
    [
        (43, "61.5%", "62.5%", "62.5"),
        (51, "790,000", "800,000", "800000"),
        (5, "54%", "64%", "64"),
        (1, "2026", "2027", "2027"),
    ],
)
def test_a_changed_number_in_the_english_edition_is_refused(
    editions: dict[str, Document], index: int, old: str, new: str, shown: str
) -> None:
    changed = edit_paragraph(editions["en"], index, old, new)
    with pytest.raises(MisalignedTranslation, match="not in the original paragraph") as error:
        check_alignment(changed, editions["zh-TW"])
    assert named_paragraph(error) == index
    assert shown in str(error.value)


@pytest.mark.parametrize(
    ("index", "old", "new"), [(51, "79万人", "80万人"), (43, "61.5%", "62.5%")]
)
def test_a_changed_number_in_the_japanese_edition_is_refused(
    editions: dict[str, Document], index: int, old: str, new: str
) -> None:
    changed = edit_paragraph(editions["ja"], index, old, new)
    with pytest.raises(MisalignedTranslation) as error:
        check_alignment(changed, editions["zh-TW"])
    assert named_paragraph(error) == index


def test_the_same_number_in_another_notation_is_not_a_mismatch() -> None:
    assert paragraph_mismatch("a shortage of 790,000 people", "缺口將高達 79 萬人") is None
    assert paragraph_mismatch("不足は 79 万人", "缺口將高達 79 萬人") is None
    assert "number(s) 1000000 not in" in (paragraph_mismatch("1,000,000 people", "79 萬人") or "")


# -- the translation must stand for an original in another language ---------------------------
def note(doc_id: str, lang: str, text: str, translation_of: str | None = None) -> Document:
    return Document(doc_id, doc_id, lang, text, f"{doc_id}.txt", translation_of=translation_of)


ORIGINAL = note("note", "zh-TW", "稟議制\n稟議書需要 3 個印章。\n")
ENGLISH = note("note.en", "en", "The ringi system\nA ringi-sho needs 3 seals.\n", "note")


def test_a_small_translation_that_lines_up_is_accepted() -> None:
    check_translation(ENGLISH, ORIGINAL)


def test_a_translation_with_another_number_is_refused_by_the_ingest_check() -> None:
    changed = replace(ENGLISH, text="The ringi system\nA ringi-sho needs 4 seals.\n")
    with pytest.raises(MisalignedTranslation) as error:
        check_translation(changed, ORIGINAL)
    assert named_paragraph(error) == 2
    assert "number(s) 4 not in the original paragraph" in str(error.value)


def test_a_translation_in_the_language_of_its_original_is_refused() -> None:
    same = replace(ENGLISH, lang="zh-TW", text=ORIGINAL.text)
    with pytest.raises(MisalignedTranslation, match="it is in zh-TW, the language of its original"):
        check_translation(same, ORIGINAL)


def test_a_translation_of_a_translation_is_refused() -> None:
    japanese = note("note.ja", "ja", "稟議制\n稟議書には 3 つの印鑑が必要だ。\n", "note.en")
    with pytest.raises(MisalignedTranslation, match=re.escape("'note.en' is itself a translation")):
        check_translation(japanese, ENGLISH)


# -- ingest applies the check -----------------------------------------------------------------
def test_ingest_refuses_a_misaligned_translation_and_keeps_the_rest(corpus_copy: Path) -> None:
    path = corpus_copy / "taiwan-japan-deep-tech-2025.en.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("61.5%", "62.5%"), encoding="utf-8")
    documents, chunks, failures = prepare(corpus_copy, count_tokens)
    assert sorted(document.lang for document in documents) == ["ja", "zh-TW"]
    assert {chunk.lang for chunk in chunks} == {"ja", "zh-TW"}
    assert [Path(failure.source).name for failure in failures] == [path.name]
    assert failures[0].reason.startswith("misaligned translation: paragraph 43 ")
    assert "62.5" in failures[0].reason


def test_ingest_refuses_a_translation_of_a_missing_original(corpus_copy: Path) -> None:
    (corpus_copy / "taiwan-japan-deep-tech-2025.zh-TW.txt").unlink()
    (corpus_copy / "taiwan-japan-deep-tech-2025.zh-TW.txt.meta.json").unlink()
    documents, chunks, failures = prepare(corpus_copy, count_tokens)
    assert documents == [] and chunks == []
    assert len(failures) == 2
    assert all("which is not in the corpus" in failure.reason for failure in failures)


def test_ingest_refuses_a_translation_that_claims_the_wrong_original(corpus_copy: Path) -> None:
    sidecar = corpus_copy / "taiwan-japan-deep-tech-2025.ja.txt.meta.json"
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    sidecar.write_text(json.dumps({**meta, "translation_of": "another-essay"}), encoding="utf-8")
    documents, _, failures = prepare(corpus_copy, count_tokens)
    assert sorted(document.lang for document in documents) == ["en", "zh-TW"]
    assert "'another-essay', which is not in the corpus" in failures[0].reason


def test_ingest_refuses_a_translation_in_the_language_of_its_original(corpus_copy: Path) -> None:
    japanese = "taiwan-japan-deep-tech-2025.ja.txt"
    sidecar = corpus_copy / f"{japanese}.meta.json"
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    sidecar.write_text(json.dumps({**meta, "lang": "zh-TW"}), encoding="utf-8")
    documents, _, failures = prepare(corpus_copy, count_tokens)
    assert sorted(document.lang for document in documents) == ["en", "zh-TW"]
    assert [Path(failure.source).name for failure in failures] == [japanese]
    assert "it is in zh-TW, the language of its original" in failures[0].reason
