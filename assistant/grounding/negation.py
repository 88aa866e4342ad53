"""Negation cues in zh-TW, ja and en (pure): the opposite-terms check does not count a term
used in a negated clause ("not short-term" is no contradiction of "long-term").

Idioms that only look negative (不僅 "not only", 不得不 "must", ではないか) are masked first.
"""

from __future__ import annotations

import re
import unicodedata

from assistant.text import detect_language

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
    language = language or detect_language(text)
    text = unicodedata.normalize("NFKC", text)
    if language == "en":
        return len(_NEGATION_EN.findall(_mask(_NOT_NEGATION_EN, text)))
    cleaned = _mask(_NOT_NEGATION_ZH, text)
    if language == "ja":  # the Han prefixes 不・非・無・未 count only before a word
        cleaned = _mask(_NOT_NEGATION_JA, cleaned)
        prefixes = _JA_PREFIX_CUE.findall(cleaned)
        endings = [m for m in _NEGATION_JA.findall(cleaned) if m not in ("不", "非", "無", "未")]
        return len(prefixes) + len(endings)
    endings = [m for m in _NEGATION_JA.findall(cleaned) if _KANA_CUE.match(m)]
    return len(_NEGATION_ZH.findall(cleaned)) + len(endings)


_KANA_CUE = re.compile(r"[\u3040-\u30ff]")
_JA_PREFIX_CUE = re.compile(r"[不非無未](?=[\u3400-\u9fff\u30a0-\u30ff])")


def _mask(pattern: re.Pattern[str], value: str) -> str:
    return pattern.sub(lambda m: " " * len(m.group()), value)
