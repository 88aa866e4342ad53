"""Deterministic synthetic data: multilingual text, chunks, a corpus folder, a fake embedder.

Everything here depends only on its seed, so two runs (and two machines) measure the same data.
The text mixes Traditional Chinese, Japanese and English the way the real corpus does, with a
skewed vocabulary (a few common terms, a long tail of rare ones, and numbered programmes whose
count grows with the corpus) so that the lexical index has realistic postings lists.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ingest.chunk import Chunk, content_id

DIMENSION = 384  # multilingual-e5-small's, so vectors cost what real ones cost
LANGS = ("zh-TW", "ja", "en")


def _vocabulary(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_WORDS: dict[str, tuple[str, ...]] = {
    "zh-TW": _vocabulary(
        "半導體 供應鏈 深科技 新創 投資 合作 市場 技術 人才 政策 製造 晶片 能源 醫療 資金 風險 "
        "策略 研發 專利 夥伴 稟議制 決策 共識 加速器 創投 併購 出口 經濟安全 全球南方 淨零 "
        "電動車 機器人 量子 衛星 生技 材料 精密機械 智慧製造 數位轉型 在地化 信任 溝通 長期 "
        "驗證 實證 規格 品質 採購 子公司 研究院 大學 補助 法規 認證 標準 海外 據點"
    ),
    "ja": _vocabulary(
        "半導体 サプライチェーン ディープテック スタートアップ 投資 協業 市場 技術 人材 政策 "
        "製造 チップ エネルギー 医療 資金 リスク 戦略 研究開発 特許 パートナー 稟議 意思決定 "
        "合意 根回し アクセラレーター ベンチャーキャピタル 買収 輸出 経済安全保障 グローバルサウス "
        "脱炭素 電気自動車 ロボット 量子 衛星 バイオ 素材 精密機械 スマート製造 DX 現地化 信頼 "
        "長期 実証 検証 仕様 品質 調達 子会社 研究所 大学 補助金 規制 認証 標準 海外 拠点"
    ),
    "en": _vocabulary(
        "semiconductor supply chain deep tech startup investment partnership market technology "
        "talent policy manufacturing chip energy healthcare capital risk strategy research patent "
        "partner ringi decision consensus nemawashi accelerator venture acquisition export "
        "security global south net-zero vehicle robotics quantum satellite biotech materials "
        "precision machinery smart factory transformation localisation trust communication "
        "long-term validation proof specification quality procurement subsidiary institute "
        "university grant regulation certification standard overseas base"
    ),
}
_TEMPLATES: dict[str, tuple[str, ...]] = {
    "zh-TW": (
        "{a}與{b}的{c}正在改變{d}。",
        "在{a}領域,{b}需要{c}才能進入{d}。",
        "第{n}號計畫把{a}和{b}帶進{c}。",
        "{a}的成本約為 {n} 萬元,主要來自{b}。",
    ),
    "ja": (
        "{a}と{b}の{c}が{d}を変えつつある。",
        "{a}の分野では、{b}が{c}を通じて{d}に入る。",
        "第{n}号プロジェクトは{a}と{b}を{c}につなぐ。",
        "{a}の費用は約{n}万円で、主に{b}による。",
    ),
    "en": (
        "The {a} of {b} is reshaping {c} across {d}.",
        "In {a}, a {b} needs {c} before it reaches {d}.",
        "Programme {n} brings {a} and {b} into {c}.",
        "The {a} costs about {n} thousand dollars, mostly for {b}.",
    ),
}
_QUESTIONS: dict[str, tuple[str, ...]] = {
    "zh-TW": ("{a}和{b}有什麼關係?", "第{n}號計畫的{a}是什麼?", "{a}如何影響{b}?"),
    "ja": (
        "{a}と{b}の関係は何ですか?",
        "第{n}号プロジェクトの{a}は?",
        "{a}は{b}にどう影響しますか?",
    ),
    "en": (
        "How does {a} relate to {b}?",
        "What is the {a} of programme {n}?",
        "Why does {a} matter for {b}?",
    ),
}


def _zipf_weights(size: int) -> list[float]:
    return [1.0 / (rank + 1) for rank in range(size)]


class TextGenerator:
    """Sentences, paragraphs and questions in zh-TW, ja and en from one seed."""

    def __init__(self, seed: int = 7, programmes: int = 1000) -> None:
        self.rng = random.Random(seed)
        self.programmes = programmes
        self._weights = {lang: _zipf_weights(len(words)) for lang, words in _WORDS.items()}

    def _fill(self, template: str, lang: str) -> str:
        words = self.rng.choices(_WORDS[lang], weights=self._weights[lang], k=4)
        return template.format(
            a=words[0], b=words[1], c=words[2], d=words[3], n=self.rng.randrange(self.programmes)
        )

    def sentence(self, lang: str) -> str:
        return self._fill(self.rng.choice(_TEMPLATES[lang]), lang)

    def paragraph(self, lang: str, sentences: int = 3) -> str:
        joiner = " " if lang == "en" else ""
        return joiner.join(self.sentence(lang) for _ in range(sentences))

    def question(self, lang: str | None = None) -> str:
        lang = lang or self.rng.choice(LANGS)
        return self._fill(self.rng.choice(_QUESTIONS[lang]), lang)


def questions(count: int, seed: int = 11) -> list[str]:
    """``count`` questions cycling through the three languages."""
    generator = TextGenerator(seed)
    return [generator.question(LANGS[i % len(LANGS)]) for i in range(count)]


def chunks(count: int, seed: int = 7, per_doc: int = 10) -> list[Chunk]:
    """``count`` chunks of ``per_doc`` paragraphs per document, languages in rotation."""
    generator = TextGenerator(seed, programmes=max(1000, count // 5))
    out: list[Chunk] = []
    for i in range(count):
        doc = i // per_doc
        lang = LANGS[doc % len(LANGS)]
        text = generator.paragraph(lang, sentences=2 + i % 3)
        doc_id = f"synthetic-{doc:06d}"
        section = f"section {i % per_doc // 4}"
        out.append(
            Chunk(
                chunk_id=content_id(doc_id, section, text),
                doc_id=doc_id,
                title=f"Synthetic document {doc}",
                lang=lang,
                section=section,
                paragraph=i % per_doc + 1,
                start=0,
                end=len(text),
                text=text,
                ordinal=i % per_doc,
                source=f"synthetic/{doc_id}.txt",
            )
        )
    return out


def write_corpus(folder: Path, documents: int, seed: int = 3, paragraphs: int = 4) -> Path:
    """A folder of ``documents`` small .txt files (a heading and a few paragraphs each)."""
    generator = TextGenerator(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(documents):
        lang = LANGS[i % len(LANGS)]
        body = [f"# Synthetic report {i}"]
        body += [generator.paragraph(lang, sentences=3) for _ in range(paragraphs)]
        (folder / f"doc-{i:05d}.{lang}.txt").write_text("\n".join(body) + "\n", encoding="utf-8")
    return folder


def hash_vector(text: str, dimension: int = DIMENSION) -> npt.NDArray[np.float32]:
    """A unit vector that depends only on ``text``."""
    seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
    vector = np.random.default_rng(seed).standard_normal(dimension).astype(np.float32)
    return vector / np.linalg.norm(vector)


@dataclass
class HashEmbedder:
    """A deterministic fake ``Embedder``: a text's vector is seeded by its hash. It counts the
    texts it embedded, so a run can show that re-ingest embedded nothing."""

    dimension: int = DIMENSION
    identity: str = "benchmarks/hash-embedder@1"
    embedded: int = 0

    def embed(self, texts: Sequence[str], *, kind: str) -> npt.NDArray[np.float32]:
        self.embedded += len(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([hash_vector(f"{kind}:{text}", self.dimension) for text in texts])
