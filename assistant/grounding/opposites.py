"""Opposite terms: a claim that says "bottom-up" where its passage says "top-down" (pure).

A short table of opposites that business and technology writing turns on, each side named in
Traditional Chinese, Japanese and English. A claim contradicts its passage when it uses one side
and not the other, the passage uses the other side and not the first, and neither use is under
a negation ("not short-term" is not a contradiction of "long-term").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.grounding.negation import negation_count
from assistant.grounding.overlap import _CLAUSE_END
from assistant.text import fold_script

# (one side, the other side); CJK forms match as substrings after folding scripts, English
# forms as whole words (an -s, -ed or -ing ending allowed).
OPPOSITES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("由上而下", "高層授權", "トップダウン", "top-down"),
        ("由下而上", "ボトムアップ", "bottom-up"),
    ),
    (("硬體", "ハードウェア", "hardware"), ("軟體", "ソフトウェア", "software")),
    (("組織內", "組織内", "內部", "内部", "inside"), ("組織外", "外部", "outside")),
    (("消費性", "消費者向け", "consumer"), ("企業型", "企業向け", "enterprise")),
    (("上游", "川上", "upstream"), ("下游", "川下", "downstream")),
    (("短期", "短線", "short-term"), ("長期", "長線", "long-term")),
    (
        ("增加", "増加", "上升", "上昇", "increase", "rise"),
        ("減少", "下降", "低下", "decrease", "decline"),
    ),
    (
        ("成長", "增長", "growth", "grow", "grew", "rose", "risen"),
        ("衰退", "下滑", "縮減", "fell", "fall", "fallen", "drop", "dropped", "shrank"),
    ),
    (("越高", "更高", "高於", "上回", "higher"), ("越低", "更低", "低於", "下回", "lower")),
    (("較快", "比較快", "更快", "faster", "quicker"), ("較慢", "比較慢", "更慢", "slower")),
    (("最高", "highest"), ("最低", "lowest")),
    (("成功", "succeed", "success"), ("失敗", "fail", "failure")),
    (("供給端", "供給側", "supply side"), ("需求端", "需要側", "demand side")),
    (("進口", "輸入", "import"), ("出口", "輸出", "export")),
    (("買方", "買い手", "buyer"), ("賣方", "売り手", "seller")),
    (("領頭", "主導"), ("執行", "施工")),
    (("規劃", "企画"), ("執行", "実行")),
    (
        ("大企業", "大手企業", "large company", "large corporation"),
        ("新創", "スタートアップ", "startup"),
    ),
    (("快速", "迅速", "速い", "fast"), ("緩慢", "遅い", "slow")),
    (("唯一", "the only"), ("之一", "one of")),
    (
        ("過濾", "排除", "ふるい落と", "切り捨て", "除外", "filter out", "exclude", "screen out"),
        ("尋找", "尋求", "探す", "探し", "seek", "look for"),
    ),
    (("樂觀", "楽観", "optimistic"), ("悲觀", "悲観", "pessimistic")),
    (("順利", "順調", "smoothly"), ("受阻", "難航", "stall")),
)


@dataclass(frozen=True)
class Opposition:
    claim_term: str
    passage_term: str


def opposed_terms(claim: str, passage: str) -> list[Opposition]:
    """Where the claim uses one side of an opposite and the passage only the other."""
    found = []
    for first, second in OPPOSITES:
        for said, other in ((first, second), (second, first)):
            claimed = _asserted(claim, said)
            if not claimed or _uses(claim, other):
                continue
            stated = _asserted(passage, other)
            if stated and not _uses(passage, said):
                found.append(Opposition(claimed, stated))
    return found


def _asserted(text: str, forms: tuple[str, ...]) -> str | None:
    """The first of ``forms`` the text uses outside a negated clause."""
    for clause in _CLAUSE_END.split(text):
        term = _uses(clause, forms)
        if term and not negation_count(clause):
            return term
    return None


def _uses(text: str, forms: tuple[str, ...]) -> str | None:
    """The first of ``forms`` (in their order) that the text uses."""
    return next((form for _, form in _positions(text, forms)), None)


@lru_cache(maxsize=512)
def _word(form: str) -> re.Pattern[str]:
    return re.compile(rf"\b{re.escape(form)}(?:s|es|d|ed|ing)?\b", re.IGNORECASE)


def _positions(text: str, forms: tuple[str, ...]) -> list[tuple[int, str]]:
    """Where each of ``forms`` occurs, form by form in their order."""
    found: list[tuple[int, str]] = []
    folded = fold_script(text).casefold()
    for form in forms:
        if form.isascii():
            found.extend((m.start(), form) for m in _word(form).finditer(text))
        else:
            needle = re.escape(_folded(form))
            found.extend((m.start(), form) for m in re.finditer(needle, folded))
    return found


@lru_cache(maxsize=512)
def _folded(form: str) -> str:
    return fold_script(form).casefold()
