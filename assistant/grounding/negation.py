"""Step 4 of the grounding verifier: polarity agrees.

A claim that negates what the best-matching sentence asserts (or the reverse) is not
supported.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.grounding.overlap import _CLAUSE_END, _content_bigrams
from assistant.text import detect_language, fold_script

# Chinese cues scope over what follows them. 與其 ("rather than X, …") marks X as the rejected
# alternative, like the English "rather than" below.
_NEGATION_ZH = re.compile(r"與其|与其|[不未沒没無无非別别勿否毋莫]")
# Words and idioms that contain a cue character but negate nothing: "not only", "keep on",
# "many", "rather … than / better to" (不如), double negatives that mean "must" or
# "indispensable", "whether" (是否), "nothing but" (無非), "no less than" (不亞於)…
_NOT_NEGATION_ZH = re.compile(
    r"不得不|不得已|不可或缺|缺一不可|必不可少|不可欠|無往不利|不斷|不断|不僅|不仅|不只|不單|不单|"
    r"不光|不止|不少|不久|不過|不过|不但|不論|不论|不管|無疑|无疑|毋庸置疑|不能不|不可不|無不|无不|"
    r"莫不|不無|不无|未嘗不|未尝不|沒有不|没有不|無一不|无一不|無所不|无所不|不如|不妨|不免|不禁|"
    r"不停|不時|不时|不失|不乏|不亞於|不亚于|不下於|不下于|不外|無非|无非|莫過於|莫过于|不遺餘力|"
    r"不遗余力|毫不猶豫|毫不犹豫|不錯|不错|不同|不足|不利|不安|不確|不可思議|不可思议|無論|无论|"
    r"非常|非中|非得|非[^\s,,。;;、]{1,4}不可(?![能以])|未來|未来|未免|否則|否则|是否|能否|可否|"
    r"與否|与否|勿論|勿论|別人|別的|特別|特别|區別|区别|差別|差别|個別|个别|分別|分别|識別|"
    r"识别|類別|类别|級別|级别|性別|性别|告別|告别|莫大|無數|无数|無限|无限|無比|无比|無人|無料|"
    r"並非只|并非只|不再只|非同|非典型|非營利|非营利|非洲|不動產|不动产"
)
# Japanese cues: verb and adjective endings (scope before them), the Han prefixes 不・非・無・未
# (scope: the word they attach to) and 無い/無し/なし written as words.
_NEGATION_JA = re.compile(
    r"ない|なかった|なく|ません|ぬ(?![ぁ-ん])|ず(?:に|、|。|,|$)|ではな|じゃな|"
    r"(?<![みこ])なし(?!とげ|遂)|無(?:い|く|し|かった)|非|不|無|未"
)
_NOT_NEGATION_JA = re.compile(
    r"なければならない|なくてはならない|なければなりません|なくてはなりません|ねばなりません|"
    r"なければいけない|なくてはいけない|ないといけない|ないわけにはいかない|ずにはいられない|"
    r"ざるを得ない|ざるをえない|ざるを得ません|ざるをえません|やむを得|やむをえ|止むを得|"
    r"少なくない|少なからず|少ない|少なく|危ない|危なく|"
    r"でしかない|しかない|しかありません|に違いない|に違いありません|間違いな|間違いありません|"
    r"に他ならない|にほかならない|に他なりません|にほかなりません|に過ぎない|にすぎない|"
    r"に過ぎません|にすぎません|かもしれない|かもしれません|ではないか(?![もぎ])|じゃないか(?![もぎ])|"
    r"ではないだろうか|ではなかろうか|ならない|足りない|いけない|欠かせない|欠かせません|不可欠|"
    r"もったいない|つまらない|くだらない|とんでもない|さりげない|何気ない|なにげない|だらしない|"
    r"ぎこちない|間もなく|まもなく|ほどなく|限りなく|絶え間なく|余儀なく|"
    r"不足|不利|不安|不確|非常|非中|未来|未満|是非|勿論|無論|まず|必ず|わずか|思わず|問わず|ずつ|"
    r"相変わらず|絶えず|たえず|とりあえず|にもかかわらず|かかわらず|関わらず|"
    r"だけではなく|だけでなく|だけじゃなく|のみならず|ばかりでなく|にとどまらず|に留まらず|"
    r"に限らず|非同"
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
    if language == "en":
        return [m.span() for m in _NEGATION_EN.finditer(_mask(_NOT_NEGATION_EN, text))]
    return [(start, end) for start, end, _ in _cjk_cues(text, language)]


_SCOPE_CHARS = 8
_KANA_CUE = re.compile(r"[\u3040-\u30ff]")
_JA_PREFIX_CUE = re.compile(r"[不非無未](?=[\u3400-\u9fff\u30a0-\u30ff])")
# The word a Japanese negative prefix attaches to: a run of Han or katakana (未経験の → 経験).
_JA_WORD = re.compile(r"[\u3400-\u9fff\u30a0-\u30ff]+")
# A Japanese negative verb or adjective in its attributive form, before the noun it modifies
# (理解されない強み): the noun is not negated, and an outer negation's scope starts after it.
_JA_NEGATIVE_ATTRIBUTIVE = re.compile(r"(?:ない|なかった|ぬ|ず)(?=[\u3400-\u9fff\u30a0-\u30ff])")
# 的 and 之 end a Chinese relative clause or modifier: in 不理解的優勢 only 理解 is negated.
_ZH_MODIFIER_END = re.compile(r"[的之]")
# A copula or copular verb between a cue and 的 makes the 的 part of the negated noun phrase
# (不是用來討論的工具, 不在於紙面上的流程) or of a 是…的 predicate, not the end of a modifier.
_COPULA = re.compile(r"是|在於|在于|屬於|属于|等於|等于|成為|成为|代表|意味")
# What 與其 rejects ends where the preferred alternative begins (與其強調功能不如量化效益).
_PREFERRED = re.compile(r"倒不如|還不如|还不如|不如|寧可|宁可|寧願|宁愿")
# Before 非 these make it the copula "is not" (並非, 絕非), not the prefix "non-" (非正式).
_COPULAR_BEFORE_FEI = frozenset("並并絕绝決决亦實实既而若乃")


def _cjk_cues(text: str, language: str | None = None) -> list[tuple[int, int, bool]]:
    """Negation cues of CJK text, each with whether its scope follows it (不是要忍受: Chinese
    cues and Japanese prefixes such as 未経験) or precedes it (忍受ではなく: Japanese verb and
    adjective endings)."""
    language = language or detect_language(text)
    cleaned = _mask(_NOT_NEGATION_ZH, text)
    if language == "ja":
        cleaned = _mask(_NOT_NEGATION_JA, cleaned)
        forward = [(m.start(), m.end(), True) for m in _JA_PREFIX_CUE.finditer(cleaned)]
        backward = [
            (m.start(), m.end(), False)
            for m in _NEGATION_JA.finditer(cleaned)
            if m.group() not in ("不", "非", "無", "未")
        ]
        return sorted(forward + backward)
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


def _negates_predicate(text: str, start: int, end: int) -> bool:
    """Whether a Chinese cue negates a verb or adjective (不理解, 未經, 沒做, 無法, 非正式),
    whose scope a following 的 ends, rather than a noun phrase: the copula (並非唯一的方法),
    existence (沒有明確的目標, 並無明顯的差異) or a contrast (與其…).
    """
    cue, following = text[start:end], text[end : end + 1]
    if cue in ("不", "未"):
        return True
    if cue in ("沒", "没"):
        return following != "有"
    if cue in ("無", "无"):
        return following in ("法", "從", "从", "須", "须", "需")
    if cue == "非":
        return start == 0 or text[start - 1] not in _COPULAR_BEFORE_FEI
    return False


def _forward_scope_end(text: str, start: int, end: int, limit: int, language: str) -> int:
    """Where a forward cue's scope ends: at ``limit`` (the clause's end, or a few characters
    on), or sooner: at the end of the word a Japanese prefix attaches to (未経験の); where
    與其's rejected alternative gives way to the preferred one (…不如); at the 的/之 closing a
    Chinese modifier (不理解的優勢), unless a copula before it makes the 的 part of the negated
    noun phrase or 是…的 predicate (不是用來討論的工具), which the negation covers whole."""
    if language == "ja":
        word = _JA_WORD.match(text, end)
        return min(limit, word.end()) if word else end
    if text[start:end] in ("與其", "与其"):
        preferred = _PREFERRED.search(text, end, limit)
        return preferred.start() if preferred else limit
    if not _negates_predicate(text, start, end):
        return limit
    closing = _ZH_MODIFIER_END.search(text, end, limit)
    if closing is None or _COPULA.search(text, end, closing.start()):
        return limit
    return closing.start()


def _negated_scopes(text: str, language: str | None = None) -> list[tuple[int, int]]:
    """Where each negation cue's scope lies, up to the clause's end: the characters after a
    Chinese cue (不是要忍受) or a Japanese prefix (未経験), before a Japanese ending (忍受では
    なく). A modifier ends a scope: 的/之 in Chinese (不理解的優勢), and in Japanese a negative
    in attributive form before its noun (理解されない強み)."""
    language = language or detect_language(text)
    scopes = []
    for start, end, forward in _cjk_cues(text, language):
        low, high = _clause_around(text, start)
        if forward:
            limit = min(high, end + _SCOPE_CHARS)
            scopes.append((end, _forward_scope_end(text, start, end, limit, language)))
        else:
            begin = max(low, start - _SCOPE_CHARS)
            for modifier in _JA_NEGATIVE_ATTRIBUTIVE.finditer(text, begin, start):
                begin = max(begin, modifier.end())
            scopes.append((begin, start))
    return scopes


def _negated_clauses(text: str, language: str | None = None) -> set[str]:
    grams: set[str] = set()
    for start, _, _ in _cjk_cues(text, language):
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

    def conflict(a: str, a_language: str, b: str, b_language: str) -> bool:
        asserted = _content_bigrams(b) - _negated_clauses(b, b_language)
        for start, end in _negated_scopes(a, a_language):
            shared = _content_bigrams(a[start:end]) & asserted
            if any(not _is_name(gram) and not _HIRAGANA_ONLY.fullmatch(gram) for gram in shared):
                return True
        return False

    return conflict(segment_text, segment_language, claim_text, claim_language) or conflict(
        claim_text, claim_language, segment_text, segment_language
    )


# こと, ない, する: Japanese grammar, shared by any two sentences; not a phrase of content
_HIRAGANA_ONLY = re.compile(r"[\u3040-\u309f]+")
_NAMES = frozenset(fold_script(n) for n in ("台灣", "日本", "中國", "台日", "日台", "韓國", "美國"))


def _is_name(gram: str) -> bool:
    return gram in _NAMES
