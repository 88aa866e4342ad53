"""assistant.grounding.negation: negation cues in zh-TW and ja (pure functions, no model)."""

from __future__ import annotations

import pytest

from assistant.grounding.negation import negation_count

pytestmark = pytest.mark.unit


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
