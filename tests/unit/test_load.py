"""ingest.load: encodings, formats, and bad files that fail alone with a clear reason."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from assistant.text import paragraph_spans
from ingest.load import (
    MAX_FILE_BYTES,
    Document,
    LoadError,
    decode_text,
    discover,
    load_corpus,
    load_document,
)

pytestmark = pytest.mark.unit

ZH = (
    "稟議制是日本特有的「由下而上」決策機制。\n"
    "在日本企業中,稟議書並非用來「討論」的,而是用來「確認共識」的。\n"
)
JA = (
    "稟議制は日本特有の「ボトムアップ」の意思決定の仕組みである。\n"
    "日本企業において、稟議書は「議論」のためのものではない。\n"
)
EN = "Ringi is a bottom-up decision system.\nA ringi document confirms a consensus.\n"


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with ``text`` in Helvetica, with a correct xref table."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def make_docx(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(paragraphs[0], level=1)
    for paragraph in paragraphs[1:]:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


# -- the real corpus --------------------------------------------------------------------------
def test_the_corpus_loads_three_editions_with_their_sidecars(corpus_copy: Path) -> None:
    documents, failures = load_corpus(corpus_copy)
    assert failures == []
    by_lang = {document.lang: document for document in documents}
    assert sorted(by_lang) == ["en", "ja", "zh-TW"]
    original = by_lang["zh-TW"]
    assert original.doc_id == "taiwan-japan-deep-tech-2025"
    assert original.translation_of is None
    assert original.title == "台日深科技合作:從稟議制到全球南方"
    assert original.date == "2025-12"
    for lang in ("en", "ja"):
        assert by_lang[lang].translation_of == original.doc_id
        assert by_lang[lang].doc_id == f"{original.doc_id}.{lang}"


def test_the_original_is_loaded_byte_for_byte(corpus_copy: Path) -> None:
    path = corpus_copy / "taiwan-japan-deep-tech-2025.zh-TW.txt"
    assert load_document(path).text == path.read_bytes().decode("utf-8")


def test_sidecars_glossary_and_hidden_files_are_not_documents(corpus_copy: Path) -> None:
    write(corpus_copy, ".DS_Store", b"\x00\x01")
    write(corpus_copy, ".git/config", "[core]")
    names = sorted(path.name for path in discover(corpus_copy))
    assert names == [
        "taiwan-japan-deep-tech-2025.en.txt",
        "taiwan-japan-deep-tech-2025.ja.txt",
        "taiwan-japan-deep-tech-2025.zh-TW.txt",
    ]


def test_a_missing_corpus_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="corpus folder not found"):
        load_corpus(tmp_path / "nowhere")


# -- encodings --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "codec", "expected_encodings", "lang"),
    [
        (ZH, "utf-8", {"utf-8"}, "zh-TW"),
        (ZH, "utf-8-sig", {"utf-8-sig"}, "zh-TW"),
        (ZH, "utf-16", {"utf-16"}, "zh-TW"),
        (ZH, "big5", {"cp950", "big5", "big5hkscs"}, "zh-TW"),
        (JA, "shift_jis", {"cp932", "shift_jis"}, "ja"),
        (JA, "cp932", {"cp932", "shift_jis"}, "ja"),
        (EN, "utf-8", {"utf-8"}, "en"),
    ],
)
def test_text_files_are_decoded(
    tmp_path: Path, text: str, codec: str, expected_encodings: set[str], lang: str
) -> None:
    path = write(tmp_path, f"note.{codec}.txt", text.encode(codec))
    document = load_document(path)
    assert document.text == text  # the BOM is not part of the text
    assert document.encoding in expected_encodings
    assert document.lang == lang


def test_a_longer_big5_and_shift_jis_excerpt_of_the_essay_round_trips(
    tmp_path: Path, editions: dict[str, Document]
) -> None:
    zh = "\n".join(editions["zh-TW"].text.splitlines()[62:66]) + "\n"
    ja = "\n".join(editions["ja"].text.splitlines()[8:14]) + "\n"
    assert load_document(write(tmp_path, "zh.txt", zh.encode("cp950"))).text == zh
    assert load_document(write(tmp_path, "ja.txt", ja.encode("cp932"))).text == ja


@pytest.mark.parametrize(
    ("lang", "codec"), [("zh-TW", "big5"), ("zh-TW", "cp950"), ("ja", "cp932")]
)
def test_every_single_paragraph_of_the_essay_decodes_back(
    editions: dict[str, Document], lang: str, codec: str
) -> None:
    """One paragraph alone is the hardest case for detection: little text to go on."""
    for span in paragraph_spans(editions[lang].text):
        text, _ = decode_text(span.text.encode(codec))
        # CP932 maps 〜 (WAVE DASH) to the byte pair that decodes as ～ (FULLWIDTH TILDE)
        assert text.replace("\uff5e", "\u301c") == span.text


def test_crlf_line_ends_are_normalised(tmp_path: Path) -> None:
    document = load_document(write(tmp_path, "crlf.md", EN.replace("\n", "\r\n").encode()))
    assert document.text == EN


# -- formats ----------------------------------------------------------------------------------
def test_docx_paragraphs_become_lines(tmp_path: Path) -> None:
    data = make_docx("出島(Dejima)", "部分大企業開始設立「出島」機制。", "根回し is nemawashi.")
    document = load_document(write(tmp_path, "survey.docx", data))
    assert document.text.splitlines() == [
        "出島(Dejima)",
        "部分大企業開始設立「出島」機制。",
        "根回し is nemawashi.",
    ]
    assert document.title == "出島(Dejima)"


def test_html_blocks_become_lines_without_scripts_or_styles(tmp_path: Path) -> None:
    html = (
        "<html><head><title>T</title><style>p { color: red }</style>"
        "<script>alert('x')</script></head><body><h1>出島</h1>"
        "<p>日本企業設立<b>「出島」</b>機制。</p><ul><li>第一</li><li>第二</li></ul>"
        "<noscript>enable js</noscript></body></html>"
    )
    document = load_document(write(tmp_path, "page.html", html))
    assert document.text.splitlines() == ["出島", "日本企業設立 「出島」 機制。", "第一", "第二"]
    assert "alert" not in document.text and "color" not in document.text
    assert document.lang == "zh-TW"


def test_html_in_big5_with_a_meta_charset(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="big5"></head>'
        "<body><p>稟議制是日本特有的決策機制。</p></body></html>"
    )
    document = load_document(write(tmp_path, "big5.htm", html.encode("big5")))
    assert document.text == "稟議制是日本特有的決策機制。"


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    document = load_document(write(tmp_path, "brief.pdf", minimal_pdf("Ringi is bottom-up.")))
    assert document.text.strip() == "Ringi is bottom-up."
    assert document.lang == "en"


def test_metadata_defaults_come_from_the_path_and_the_text(tmp_path: Path) -> None:
    path = write(tmp_path, "surveys/2025/summary.md", "# 調查摘要\n\n台灣新創的佔比已達 54%。\n")
    document = load_document(path, root=tmp_path)
    assert document.doc_id == "surveys/2025/summary"
    assert document.title == "調查摘要"
    assert document.lang == "zh-TW"
    assert document.translation_of is None


# -- bad files --------------------------------------------------------------------------------
def _broken_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    return buffer.getvalue()


BAD_FILES: list[tuple[str, bytes, str]] = [
    ("empty.txt", b"", "empty file"),
    ("blank.md", b"  \n\n \t\n", "empty file"),
    ("nul.txt", b"ringi\x00\x00\x00nemawashi" * 50, "binary file"),
    ("noise.md", bytes(range(1, 9)) * 40 + b"abc", "binary file"),
    ("truncated.pdf", minimal_pdf("Ringi is bottom-up.")[:200], "broken PDF"),
    ("text-named.pdf", b"this is plain text pretending to be a PDF\n", "not a PDF file"),
    ("text-named.docx", b"this is plain text pretending to be a .docx\n", "not a .docx file"),
    ("broken.docx", _broken_docx(), "broken .docx"),
    ("latin1.txt", "Café résumé naïve façade, déjà vu.\n".encode("latin-1"), "cannot decode"),
    ("script-only.html", b"<html><script>alert(1)</script></html>", "no text found"),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "unsupported file type .png"),
    ("spreadsheet.xlsx", b"PK\x03\x04", "unsupported file type .xlsx"),
    ("Makefile", b"all:\n\techo hi\n", "unsupported file type (none)"),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_fails_with_a_clear_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    with pytest.raises(LoadError, match=re.escape(reason)):
        load_document(write(tmp_path, name, data))


def test_a_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
        handle.seek(0)
        handle.write(b"ringi ")
    with pytest.raises(LoadError, match="too large"):
        load_document(path)


def test_bad_files_are_skipped_and_the_rest_of_the_corpus_loads(corpus_copy: Path) -> None:
    for name, data, _ in BAD_FILES:
        write(corpus_copy, f"inbox/{name}", data)
    write(
        corpus_copy, "inbox/good-word.docx", make_docx("出島", "部分大企業開始設立「出島」機制。")
    )
    write(corpus_copy, "inbox/good-page.html", "<p>根回し is nemawashi.</p>")
    write(corpus_copy, "inbox/good-scan.pdf", minimal_pdf("Patient capital matters."))
    write(corpus_copy, "inbox/good-big5.txt", ZH.encode("big5"))
    write(corpus_copy, "inbox/good-sjis.txt", JA.encode("shift_jis"))

    documents, failures = load_corpus(corpus_copy)

    loaded = sorted(Path(document.source).name for document in documents)
    assert loaded == sorted(
        [
            "good-big5.txt",
            "good-sjis.txt",
            "good-page.html",
            "good-scan.pdf",
            "good-word.docx",
            "taiwan-japan-deep-tech-2025.en.txt",
            "taiwan-japan-deep-tech-2025.ja.txt",
            "taiwan-japan-deep-tech-2025.zh-TW.txt",
        ]
    )
    reasons = {Path(failure.source).name: failure.reason for failure in failures}
    assert sorted(reasons) == sorted(name for name, _, _ in BAD_FILES)
    for name, _, reason in BAD_FILES:
        assert reason in reasons[name], (name, reasons[name])
    assert all(failure.to_dict()["reason"] for failure in failures)


@pytest.mark.parametrize(
    ("sidecar", "reason"),
    [
        ("{not json", "unreadable metadata note.txt.meta.json"),
        ('["a list"]', "must be a JSON object"),
        (json.dumps({"lang": "fr"}), "language 'fr'"),
    ],
)
def test_a_bad_sidecar_fails_its_document(tmp_path: Path, sidecar: str, reason: str) -> None:
    write(tmp_path, "note.txt", EN)
    write(tmp_path, "note.txt.meta.json", sidecar)
    write(tmp_path, "other.txt", ZH)
    documents, failures = load_corpus(tmp_path)
    assert [Path(d.source).name for d in documents] == ["other.txt"]
    assert len(failures) == 1 and reason in failures[0].reason


def test_a_duplicate_doc_id_is_reported_and_the_first_document_kept(tmp_path: Path) -> None:
    for name in ("a.txt", "b.txt"):
        write(tmp_path, name, EN)
        write(tmp_path, f"{name}.meta.json", json.dumps({"doc_id": "same"}))
    documents, failures = load_corpus(tmp_path)
    assert [Path(d.source).name for d in documents] == ["a.txt"]
    assert len(failures) == 1
    assert Path(failures[0].source).name == "b.txt"
    assert "'same' is already used by" in failures[0].reason


def test_the_essay_without_its_sidecar_is_still_chinese(tmp_path: Path, corpus_copy: Path) -> None:
    path = corpus_copy / "taiwan-japan-deep-tech-2025.zh-TW.txt"
    (corpus_copy / "taiwan-japan-deep-tech-2025.zh-TW.txt.meta.json").unlink()
    assert load_document(path).lang == "zh-TW"
