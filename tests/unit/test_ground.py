"""The offline verifier: numbers and entities in zh-TW, ja and en.

The vetoes are checked with the deterministic ``FakeEmbedder`` (they do not depend on the
embedding); a verbatim quote is supported whatever the embedder."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import GLOSSARY
from fakes import FakeEmbedder

from assistant.grounding import (
    CombinedVerifier,
    EntityTable,
    GroundingVerdict,
    LLMJudge,
    OfflineVerifier,
    Quantity,
    Verifier,
    judge_prompt,
    quantities,
    unmatched_quantities,
)

pytestmark = pytest.mark.unit

TALENT = "根據日本經濟產業省(METI)預估,至 2030 年,日本 IT 與數位人才缺口將高達 79 萬人。"
SURVEY = (
    "雖然 45% 的受訪者表示希望能設立日本分公司(展現長期承諾),但實際上近 40% 的既有合作"
    "仍停留在『單次交易』或『技術授權』的淺層階段。"
)
NEGOTIATION = (
    "在台灣,三個月是漫長的拖延;但在日本,一份耗時三個月的協商,不是時間成本的浪費,"
    "而是為了建立長達十年的「信任資產(Trust Assets)」所必須進行的初期投資。"
)
PLAN = "最佳的獲利模式,是建立一套「日本規劃(Plan)+ 台灣執行(Build)」的分工體系。"


@pytest.fixture(scope="module")
def verifier() -> OfflineVerifier:
    return OfflineVerifier(FakeEmbedder(), glossary=GLOSSARY)


def values(text: str) -> set[tuple[str, str | None]]:
    return {(format(q.value.normalize(), "f"), q.unit) for q in quantities(text)}


# -- number normalisation --------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["79 萬人", "79万人", "790,000 people", "790 thousand people", "七十九萬人", "79萬 人"],
)
def test_the_same_number_written_six_ways(text: str) -> None:
    assert Quantity(Decimal(790000), "person") in quantities(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("54%", ("54", "percent")),
        ("54 percent", ("54", "percent")),
        ("54パーセント", ("54", "percent")),
        ("9割", ("90", "percent")),
        ("三個月", ("3", "month")),
        ("3か月", ("3", "month")),
        ("three months", ("3", "month")),
        ("十年", ("10", "year")),
        ("過去四十年間", ("40", "year")),
        ("forty-five", ("45", None)),
        ("四分之一", ("0.25", "fraction")),
        ("三個季度", ("3", "quarter")),
        ("3 quarters", ("3", "quarter")),
        ("三季", ("3", "quarter")),
        ("3 個部門", ("3", "department")),
        ("three teams", ("3", "team")),
        ("半數的企業", ("0.5", "fraction")),
        ("大手企業の半数", ("0.5", "fraction")),
        ("half of the firms", ("0.5", "fraction")),
        ("1980s", ("1980", "decade")),
        ("80年代", ("1980", "decade")),
        ("三十七份問卷", ("37", None)),
    ],
)
def test_numbers_with_their_units(text: str, expected: tuple[str, str | None]) -> None:
    assert expected in values(text)


def test_words_that_only_look_like_numbers_are_not_numbers_in_a_claim() -> None:
    assert quantities("一旦稟議通過,萬一失敗也不會翻盤。") == frozenset()
    assert quantities("One of the reasons is trust.") == frozenset()


def test_half_is_a_number_but_not_in_semiconductors_durations_or_bounds() -> None:
    assert quantities("台灣的半導體與上半年的協商, a half-year plan") == frozenset()
    # half a year is a duration of 0.5 years, not the share 1/2
    assert {str(q) for q in quantities("半年的協商, half a year later")} == {"0.5 (year)"}
    # a bound half is a bound: "more than half" is ≥ 1/2 (see test_a_bound_half_below)
    assert {str(q) for q in quantities("超過半數的企業, more than half of them")} == {
        "≥~0.5 (fraction)"
    }


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("More than 30 companies took part.", "30 companies or fewer took part."),
        ("超過30家企業參與。", "參與企業在30家以下。"),
        ("At most 30 people attended.", "30人以上が参加した。"),
        ("The IT talent gap will exceed 790,000: more than 790,000 people.", TALENT),
        ("More than 40% of the collaborations stay shallow.", SURVEY),  # 近 40%: under 40%
        ("超過30人", "不超過 30 人"),
        # a bound on the wrong side of the passage's exact figure, though within 10% of it
        ("More than 30 companies joined.", "28 companies joined."),
        ("不到30家企業參與。", "參與企業為32家。"),
        ("30社以上が参加した。", "参加企業は28社だった。"),
        ("Nearly 40% agreed.", "43% agreed."),
        # bound verbs: exceeded, topped, 未達, 未滿, に満たない, を下回る
        ("出席人數未達500人。", "出席人數超過500人。"),
        ("出席者は500人に満たなかった。", "出席者は500人を超えた。"),
        ("Attendance exceeded 500.", "出席人數未滿500人。"),
        ("Attendance topped 500.", "出席者は500人未満だった。"),
        ("出席者は500人を下回った。", "Attendance topped 500."),
    ],
)
def test_a_bound_turned_the_other_way_is_not_the_passage_s_number(claim: str, passage: str) -> None:
    assert unmatched_quantities(claim, [passage])


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("About 790,000 IT workers will be lacking by 2030.", TALENT),  # 高達: up to
        ("790,000 IT workers will be lacking by 2030.", TALENT),
        ("Up to 790,000 IT workers will be lacking by 2030.", TALENT),
        ("At least 30 people attended.", "30人以上が参加した。"),
        ("有六成以上不超過 30 人。", "61.5% of the teams have 30 people or fewer."),  # 不超過: ≤
        ("Nearly 40% of the collaborations stay shallow.", SURVEY),
        ("最近3年で増えた。", "3年以上かかる。"),  # 最近 is "recently", not "nearly"
        ("More than 30 companies joined.", "逾30家企業參與。"),
        ("Nearly 40% agreed.", "38% agreed."),
        ("At least 30 companies joined.", "30 companies joined."),  # at the figure: rounded
        ("More than 500 people attended.", "出席者は500人を突破した。"),
    ],
)
def test_a_bound_in_the_same_direction_or_none_agrees(claim: str, passage: str) -> None:
    assert not unmatched_quantities(claim, [passage])


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("Growth was 30% to 50%.", "成長率為30-50%。"),
        ("成長率為30%至50%。", "Growth was 30〜50%."),
        ("It takes 3 to 5 years.", "3~5年かかる。"),
        ("The fund is 3 million to 5 million yen.", "基金為300至500萬日圓。"),
    ],
)
def test_a_range_s_first_figure_takes_the_unit_of_its_second(claim: str, passage: str) -> None:
    assert not unmatched_quantities(claim, [passage])
    assert unmatched_quantities(claim.replace("3", "4"), [passage])


@pytest.mark.parametrize(
    ("claim", "passage", "stated"),
    [
        ("The program runs for 18 months.", "計畫為期一年半。", True),
        ("The program runs for six months.", "計畫為期半年。", True),
        ("The program runs for a year.", "計畫為期半年。", False),
        ("It took a year and a half.", "1年半かかった。", True),
        ("It took 3.5 months.", "花了三個半月。", True),
        ("Sales doubled.", "売上は3倍になった。", False),
        ("売上は3倍になった。", "Sales tripled.", True),
        ("Costs were halved.", "コストは半減した。", True),
        ("Sales grew 3 percentage points.", "銷售成長3個百分點。", True),
        ("每人最多5000日圓。", "1人あたり5000円以上。", False),  # a bound after a currency
        ("The investment is under 100 billion yen.", "投資額は1000億円を超える。", False),
    ],
)
def test_halves_multiples_points_and_bounds_after_a_currency(
    claim: str, passage: str, stated: bool
) -> None:
    assert (not unmatched_quantities(claim, [passage])) is stated


def test_a_fraction_and_a_percentage_of_the_same_share_agree() -> None:
    assert not unmatched_quantities("Half of the respondents agreed.", ["50% 的受訪者同意"])
    assert not unmatched_quantities("33% の回答者", ["三分之一的受訪者"])
    assert unmatched_quantities("25% の回答者", ["三分之一的受訪者"])
    claim = "すでに大手企業の半数が導入している。"
    assert unmatched_quantities(claim, ["日本必須將出島升級為產業界的標準配備"])


def test_a_bare_thousand_or_ten_thousand_before_a_counter_is_a_number() -> None:
    assert Quantity(Decimal(1000), "person") in quantities("千人規模的日本商社")
    assert Quantity(Decimal(10000), "firm") in quantities("萬家企業")
    claim = "當一支 30 人的團隊試圖對接千人規模的日本商社時"
    passage = "30 人的游擊隊對接萬人規模的日本商社"
    assert [str(q) for q in unmatched_quantities(claim, [passage])] == ["1000 (person)"]
    assert not unmatched_quantities("千人規模的商社", ["千人規模的商社"])
    # idioms and vague amounts are not numbers
    idioms = ("千萬不要放棄", "萬一失敗", "數萬人", "何万人もの", "成千上萬人", "万年筆", "万博")
    for text in idioms:
        assert quantities(text) == frozenset(), text


def test_work_time_units_are_hours_days_and_months_not_people() -> None:
    claim = "whether a system can offset three man-hours of work"
    assert [str(q) for q in unmatched_quantities(claim, ["這套系統能否抵銷 3 個人力?"])] == [
        "3 (hour)"
    ]
    assert not unmatched_quantities("three man-hours", ["3 man-hours"])
    assert not unmatched_quantities("3 person-hours", ["3 人時"])
    assert ("5", "day") in values("5 person-days") & values("5人日")
    assert ("2", "month") in values("2人月")
    assert ("3", "person") in values("3人日本へ派遣")  # 3 people, 日本: not 人日


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("日本企業の9割が導入", ("90", "percent")),
        ("4割近くが", ("40", "percent")),
        ("6割強の", ("60", "percent")),
        ("三成的企業", ("30", "percent")),
        ("四成五的受訪者", ("45", "percent")),
        ("3割5分", ("35", "percent")),
    ],
)
def test_tenths_are_read_before_any_following_word(
    text: str, expected: tuple[str, str | None]
) -> None:
    assert expected in values(text)


def test_tenths_are_not_read_in_compounds() -> None:
    for text in ("三成本", "二成長", "一成不變", "3割引", "5割安"):
        assert ("30", "percent") not in values(text) and all(
            unit != "percent" for _, unit in values(text)
        ), text


def test_a_hedged_claim_number_is_approximate() -> None:
    assert str(Quantity(Decimal(60), "percent", approximate=True)) == "~60%"
    for text in ("約 60%", "6割強", "nearly 60%", "60% or so", "六成左右", "近六成", "60%以上"):
        assert {q.approximate for q in quantities(text)} == {True}, text
    assert {q.approximate for q in quantities("60% の回答者")} == {False}
    assert {q.approximate for q in quantities("三十多年")} == {True}
    assert ("30", "year") in values("三十多年")
    assert {q.approximate for q in quantities("60%強化")} == {False}  # 強化: strengthen
    assert {q.approximate for q in quantities("最近3年")} == {False}  # 最近: recently
    # a passage is read generously: its hedges do not matter
    assert {q.approximate for q in quantities("約 60%", generous=True)} == {False}


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("nearly 41% of the partnerships", "近 40% 的既有合作"),
        ("about 36% of startups", "35% of startups"),
        ("約 311 億日圓", "310 億日圓"),
        ("about 12 meetings per startup", "11 meetings per startup"),
        ("no more than 31 people", "30 人以下"),
        ("the team had no less than 30 people", "30 人以下"),  # no less than: at least
    ],
)
def test_a_hedge_rounds_a_figure_but_does_not_move_it(claim: str, passage: str) -> None:
    assert unmatched_quantities(claim, [passage])


def test_an_approximate_number_matches_within_ten_percent_of_the_passage() -> None:
    assert not unmatched_quantities("チームの6割強", ["61.5% 的團隊"])
    assert not unmatched_quantities("nearly 40% of partnerships", ["38.5% of partnerships"])
    assert not unmatched_quantities("about 800,000 workers", [TALENT])
    # 近五成 states 45% (the respondents, in SURVEY) but not the partnerships' 近 40%
    assert unmatched_quantities("實際上有近五成的既有合作", ["實際上近 40% 的既有合作"])
    assert unmatched_quantities("roughly two-thirds are startups", ["佔比已達 54%"])
    assert unmatched_quantities("about 900,000 workers", [TALENT])
    # exact numbers stay exact, hedged units still agree, calendar years have no tolerance
    assert unmatched_quantities("60% of the teams", ["61.5% 的團隊"])
    assert unmatched_quantities("about 40 partnerships", ["近 40% 的既有合作"])
    assert unmatched_quantities("around 2031", ["至 2030 年"])


def test_an_approximate_half_but_not_a_bound() -> None:
    assert not unmatched_quantities("nearly half of the firms", ["48% of the firms"])
    assert not unmatched_quantities("約半数の企業", ["52% 的企業"])
    assert unmatched_quantities("近半數的企業", ["40% 的企業"])
    bounds = ("more than half", "超過半數的企業", "半数を超えている", "半數以上")
    for text in bounds:
        assert {str(q) for q in quantities(text)} == {"≥~0.5 (fraction)"}, text


@pytest.mark.parametrize(
    ("claim", "passage", "stated"),
    [
        ("More than half of the firms are deep tech.", "台灣新創的佔比已達 54%", True),
        ("More than half of respondents want a branch.", "45% of respondents want a branch", False),
        ("Nearly half of respondents want a branch.", "回答者の45%が希望する", True),
        ("回答者は半数をやや下回る。", "回答者の45%が希望する", True),
        ("回答者は半数をやや上回る。", "回答者の45%が希望する", False),
        ("More than a third stay shallow.", "近 40% 的既有合作", True),
        ("More than a third stay shallow.", "45% stay shallow", False),
        ("More than 30 firms joined.", "35 firms joined.", True),
        ("2030年までに少なくとも79万人が不足する。", "最大約79万人に達する", False),
        ("61.5% 的團隊在 30 人以上。", "61.5% 的團隊在 30 人以下。30 人的游擊隊", False),
    ],
)
def test_a_bound_half_below_above_or_near_a_figure(claim: str, passage: str, stated: bool) -> None:
    """A bound states figures on its side and near it; a passage that bounds the same figure
    the other way contradicts it, wherever else it says the figure without a bound."""
    assert (not unmatched_quantities(claim, [passage])) is stated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("two in five partnerships", "0.4"),
        ("one in three respondents", "0.3333"),
        ("3 out of 10 firms", "0.3"),
        ("五人に一人", "0.2"),
        ("十家企業中有三家", "0.3"),
    ],
)
def test_x_in_y_is_a_share(text: str, expected: str) -> None:
    assert (expected, "fraction") in values(text)


def test_x_in_y_agrees_with_a_percentage() -> None:
    claim = "close to two in five existing partnerships are still one-off deals"
    assert not unmatched_quantities(claim, [SURVEY])
    assert unmatched_quantities("one in three respondents", [SURVEY])
    assert ("5", "year") in values("two in five years")  # a duration, not a share


def test_a_claim_number_the_passage_lacks_is_reported() -> None:
    assert [str(q) for q in unmatched_quantities("缺口將高達 97 萬人", [TALENT])] == [
        "≤~970000 (person)"  # 高達: "as many as", a bound (and so approximate)
    ]
    assert unmatched_quantities("By 2030 Japan will lack 790,000 IT workers.", [TALENT]) == []


def test_a_percentage_is_not_a_count_and_months_are_not_years() -> None:
    assert unmatched_quantities("Forty-five of the respondents want a subsidiary.", [SURVEY])
    assert unmatched_quantities("A negotiation lasting three years.", [NEGOTIATION])
    assert not unmatched_quantities("A negotiation lasting three months.", [NEGOTIATION])


# -- entities ----------------------------------------------------------------------------------
def test_a_glossary_term_and_a_built_in_name_for_one_thing_are_one_entity() -> None:
    table = EntityTable.with_glossary(GLOSSARY)
    claim = "根據日本經濟產業省的推估,缺口將達 79 萬人。"
    passage = "According to Japan’s Ministry of Economy, Trade and Industry (METI), 790,000."
    assert table.missing(claim, passage) == []
    assert table.keys("経済産業省") == table.keys("METI") == table.keys("經產省")


def test_entities_are_found_in_every_language() -> None:
    table = EntityTable.with_glossary(GLOSSARY)
    assert {"taiwan", "japan"} <= table.keys("而這正是台日聯手的歷史契機")
    assert {"china", "korea"} <= table.keys("面對中、韓等競爭對手")
    assert "india" not in table.keys("インド太平洋で最も安定した力")
    assert {"meti", "japan"} <= table.keys("Japan's METI publishes the estimate")


# -- the verifier --------------------------------------------------------------------------------
def test_the_offline_verifier_satisfies_the_protocol(verifier: OfflineVerifier) -> None:
    checker: Verifier = verifier
    verdict = checker.verify(TALENT, [TALENT])
    assert isinstance(verdict, GroundingVerdict)
    assert verdict.supported
    assert verdict.to_dict()["supported"] is True


@pytest.mark.parametrize(
    "claim",
    [
        "根據日本經濟產業省預估,至 2030 年日本 IT 與數位人才缺口將高達 97 萬人。",
        "経済産業省によれば、2030年までに日本のIT・デジタル人材は7.9万人不足する見込みだ。",
        "According to METI, Japan's IT talent gap will reach 790,000 by 2035.",
        "根據日本經產省預估,到 2030 年,日本 IT 與數位人才的缺口比率將達 79%。",
    ],
)
def test_wrong_numbers_are_never_accepted(verifier: OfflineVerifier, claim: str) -> None:
    verdict = verifier.verify(claim, [TALENT])
    assert not verdict.supported
    assert "number" in verdict.reason


def test_numbers_about_something_else_are_caught(verifier: OfflineVerifier) -> None:
    claim = (
        "Nearly 40% of respondents hoped to open a Japanese subsidiary, while 45% of existing "
        "collaborations were stuck at one-off deals or licensing."
    )
    assert not verifier.verify(claim, [SURVEY]).supported


@pytest.mark.parametrize(
    ("claim", "missing"),
    [
        ("國際協力機構(JICA)估計日本 IT 人才缺口將達 79 萬人。", "jica"),
        ("国際協力機構(JICA)の推計では、日本のIT人材不足は79万人に達する。", "jica"),
        ("According to South Korea's ministry, the gap will reach 790,000 by 2030.", "korea"),
    ],
)
def test_an_entity_the_passage_does_not_name(
    verifier: OfflineVerifier, claim: str, missing: str
) -> None:
    verdict = verifier.verify(claim, [TALENT])
    assert not verdict.supported
    assert missing in verdict.reason.casefold()


def test_a_verbatim_quote_is_supported_in_each_language(verifier: OfflineVerifier) -> None:
    for text in (
        TALENT,
        "経済産業省の推計によると、2030年までに日本のIT人材の不足は79万人に達する。",
        "According to METI, Japan's shortage of IT talent will reach 790,000 people by 2030.",
    ):
        assert verifier.verify(text, [text]).supported, text


# -- the LLM judge, with a scripted chat model ----------------------------------------------------
def test_the_judge_prompt_renders_claim_and_passages() -> None:
    messages = judge_prompt().format_messages(passages="[1] 甲", claim="乙")
    assert "yes or no" in messages[0].content
    assert "[1] 甲" in messages[1].content and "乙" in messages[1].content


def test_the_llm_judge_reads_yes_and_no() -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    judge = LLMJudge(FakeListChatModel(responses=["Yes.", "no"]))
    assert judge.verify("claim", ["passage"]).supported
    assert not judge.verify("claim", ["passage"]).supported


def test_offline_vetoes_are_final_over_the_llm_judge(verifier: OfflineVerifier) -> None:
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    combined = CombinedVerifier(verifier, LLMJudge(FakeListChatModel(responses=["yes"] * 3)))
    wrong = "根據日本經濟產業省預估,至 2030 年日本 IT 與數位人才缺口將高達 97 萬人。"
    assert not combined.verify(wrong, [TALENT]).supported
    assert combined.verify("Japan's IT talent gap is large.", [TALENT]).supported


def test_a_place_named_inside_a_longer_name_is_named_but_a_country_is_not() -> None:
    table = EntityTable.with_glossary(GLOSSARY)
    passage = "日本急需台灣協助復興其半導體製造能力(如 JASM 熊本廠案例)"
    assert table.missing("the JASM plant in Kumamoto", passage) == []
    assert table.missing("India needs partners", "インド太平洋で最も安定した力") == ["india"]


def test_a_duration_in_bare_units_must_agree_with_the_passage() -> None:
    passage = ["把傳統上需要數年的材料研發週期縮短到數週"]
    assert unmatched_quantities("R&D cycles that traditionally take months", passage)
    assert not unmatched_quantities("R&D cycles that traditionally take years", passage)
    assert quantities("Over the years, in recent years, many years ago") == frozenset()


def test_a_unit_the_passage_counts_in_must_carry_one_of_its_numbers() -> None:
    passage = ["台湾では三か月といえば長すぎる遅れだが、三か月を要する一件の交渉は投資だ。"]
    assert unmatched_quantities("In Taiwan even a single month counts as a long delay.", passage)
    assert unmatched_quantities("一份耗時三季的協商", ["一份耗時三個月的協商"])
    assert not unmatched_quantities("a three-month negotiation", passage)


def test_a_unit_a_word_or_two_after_the_number_still_counts() -> None:
    assert ("790000", "firm") in values("790,000 Japanese companies")
    assert ("2030", None) in values("In 2030 Japanese companies")
    assert unmatched_quantities("790,000 Japanese companies", ["79万人の人材が不足する"])


def test_a_year_is_a_date_not_a_count_of_years() -> None:
    passage = ["To sum up the survey completed at the end of 2025: over the past three years …"]
    assert not unmatched_quantities("2025年末に完了した調査によれば、ここ3年間", passage)


def test_durations_in_other_units_of_time_agree() -> None:
    passage = ["a negotiation that takes three months builds decade-long trust assets"]
    assert not unmatched_quantities("四半期にわたる交渉が10年続く信頼資産を築く。", passage)
    assert unmatched_quantities("a negotiation lasting three years", ["耗時三個月的協商"])
    assert not unmatched_quantities("In 2025 the talks began.", ["2025 年底"])


def test_periods_and_shares_of_a_century() -> None:
    passage = ["the short-term thinking of “invest this quarter, recoup next quarter”"]
    assert unmatched_quantities("'invest this year, recoup next year'", passage)
    assert not unmatched_quantities("為了這季的營收犧牲下季的規劃", passage)
    assert not unmatched_quantities("this year the talks began", ["2025 年底,雙方開始協商"])
    assert unmatched_quantities("過去半個世紀的分工", ["過去四十年間における分業モデル"])


def test_an_amount_of_money_keeps_its_currency() -> None:
    passage = ["2024 年日本企業對台灣新創的投資總額約為 310 億日圓,約合新台幣 4,800 萬元。"]
    assert unmatched_quantities("投資總額約新台幣 310 億元", passage)
    assert unmatched_quantities("a total of about NT$31 billion", passage)
    assert not unmatched_quantities("総額は約310億円だった。", passage)
    assert not unmatched_quantities("roughly NT$48 million", passage)
    # a bare 元 or "dollars" names no currency; a currency named once covers its numbers
    assert not unmatched_quantities("4,800 萬元", passage)
    assert not unmatched_quantities("NT$38 million", ["預算從 3,800 萬元增至新台幣 5,200 萬元"])


def test_a_month_of_the_calendar_is_a_date_in_every_language() -> None:
    passage = ["Demo Day was held in Tokyo on July 24, 2025; Cohort 4 starts in February 2026."]
    assert not unmatched_quantities("2025 年 7 月 24 日於東京舉行的 Demo Day", passage)
    assert not unmatched_quantities("第 4 期預計於 2026 年 2 月開始", passage)
    assert unmatched_quantities("2025 年 8 月 24 日於東京舉行", passage)
    assert unmatched_quantities("Cohort 4 starts in March 2026.", passage)
    assert not unmatched_quantities("三か月の研修", ["a three-month course, from March"])
    assert ("3", "month") in values("3か月") and ("3", "calendar-month") in values("3月")


def test_a_unit_joined_by_a_hyphen_and_a_rate_are_read_as_said() -> None:
    passage = ["six weeks in Taipei and a four-week immersion in Japan"]
    assert not unmatched_quantities("日本での4週間の滞在", passage)
    assert unmatched_quantities("日本での4か月間の滞在", passage)
    rate = ["目標是每年培養 1,000 名以上的半導體人才,起薪約為每月新台幣 5.5 萬元"]
    assert not unmatched_quantities("to train more than 1,000 engineers a year", rate)
    assert not unmatched_quantities("starting pay of about NT$55,000 a month", rate)
    assert ("1", "year") in values("the deal took a year")


def test_ranks_and_words_that_only_look_like_numbers() -> None:
    assert not unmatched_quantities("第1回の人材マッチング会", ["舉辦首屆台日半導體人才媒合會"])
    assert unmatched_quantities("第2回の人材マッチング会", ["舉辦首屆台日半導體人才媒合會"])
    assert not unmatched_quantities("Cohort 3", ["第3期"])
    assert not quantities("文書記録が十分ではない")
    assert ("0.1", "fraction") in values("十分之一")


def test_a_country_is_named_by_its_places_but_not_by_its_language(
    verifier: OfflineVerifier,
) -> None:
    table = verifier.entities
    cities = "台灣企業在東京有 112 家,大阪 41 家"
    assert not table.missing("Taiwanese companies in Japan", cities)
    assert table.missing("Taiwanese companies in Korea", cities)
    assert not table.missing("中国語に対応できる窓口", "日方企業中具備中文能力的窗口")
    assert table.missing("中国の窓口", "日方企業中具備中文能力的窗口")


def test_only_numbers_exchanged_with_each_other_are_misplaced(
    verifier: OfflineVerifier,
) -> None:
    passage = "Out of 418 applications received from 11 countries, 26 startups were selected."
    claim = "Only 26 of the 418 applications, from 11 countries, were accepted."
    assert not verifier.signals(claim, [passage]).unmatched_numbers


def test_a_rule_family_switched_off_measures_nothing() -> None:
    wrong = "根據日本經濟產業省預估,至 2030 年日本 IT 與數位人才缺口將高達 97 萬人。"
    elsewhere = "According to South Korea's ministry, the gap will reach 790,000 by 2030."
    on = OfflineVerifier(FakeEmbedder(), glossary=GLOSSARY)
    off = OfflineVerifier(
        FakeEmbedder(), glossary=GLOSSARY, disabled=frozenset({"numbers", "entities"})
    )
    assert on.signals(wrong, [TALENT]).unmatched_numbers
    assert off.signals(wrong, [TALENT]).unmatched_numbers == ()
    assert on.signals(elsewhere, [TALENT]).missing_entities
    assert off.signals(elsewhere, [TALENT]).missing_entities == ()
    with pytest.raises(ValueError, match="unknown rule families"):
        OfflineVerifier(FakeEmbedder(), disabled=frozenset({"spelling"}))


def test_a_bound_stated_only_loosely_must_be_its_own_clause_s_figure(
    verifier: OfflineVerifier,
) -> None:
    """近五成 is near the respondents' 45%, not the partnerships' 近 40% it speaks of."""
    passage = "45% 的受訪者希望設立分公司,但實際上近 40% 的既有合作仍停留在單次交易。"
    wrong = "有四成五的受訪者希望設立分公司,但實際上有近五成的既有合作仍停留在單次交易。"
    assert verifier.signals(wrong, [passage]).unmatched_numbers
    right = "近半數的受訪者希望設立分公司,但實際上有近四成的既有合作仍停留在單次交易。"
    assert not verifier.signals(right, [passage]).unmatched_numbers


def test_a_single_figure_said_of_another_group_is_misattributed(
    verifier: OfflineVerifier,
) -> None:
    passage = "其中半導體與先進製造領域佔 43%,綠能與儲能佔 21%,生醫與醫療器材佔 17%。"
    wrong = verifier.signals("生醫與醫療器材領域佔了投資總額的 21%。", [passage])
    assert wrong.unmatched_numbers == ("21% (the passage says 17% here)",)
    right = verifier.signals("生醫與醫療器材領域佔了投資總額的 17%。", [passage])
    assert not right.unmatched_numbers
    alone = "綠能與儲能佔 21%。"  # no other figure of its kind to be confused with
    assert not verifier.signals("生醫與醫療器材佔 21%。", [alone]).unmatched_numbers


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("three phases across forty years", "three phases over four decades"),
        ("led the development for nearly two decades", "開発を20年近く率いてきた"),
        ("42 days of in-person training", "six weeks of in-person training"),
        ("決裁までの期間は最短で21日間", "この期間は最短で3週間にまで短縮された"),
        ("中央値は2億3,000万円", "單筆投資中位數為 2.3 億日圓"),
    ],
)
def test_one_amount_in_other_units_or_notation_is_stated(claim: str, passage: str) -> None:
    assert not unmatched_quantities(claim, [passage])


def test_days_are_weeks_only_at_seven_a_week() -> None:
    assert unmatched_quantities("40 days of training", ["six weeks of training"])
    assert unmatched_quantities("2億3,000万円", ["2.4 億日圓"])


def test_a_currency_named_after_a_country_names_no_country(verifier: OfflineVerifier) -> None:
    passage = "The program budget will rise from NT$38 million to NT$52 million."
    assert not verifier.entities.missing("予算は5,200万台湾ドルに引き上げられる。", passage)
    assert verifier.entities.missing("予算は台湾で引き上げられる。", passage)


@pytest.mark.parametrize(
    ("claim", "passage"),
    [
        ("指導時間は合計で1,400時間弱だった。", "mentors logged more than 1,400 hours"),
        ("Such units typically took more than three weeks to reply.", "typically within 3 weeks"),
    ],
)
def test_just_under_and_within_bound_a_figure_from_above(claim: str, passage: str) -> None:
    assert unmatched_quantities(claim, [passage])
    assert not unmatched_quantities("6割強の企業", ["61.5% 的企業"])  # 強: just over, stated
