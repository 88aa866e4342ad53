"""Stage 1 of ingest: files on disk become ``Document`` values, or a ``LoadFailure`` with a reason.

Supported: .txt, .md, .html/.htm, .pdf, .docx. Text files may be UTF-8 (with or without BOM),
UTF-16 with a BOM, Big5/CP950 or Shift_JIS/CP932; anything else fails that file with a message
that names it. Metadata comes from a JSON sidecar ``<file>.meta.json`` (title, lang, date,
doc_id, translation_of); without one, it is derived from the file name and the text.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.errors import LoadError
from assistant.text import detect_language

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
SIDECAR_SUFFIX = ".meta.json"
# the glossary, and the grounding verifier's opposite terms of this corpus beside it
NOT_DOCUMENTS = ("glossary.json", "opposites.json", "README.md", "README.txt")
MAX_FILE_BYTES = 20 * 1024 * 1024
_LANGS = ("zh-TW", "ja", "en")
# Tried in order after UTF-8; each must decode the whole file without error.
_LEGACY_ENCODINGS = ("cp950", "big5hkscs", "cp932", "euc_jp", "gb18030")


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    lang: str
    text: str
    source: str
    date: str | None = None
    translation_of: str | None = None
    encoding: str = "utf-8"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LoadFailure:
    source: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def discover(corpus: Path) -> list[Path]:
    """The candidate document files under ``corpus`` (a folder, or a single file), sorted."""
    if corpus.is_file():
        return [corpus]
    if not corpus.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus}")
    return sorted(
        path
        for path in corpus.rglob("*")
        if path.is_file()
        and not path.name.endswith(SIDECAR_SUFFIX)
        and path.name not in NOT_DOCUMENTS
        and not any(part.startswith(".") for part in path.relative_to(corpus).parts)
    )


def load_corpus(corpus: Path) -> tuple[list[Document], list[LoadFailure]]:
    documents: list[Document] = []
    failures: list[LoadFailure] = []
    for path in discover(corpus):
        try:
            documents.append(load_document(path, root=corpus if corpus.is_dir() else path.parent))
        except LoadError as error:
            failures.append(LoadFailure(str(path), str(error)))
    documents, duplicates = _drop_duplicate_ids(documents)
    return documents, failures + duplicates


def _drop_duplicate_ids(
    documents: Iterable[Document],
) -> tuple[list[Document], list[LoadFailure]]:
    seen: dict[str, Document] = {}
    failures: list[LoadFailure] = []
    for document in documents:
        if document.doc_id in seen:
            failures.append(
                LoadFailure(
                    document.source,
                    f"doc_id {document.doc_id!r} is already used by {seen[document.doc_id].source}",
                )
            )
        else:
            seen[document.doc_id] = document
    return list(seen.values()), failures


def load_document(path: Path, root: Path | None = None) -> Document:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"unsupported file type {suffix or '(none)'}")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LoadError(f"cannot read file: {error.strerror or error}") from error
    if not data.strip():
        raise LoadError("empty file")
    if len(data) > MAX_FILE_BYTES:
        raise LoadError(f"file too large ({len(data):,} bytes; the limit is {MAX_FILE_BYTES:,})")
    encoding = "utf-8"
    if suffix in (".txt", ".md", ".markdown"):
        text, encoding = decode_text(data)
    elif suffix in (".html", ".htm"):
        text, encoding = html_to_text(data)
    elif suffix == ".pdf":
        text = pdf_to_text(data)
    else:
        text = docx_to_text(data)
    text = _normalise_newlines(text)
    if not text.strip():
        raise LoadError("no text found in the file")
    meta = _read_sidecar(path)
    doc_id = str(meta.get("doc_id") or _default_doc_id(path, root))
    lang = str(meta.get("lang") or detect_language(text[:4000]))
    if lang not in _LANGS:
        raise LoadError(f"language {lang!r} in the metadata is not one of {', '.join(_LANGS)}")
    title = str(meta.get("title") or _default_title(text, path))
    return Document(
        doc_id=doc_id,
        title=title,
        lang=lang,
        text=text,
        source=str(path),
        date=(str(meta["date"]) if meta.get("date") else None),
        translation_of=(str(meta["translation_of"]) if meta.get("translation_of") else None),
        encoding=encoding,
    )


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode a text file: UTF-8 (BOM or not), UTF-16 with BOM, or a CJK legacy encoding."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16"), "utf-16"
    if b"\x00" in data[:8192]:
        raise LoadError("binary file (contains NUL bytes), not text")
    try:
        return _check_text(data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = []
    for encoding in _LEGACY_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((_plausibility(text, encoding), encoding, text))
    if not candidates:
        raise LoadError(
            "cannot decode the text: not UTF-8, Big5 or Shift_JIS (save it as UTF-8 and retry)"
        )
    guess = _charset_normalizer_guess(data)
    if guess is not None and guess in {c[1] for c in candidates}:
        text = next(c[2] for c in candidates if c[1] == guess)
        return _check_text(text), guess
    candidates.sort(key=lambda c: c[0], reverse=True)
    return _check_text(candidates[0][2]), candidates[0][1]


def _strict(data: bytes, encoding: str) -> str:
    try:
        return _check_text(data.decode(encoding))
    except UnicodeDecodeError as error:
        raise LoadError(f"invalid {encoding} at byte {error.start}") from error


def _check_text(text: str) -> str:
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(text) // 100):
        raise LoadError("binary file (too many control characters), not text")
    return text


def _plausibility(text: str, encoding: str) -> float:
    """Share of characters that are common CJK, kana, ASCII or punctuation in that encoding's
    language; mis-decoded bytes land in rare blocks (private use, half-width katakana...)."""
    common = ((0, 0x7F), (0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E))
    good = sum(1 for ch in text if any(low <= ord(ch) <= high for low, high in common))
    score = good / max(1, len(text))
    if encoding in ("cp932", "euc_jp") and any(0x3040 <= ord(ch) <= 0x30FF for ch in text):
        score += 0.01
    return score


def _charset_normalizer_guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(_LEGACY_ENCODINGS)).best()
    if best is None:
        return None
    return str(best.encoding)


def html_to_text(data: bytes) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    encoding = soup.original_encoding or "utf-8"
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    block_tags = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre"]
    blocks = soup.find_all(block_tags)
    if blocks:
        lines = [
            block.get_text(" ", strip=True) for block in blocks if not block.find_parent(block_tags)
        ]
    else:
        lines = soup.get_text("\n", strip=True).splitlines()
    return "\n".join(line for line in lines if line), str(encoding)


def pdf_to_text(data: bytes) -> str:
    if not data.startswith(b"%PDF"):
        raise LoadError("not a PDF file (no %PDF header)")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise LoadError("encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError) as error:
        raise LoadError(f"broken PDF: {error}") from error
    return "\n".join(pages)


def docx_to_text(data: bytes) -> str:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise LoadError("not a .docx file (not a zip archive)")
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (KeyError, ValueError, zipfile.BadZipFile, OSError) as error:
        raise LoadError(f"broken .docx: {error}") from error
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return {}
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LoadError(f"unreadable metadata {sidecar.name}: {error}") from error
    if not isinstance(meta, dict):
        raise LoadError(f"metadata {sidecar.name} must be a JSON object")
    return meta


def _default_doc_id(path: Path, root: Path | None) -> str:
    relative = path.relative_to(root) if root and path.is_relative_to(root) else Path(path.name)
    return relative.with_suffix("").as_posix()


def _default_title(text: str, path: Path) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:80]
    return path.stem
