"""assistant.grounding.negation: negation cues and their scopes in zh-TW and ja (pure
functions, no model)."""

from __future__ import annotations

import pytest

from assistant.grounding.negation import _negated_scopes, negation_conflict, negation_count

pytestmark = pytest.mark.unit


# -- polarity flips that must be flagged ----------------------------------------------------------
@pytest.mark.parametrize(
    ("claim", "segment"),
    [
        ("稟議制是一種討論的工具", "稟議書不是用來「討論」的工具"),
        ("日本企業並不重視速度", "日本企業重視速度"),
        ("この制度は議論のための道具ではない", "この制度は議論のための道具だ"),
        ("日本企業沒有重視速度", "日本企業重視速度"),
        ("台灣企業無法理解稟議制", "台灣企業理解稟議制"),
        ("這家公司不會投資日本市場", "這家公司會投資日本市場"),
        ("日本企業は速度を重視しない", "日本企業は速度を重視する"),
        ("日本企業は速度を重視せず、品質を優先する", "日本企業は速度を重視する"),
        ("速度の重視はなし", "日本企業は速度を重視する"),
        ("日本企業では速度の重視が無い", "日本企業は速度を重視する"),
        # 不是/並非 + noun phrase: the copula negates the whole phrase, head noun included.
        ("稟議制不是日本企業的決策機制", "稟議制是日本特有的決策機制"),
        ("稟議制並非日本企業的決策機制", "稟議制是日本特有的決策機制"),
        # "not X but Y": X is negated.
        ("機能の多さではなく、省人化効果を数値化すべきだ", "機能の多さを強調すべきだ"),
        ("與其量化省人效益,不如強調功能多寡", "具體量化省人效益"),
    ],
)
def test_a_polarity_flip_is_flagged(claim: str, segment: str) -> None:
    assert negation_conflict(claim, segment)
    assert negation_conflict(segment, claim)


# -- agreeing polarity that must not be flagged -----------------------------------------------
@pytest.mark.parametrize(
    ("claim", "segment"),
    [
        # A negated relative clause: 的 / ない before a noun ends the scope; the head noun is
        # asserted.
        (
            "「執行阻力零」是一項外人往往不理解的優勢。",
            "優勢:執行阻力零(Zero Friction Execution)。",
        ),
        ("「執行阻力零」は外部の人には理解されない強みだ。", "強み:執行阻力零。"),
        ("「執行阻力零」是一項外人往往不理解的優勢。", "強み:執行阻力零。"),
        ("這是一種未經證實的說法", "這種說法流傳很廣"),
        ("這是非正式的會議", "會議在東京舉行"),
        # 與其 X, 不如 Y: Y is asserted; ではなく…べき: only X is negated.
        (
            "台灣軟體業者進入日本時,與其強調功能多寡,不如具體量化省人效益",
            "機能の多様さを強調するのではなく、「省人化効果」を具体的に数値化すべきである",
        ),
        ("與其強調功能多寡,不如具體量化省人效益", "具體量化省人效益是關鍵"),
        ("機能の多さではなく、省人化効果を数値化すべきだ", "省人化効果を数値化すべきである"),
        # No negation cue on either side: beyond this check's reach.
        ("出島設在組織內部", "在組織外設立"),
        ("台日若單打獨鬥必敗無疑", "台日若各自為戰注定失敗"),
        # Words that only look negative.
        ("在地夥伴是不可或缺的", "在地夥伴是關鍵"),
        ("日本市場不僅重視品質,也重視信任", "日本市場重視品質與信任"),
        ("企業必須不斷調整策略", "企業必須調整策略"),
        ("台灣企業不得不重視日本市場", "台灣企業重視日本市場"),
        ("關鍵在於系統能否取代人力", "系統取代人力"),
        ("現地パートナーは欠かせない", "現地パートナーが重要だ"),
        ("現地パートナーの重要性は少なくない", "現地パートナーの重要性"),
        ("成功の鍵は信頼に他ならない", "成功の鍵は信頼だ"),
        ("信頼を築くしかない", "信頼を築く"),
        ("品質だけでなく速度も重視する", "品質と速度を重視する"),
        ("信頼は重要かもしれません", "信頼は重要だ"),
    ],
)
def test_agreeing_polarity_is_not_flagged(claim: str, segment: str) -> None:
    assert not negation_conflict(claim, segment)
    assert not negation_conflict(segment, claim)


# -- cues --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "與其強調功能,不如量化效益",  # counts 與其 only: 不如 negates nothing
        "不僅如此",
        "不仅如此",
        "不只如此",
        "不單如此",
        "不但如此",
        "市場不斷變化",
        "不少企業",
        "不久之後",
        "兩國文化不同",
        "不論規模",
        "不管規模",
        "不得不接受",
        "不可或缺的夥伴",
        "非常重要",
        "無論如何",
        "无论如何",
        "毫無疑問",
        "是否成功",
        "欠かせない存在",
        "少なくない企業",
        "信頼を築くしかない",
        "信頼に他ならない",
        "重要かもしれない",
        "品質だけでなく",
        "相変わらず",
    ],
)
def test_words_that_only_look_negative(text: str) -> None:
    expected = 1 if text.startswith("與其") else 0
    assert negation_count(text) == expected, text


@pytest.mark.parametrize(
    "text",
    [
        "稟議書不是討論的工具",
        "這並非唯一的方法",
        "日本企業沒有明確的目標",
        "計畫未獲批准",
        "外人無法理解",
        "日本企業不會改變",
        "日本企業不能等待",
        "日本企業は変わらない",
        "議論のための道具ではない",
        "何も言わずに去った",
        "前例なし",
        "問題が無い",
        "未経験の分野",
    ],
)
def test_true_negations_are_cues(text: str) -> None:
    assert negation_count(text) >= 1, text


# -- scopes ------------------------------------------------------------------------------------
def scope_texts(text: str) -> list[str]:
    return [text[start:end] for start, end in _negated_scopes(text)]


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("外人往往不理解的優勢", "理解"),  # a relative clause ends at 的
        ("不可忽視之力量", "可忽視"),  # … and at 之
        ("這是非正式的會議", "正式"),  # the prefix 非
        ("稟議書不是用來討論的工具", "是用來討論的工具"),  # 是…的: the negation covers it whole
        ("核心不在於紙面上的流程", "在於紙面上的流程"),  # a copular verb, likewise
        ("日本企業沒有明確的目標", "有明確的目標"),  # existence: the head noun is negated
        ("機能の多さではなく", "機能の多さ"),
        ("與其強調功能不如量化效益", "強調功能"),  # 與其 X 不如 Y: Y is not rejected
        ("未経験の分野に挑戦する", "経験"),  # a Japanese prefix: the word it attaches to
        ("理解されない強みではない", "強み"),  # an outer negation stops at ない + noun
    ],
)
def test_where_a_scope_ends(text: str, scope: str) -> None:
    assert scope in scope_texts(text)


def test_a_relative_clause_head_is_outside_the_scope() -> None:
    assert all("優勢" not in s for s in scope_texts("外人往往不理解的優勢"))
    assert all("強み" not in s for s in scope_texts("外部の人には理解されない強み"))
