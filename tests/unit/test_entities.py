"""The general-knowledge entity table: Japanese and Taiwanese places, companies and institutions
are one entity in zh-TW, ja and en, and words that merely contain a place name are not it."""

from __future__ import annotations

import pytest
from conftest import GLOSSARY

from assistant.grounding import EntityTable
from assistant.grounding.entities import ENTITIES

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def table() -> EntityTable:
    return EntityTable.with_glossary(GLOSSARY)


def test_keys_are_unique_lowercase_ascii() -> None:
    keys = [entity.key for entity in ENTITIES]
    assert len(keys) == len(set(keys))
    assert all(key.isascii() and key == key.lower() for key in keys)


@pytest.mark.parametrize("name", ["廣島", "広島", "Hiroshima", "廣島縣", "広島県", "广岛"])
def test_hiroshima_in_every_language_is_one_entity(table: EntityTable, name: str) -> None:
    assert table.keys(f"工廠位於 {name} 。") == {"hiroshima"}


def test_a_plant_moved_to_another_prefecture_is_caught(table: EntityTable) -> None:
    assert table.missing("位於廣島的 JASM 工廠", "如 JASM 熊本廠案例") == ["hiroshima"]
    assert table.missing("JASM の工場は熊本にある", "如 JASM 熊本廠案例") == []
    assert table.missing("a plant in Hiroshima", "広島県の工場") == []


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (("臺中市", "台中市", "Taichung"), "taichung"),
        (("高雄", "Kaohsiung"), "kaohsiung"),
        (("新竹科學園區", "竹科", "新竹サイエンスパーク", "Hsinchu Science Park"),
         "hsinchu_science_park"),
    ],
)  # fmt: skip
def test_a_taiwanese_place_in_three_scripts(
    table: EntityTable, names: tuple[str, ...], key: str
) -> None:
    for name in names:
        assert table.keys(f"在 {name} 設廠") == {key}, name


@pytest.mark.parametrize(
    ("names", "key"),
    [
        (("東京威力科創", "東京エレクトロン", "Tokyo Electron"), "tokyo_electron"),
        (("鴻海", "ホンハイ", "Foxconn", "Hon Hai"), "foxconn"),
        (("產總研", "産総研", "AIST"), "aist"),
        (("經團連", "経団連", "Keidanren"), "keidanren"),
    ],
)
def test_a_company_or_institution_in_three_scripts(
    table: EntityTable, names: tuple[str, ...], key: str
) -> None:
    for name in names:
        assert table.keys(f"{name} は協力する") == {key}, name


def test_the_same_place_across_languages_is_not_missing(table: EntityTable) -> None:
    assert table.missing("Foxconn is building a plant in Kaohsiung.", "鴻海在高雄設廠") == []
    assert table.missing("台中市の工場", "a plant in Taichung") == []
    assert table.missing("Tokyo Electron opened an office in Tokyo", "東京エレクトロン") == []


def test_a_city_inside_a_longer_name_is_that_longer_name(table: EntityTable) -> None:
    assert table.keys("北九州市") == {"kitakyushu"}
    assert table.keys("東京エレクトロン") == {"tokyo_electron"}
    assert table.keys("New Taipei City") == {"new_taipei"}


@pytest.mark.parametrize(
    "text",
    [
        "高知識份子",  # 高知: Kochi
        "三重的挑戰",  # 三重: Mie
        "大分工時代",  # 大分: Oita
        "山口的風景",  # 山口: Yamaguchi
        "熱愛知識",  # 愛知: Aichi
        "中部地區的產業",  # central Taiwan, not Chubu
        "在這個平台中,平台達到新高",  # 台中: Taichung; 台達: Delta
        "資金門檻很高",  # 金門: Kinmen
        "對越南投資增加",  # 南投: Nantou
        "15日立法院三讀通過",  # 日立: Hitachi
        "物理研究與串聯電路",  # 理研: RIKEN; 聯電: UMC
        "山梨酸鉀",  # 山梨: Yamanashi
        "東北亞局勢",  # 東北: Tohoku
        "目につくばかりだ",  # つくば: Tsukuba
        "A sharp rise in the delta of demand",  # Sharp, Delta
        "Japan Standard Time (JST)",  # JST
    ],
)
def test_a_word_that_merely_contains_a_name_is_not_a_mention(table: EntityTable, text: str) -> None:
    new = {e.key for e in ENTITIES} - {"japan", "taiwan", "china", "vietnam", "southeast_asia"}
    assert not table.keys(text) & new, table.keys(text)


def test_a_place_word_does_not_hide_a_region(table: EntityTable) -> None:
    assert table.keys("有關東南亞的政策") == {"southeast_asia"}
    assert table.keys("對越南投資增加") == {"vietnam"}


@pytest.mark.parametrize(
    "text",
    [
        "台日都需要一個「非中」的韌性供應鏈",
        "台湾と日本はいずれも「非中国」の強靭なサプライチェーンを必要としている",
        "日台はともに「脱中国」のレジリエンスを求める",
        "擺脫中國依賴,建立脫中供應鏈",
        "Both need a resilient non-China supply chain.",
    ],
)
def test_a_supply_chain_without_china_does_not_name_china(table: EntityTable, text: str) -> None:
    assert "china" not in table.keys(text)
    assert "non_china" in table.keys(text)


def test_a_claim_about_a_supply_chain_without_china_needs_a_passage_that_says_so(
    table: EntityTable,
) -> None:
    said = "面對建立非中(Non-China)韌性供應鏈的需求,台日合作更顯重要。"
    about_china = "中國市場對台日企業仍然重要。"
    claim = "Taiwan and Japan both need a non-China supply chain."
    assert table.missing(claim, said) == []
    assert table.missing(claim, about_china) == ["non_china"]
    # and a claim that does name China is not satisfied by a passage about leaving it
    assert table.missing("中國市場很重要", said) == ["china"]
