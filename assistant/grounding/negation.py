"""Step 4 of the grounding verifier: polarity agrees.

A claim that negates what the best-matching sentence asserts (or the reverse) is not
supported.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.grounding.overlap import _CLAUSE_END, _content_bigrams
from ingest.text import detect_language, fold_script

_NEGATION_ZH = re.compile(r"[不未沒没無无非別别勿否毋莫]")
_NOT_NEGATION_ZH = re.compile(
    r"不得不|不可或缺|不可欠|無往不利|不斷|不断|不僅|不仅|不只|不少|不久|不過|不过|不但|不論|不论|"
    r"不管|無疑|无疑|不能不|不可不|無不|无不|不同|不足|不利|不安|不確|不可思議|無論|无论|非常|非中|未來|未来|否則|否则|別人|"
    r"別的|特別|特别|區別|区别|差別|差别|個別|个别|莫大|無數|無限|無人|無料|"
    r"並非只|不再只|非同|非典型|非營利|非营利|非洲|不動產|不动产"
)
_NEGATION_JA = re.compile(
    r"ない|なかった|なく|ません|ぬ(?![ぁ-ん])|ず(?:に|、|。|,|$)|ではな|じゃな|無し|非|不|無|未"
)
_NOT_NEGATION_JA = re.compile(
    r"なければならない|なくてはならない|ざるを得ない|ざるをえない|少ない|少なく|危ない|"
    r"しかない|に違いない|かもしれない|ならない|足りない|いけない|欠かせない|不可欠|"
    r"不足|不利|不安|不確|非常|非中|未来|無論|まず|必ず|わずか|わず|ずつ|"
    r"だけではなく|のみならず|ばかりでなく|非同"
)
_NEGATION_EN = re.compile(
    r"\b(?:not|no|never|none|nor|neither|without|cannot|nothing|nobody|rather than|instead of"
    r"|fail(?:s|ed)? to|lack(?:s|ed)?)\b|n't\b",
    re.IGNORECASE,
)
_NOT_NEGATION_EN = re.compile(
    r"\b(?:not only|no more than|no less than|no fewer than|nothing but|no doubt|not just"
    r"|not least|not merely)\b",
    re.IGNORECASE,
)


def negation_count(text: str, language: str | None = None) -> int:
    """How many negation cues a text has (idioms and 'not only'/'不僅' do not count)."""
    return len(_negation_cues(text, language))


def _negation_cues(text: str, language: str | None = None) -> list[tuple[int, int]]:
    """Spans of the negation cues of a text, after masking idioms that only look negative."""
    language = language or detect_language(text)
    text = unicodedata.normalize("NFKC", text)

    def masked(pattern: re.Pattern[str], value: str) -> str:
        return pattern.sub(lambda m: " " * len(m.group()), value)

    if language == "en":
        return [m.span() for m in _NEGATION_EN.finditer(masked(_NOT_NEGATION_EN, text))]
    cleaned = masked(_NOT_NEGATION_ZH, text)
    if language == "ja":
        cleaned = masked(_NOT_NEGATION_JA, cleaned)
        return [m.span() for m in _NEGATION_JA.finditer(cleaned)]
    return [m.span() for m in _NEGATION_ZH.finditer(cleaned)]


_SCOPE_CHARS = 8
_KANA_CUE = re.compile(r"[\u3040-\u30ff]")


def _cjk_cues(text: str) -> list[tuple[int, int, bool]]:
    """Negation cues of CJK text, each with whether its scope follows it (不是要忍受: Han
    cues) or precedes it (忍受ではなく: Japanese verb endings)."""
    cleaned = _mask(_NOT_NEGATION_JA, _mask(_NOT_NEGATION_ZH, text))
    cues = [(m.start(), m.end(), True) for m in _NEGATION_ZH.finditer(cleaned)]
    cues += [
        (m.start(), m.end(), False)
        for m in _NEGATION_JA.finditer(cleaned)
        if _KANA_CUE.match(m.group())
    ]
    return cues


def _mask(pattern: re.Pattern[str], value: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), value)


def _clause_around(text: str, position: int) -> tuple[int, int]:
    starts = [m.end() for m in _CLAUSE_END.finditer(text, 0, position)]
    following = _CLAUSE_END.search(text, position)
    return (starts[-1] if starts else 0), (following.start() if following else len(text))


def _negated_scopes(text: str) -> list[tuple[int, int]]:
    """Where each negation cue's scope lies, up to the clause's end: the characters after a
    Han cue (不是要忍受), before a Japanese ending (忍受ではなく)."""
    scopes = []
    for start, end, forward in _cjk_cues(text):
        low, high = _clause_around(text, start)
        if forward:
            scopes.append((end, min(high, end + _SCOPE_CHARS)))
        else:
            scopes.append((max(low, start - _SCOPE_CHARS), start))
    return scopes


def _negated_clauses(text: str) -> set[str]:
    grams: set[str] = set()
    for start, _, _ in _cjk_cues(text):
        low, high = _clause_around(text, start)
        grams |= _content_bigrams(text[low:high])
    return grams


def negation_conflict(claim: str, segment: str) -> bool:
    """True when one side negates what the other asserts, for CJK text on both sides: a phrase
    in the scope of a negation cue on one side appears on the other side outside any."""
    claim_language, segment_language = detect_language(claim), detect_language(segment)
    if "en" in (claim_language, segment_language):
        return False
    claim_text = unicodedata.normalize("NFKC", claim)
    segment_text = unicodedata.normalize("NFKC", segment)

    def conflict(a: str, b: str) -> bool:
        asserted = _content_bigrams(b) - _negated_clauses(b)
        for start, end in _negated_scopes(a):
            if any(not _is_name(gram) for gram in _content_bigrams(a[start:end]) & asserted):
                return True
        return False

    return conflict(segment_text, claim_text) or conflict(claim_text, segment_text)


_NAMES = frozenset(fold_script(n) for n in ("台灣", "日本", "中國", "台日", "日台", "韓國", "美國"))


def _is_name(gram: str) -> bool:
    return gram in _NAMES
