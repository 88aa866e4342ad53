"""Step 2 of the grounding verifier: named entities agree.

A country, organisation or glossary term the claim names (in any of zh-TW, ja, en) must be
named by the passages too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from assistant.text import fold_han, fold_script


@dataclass(frozen=True)
class Entity:
    """A named thing and its names in zh-TW, ja and en; ``country``: a country, not a place
    or an organisation (a country is never read inside a longer name: 印度 in 印度太平洋)."""

    key: str
    aliases: tuple[str, ...]
    country: bool = False


def _country(key: str, zh: str, ja: str, en: str, adj: str, *aliases: str) -> Entity:
    return Entity(key, (zh, ja, en, adj, *aliases), country=True)


def _org(key: str, *aliases: str) -> Entity:
    return Entity(key, aliases)


def _group(entity: Entity) -> str:
    if entity.key.startswith("glossary:"):
        return "glossary"
    return "country" if entity.country else "other"


def _alias_key(alias: str) -> str:
    return alias.casefold() if alias.isascii() else fold_script(alias)


def _entity_label(key: str) -> str:
    return key.split(":", 2)[-1]


# General knowledge: countries, regions and organisations the Taiwan–Japan ecosystem talks
# about, with their usual names and abbreviations in the three languages.
ENTITIES: tuple[Entity, ...] = (
    _country("taiwan", "台灣", "台湾", "Taiwan", "Taiwanese", "臺灣", "台商", "台資", "台企",
             "台方", "台系", "Formosa", "中華民國", "ROC"),
    _country("japan", "日本", "日本", "Japan", "Japanese", "日方", "日商", "日資", "日系",
             "日企", "日本国", "ニッポン", "にっぽん"),
    _country("china", "中國", "中国", "China", "Chinese", "中方", "中資", "中国大陸", "中國大陸",
             "PRC", "非中", "脱中国", "脫中", "Non-China", "一帶一路"),
    _country("korea", "韓國", "韓国", "Korea", "Korean", "南韓", "韓方", "South Korea"),
    _country("usa", "美國", "アメリカ", "United States", "American", "米国", "美方", "U.S.",
             "USA", "US", "America"),
    _country("india", "印度", "インド", "India", "Indian"),
    _country("indonesia", "印尼", "インドネシア", "Indonesia", "Indonesian", "印度尼西亞"),
    _country("philippines", "菲律賓", "フィリピン", "Philippines", "Philippine", "Filipino"),
    _country("vietnam", "越南", "ベトナム", "Vietnam", "Vietnamese", "Viet Nam"),
    _country("thailand", "泰國", "タイ王国", "Thailand", "Thai"),
    _country("malaysia", "馬來西亞", "マレーシア", "Malaysia", "Malaysian"),
    _country("singapore", "新加坡", "シンガポール", "Singapore", "Singaporean"),
    _country("germany", "德國", "ドイツ", "Germany", "German"),
    _country("uk", "英國", "イギリス", "United Kingdom", "British", "英国", "Britain", "UK"),
    _country("france", "法國", "フランス", "France", "French"),
    _country("russia", "俄羅斯", "ロシア", "Russia", "Russian"),
    _country("australia", "澳洲", "オーストラリア", "Australia", "Australian", "豪州"),
    _country("israel", "以色列", "イスラエル", "Israel", "Israeli"),
    _org("southeast_asia", "東南亞", "東南アジア", "Southeast Asia", "South-East Asia",
         "Southeast Asian"),
    _org("asean", "ASEAN", "東協", "東盟"),
    _org("middle_east", "中東", "Middle East", "Middle Eastern"),
    _org("europe", "歐洲", "欧州", "ヨーロッパ", "Europe", "European", "EU", "歐盟", "欧州連合"),
    _org("africa", "非洲", "アフリカ", "Africa", "African"),
    _org("latin_america", "拉丁美洲", "中南美", "ラテンアメリカ", "Latin America", "中南米"),
    _org("indo_pacific", "印太", "インド太平洋", "Indo-Pacific"),
    _org("asia_pacific", "亞太", "アジア太平洋", "Asia-Pacific", "Asia Pacific"),
    _org("silicon_valley", "矽谷", "シリコンバレー", "Silicon Valley"),
    _org("global_south", "全球南方", "グローバルサウス", "グローバル・サウス", "Global South"),
    _org("kumamoto", "熊本", "Kumamoto"),
    _org("tokyo", "東京", "Tokyo"),
    _org("osaka", "大阪", "Osaka"),
    _org("taipei", "台北", "臺北", "Taipei"),
    _org("hsinchu", "新竹", "Hsinchu"),
    _org("tsmc", "台積電", "TSMC", "台湾積体電路製造", "Taiwan Semiconductor Manufacturing"),
    _org("jasm", "JASM", "Japan Advanced Semiconductor Manufacturing"),
    _org("rapidus", "Rapidus", "ラピダス"),
    _org("sony", "Sony", "ソニー", "索尼"),
    _org("toyota", "Toyota", "トヨタ", "豐田"),
    _org("jica", "JICA", "國際協力機構", "国際協力機構", "ジャイカ",
         "Japan International Cooperation Agency"),
    _org("jetro", "JETRO", "ジェトロ", "日本貿易振興機構", "Japan External Trade Organization"),
    _org("meti", "METI", "經產省", "經濟產業省", "経済産業省", "経産省",
         "Ministry of Economy, Trade and Industry"),
    _org("moea", "MOEA", "經濟部", "台湾経済部", "Ministry of Economic Affairs"),
    _org("nedo", "NEDO", "新エネルギー・産業技術総合開発機構"),
    _org("itri", "ITRI", "工研院", "工業技術研究院", "Industrial Technology Research Institute"),
    _org("sequoia", "Sequoia", "紅杉", "セコイア"),
    _org("economist", "Economist", "經濟學人", "エコノミスト"),
    _org("un", "United Nations", "聯合國", "国際連合", "国連"),
    _org("wto", "WTO", "世界貿易組織", "世界貿易機関"),
    _org("oda", "ODA", "政府開發援助", "政府開発援助", "official development assistance"),
    # Japan: regions, the 47 prefectures (a city named like its prefecture is that entity)
    # and major cities. Only with 縣/県 where the bare name is a word or sits inside common
    # text: 三重 "triple", 高知 (高知識), 大分 (大分工), 山口 "mountain pass", 愛知 (熱愛知識),
    # 山形 "chevron", 群馬 "herd of horses", 宮城 "palace", 山梨 (山梨酸), 富山 (財富山),
    # 島根 (島根本), 鳥取 (鳥取食), 岩手 (攀岩手套), 德島 (羅德島), 岡山 (also Kaohsiung's).
    # In English, "X Prefecture" where X is a word or a surname whose kanji are not listed
    # bare (Mie, Saga, Kochi, Shiga, Yamaguchi, Yamagata). Regions: not 東北 (China's
    # Northeast, 東北亞), 關東/關西 (有關東南亞, 有關西方), 中部地方 (Taiwan's 中部), 中國地方
    # (中國地方政府), 四國 (美日印澳四國) or つくば (目につくばかり) bare.
    _org("hokkaido", "北海道", "Hokkaido", "Hokkaidō"),
    _org("tohoku", "東北地方", "Tohoku", "Tōhoku"),
    _org("kanto", "關東地區", "関東地方", "関東圏", "Kanto", "Kantō"),
    _org("chubu", "Chubu", "Chūbu"),
    _org("kansai", "關西地區", "関西地方", "関西圏", "近畿", "Kansai"),
    _org("chugoku", "Chugoku", "Chūgoku"),
    _org("shikoku", "四國地區", "四国地方", "Shikoku"),
    _org("kyushu", "九州", "Kyushu", "Kyūshū"),
    _org("okinawa", "沖繩", "沖縄", "Okinawa"),
    _org("aomori", "青森", "Aomori"),
    _org("iwate", "岩手縣", "岩手県", "Iwate"),
    _org("miyagi", "宮城縣", "宮城県", "Miyagi"),
    _org("akita", "秋田", "Akita"),
    _org("yamagata", "山形縣", "山形県", "Yamagata Prefecture"),
    _org("fukushima", "福島", "Fukushima"),
    _org("ibaraki", "茨城", "Ibaraki"),
    _org("tochigi", "栃木", "櫪木", "Tochigi"),
    _org("gunma", "群馬縣", "群馬県", "Gunma"),
    _org("saitama", "埼玉", "Saitama"),
    _org("chiba", "千葉", "Chiba"),
    _org("kanagawa", "神奈川", "Kanagawa"),
    _org("niigata", "新潟", "Niigata"),
    _org("toyama", "富山縣", "富山県", "Toyama"),
    _org("ishikawa", "石川", "Ishikawa"),
    _org("fukui", "福井", "Fukui"),
    _org("yamanashi", "山梨縣", "山梨県", "Yamanashi"),
    _org("nagano", "長野", "Nagano"),
    _org("gifu", "岐阜", "Gifu"),
    _org("shizuoka", "靜岡", "静岡", "Shizuoka"),
    _org("aichi", "愛知縣", "愛知県", "Aichi"),
    _org("mie", "三重縣", "三重県", "Mie Prefecture"),
    _org("shiga", "滋賀", "Shiga Prefecture"),
    _org("kyoto", "京都", "Kyoto"),
    _org("hyogo", "兵庫", "Hyogo"),
    _org("nara", "奈良", "Nara"),
    _org("wakayama", "和歌山", "Wakayama"),
    _org("tottori", "鳥取縣", "鳥取県", "Tottori"),
    _org("shimane", "島根縣", "島根県", "Shimane"),
    _org("okayama", "岡山縣", "岡山県", "Okayama"),
    _org("hiroshima", "廣島", "広島", "Hiroshima", "廣島縣", "広島県"),
    _org("yamaguchi", "山口縣", "山口県", "Yamaguchi Prefecture"),
    _org("tokushima", "德島縣", "徳島県", "Tokushima"),
    _org("kagawa", "香川", "Kagawa"),
    _org("ehime", "愛媛", "Ehime"),
    _org("kochi", "高知縣", "高知県", "Kochi Prefecture"),
    _org("fukuoka", "福岡", "Fukuoka"),
    _org("saga", "佐賀", "Saga Prefecture"),
    _org("nagasaki", "長崎", "Nagasaki"),
    _org("oita", "大分縣", "大分県", "Oita", "Ōita"),
    _org("miyazaki", "宮崎", "Miyazaki"),
    _org("kagoshima", "鹿兒島", "鹿児島", "Kagoshima"),
    _org("yokohama", "橫濱", "横浜", "Yokohama"),
    _org("nagoya", "名古屋", "Nagoya"),
    _org("kobe", "神戶", "神戸", "Kobe"),
    _org("sapporo", "札幌", "Sapporo"),
    _org("sendai", "仙台", "Sendai"),
    _org("kawasaki", "川崎", "Kawasaki"),
    _org("tsukuba", "筑波", "つくば市", "Tsukuba"),
    _org("kitakyushu", "北九州", "Kitakyushu"),
    # Taiwan: cities, counties and science parks. Not bare 新北 (重新北上), 台中 (平台中,
    # 台中小企業), 台南 (平台南), 南投 (越南投資), 台東 (台東南亞, Tokyo's 台東区), 金門
    # (資金門檻, 金門大橋), 中科 (中國科學院) or 南科 (越南科技).
    _org("new_taipei", "新北市", "New Taipei"),
    _org("taoyuan", "桃園", "Taoyuan"),
    _org("taichung", "台中市", "臺中市", "Taichung"),
    _org("tainan", "台南市", "臺南市", "Tainan"),
    _org("kaohsiung", "高雄", "Kaohsiung"),
    _org("keelung", "基隆", "Keelung"),
    _org("chiayi", "嘉義", "Chiayi"),
    _org("miaoli", "苗栗", "Miaoli"),
    _org("changhua", "彰化", "Changhua"),
    _org("nantou", "南投縣", "南投市", "Nantou"),
    _org("yunlin", "雲林", "Yunlin"),
    _org("pingtung", "屏東", "Pingtung"),
    _org("yilan", "宜蘭", "Yilan"),
    _org("hualien", "花蓮", "Hualien"),
    _org("taitung", "台東縣", "臺東縣", "台東市", "Taitung"),
    _org("penghu", "澎湖", "Penghu"),
    _org("kinmen", "金門縣", "Kinmen", "Quemoy"),
    _org("matsu", "馬祖", "Matsu Islands"),
    _org("hsinchu_science_park", "新竹科學園區", "新竹科学園区", "竹科", "Hsinchu Science Park",
         "新竹サイエンスパーク"),
    _org("central_taiwan_science_park", "中部科學園區", "中部科学園区",
         "Central Taiwan Science Park"),
    _org("southern_taiwan_science_park", "南部科學園區", "南部科学園区",
         "台南科學園區", "Southern Taiwan Science Park"),
    # Companies and institutions. Not bare 聯電 (串聯電路), 台達 (平台達到), 日立 (15日立法院,
    # 次日立即), 理研 (物理研究), 電裝/電装 (electrical equipment), 三星 (三星級), 日本電気
    # (日本電気料金), シャープ and Sharp ("sharp"), Delta, ASE (Atomic Simulation Environment),
    # JST (Japan Standard Time) or NDC (nationally determined contributions).
    _org("foxconn", "鴻海", "Foxconn", "Hon Hai", "ホンハイ", "フォックスコン"),
    _org("mediatek", "聯發科", "MediaTek", "メディアテック"),
    _org("umc", "聯華電子", "UMC", "United Microelectronics"),
    _org("ase", "日月光", "ASE Technology", "ASE Group"),
    _org("delta", "台達電", "Delta Electronics", "デルタ電子"),
    _org("acer", "宏碁", "Acer", "エイサー"),
    _org("asus", "華碩", "ASUS", "Asus", "エイスース"),
    _org("tokyo_electron", "東京威力科創", "東京エレクトロン", "Tokyo Electron"),
    _org("renesas", "瑞薩", "ルネサス", "Renesas"),
    _org("kioxia", "鎧俠", "キオクシア", "Kioxia"),
    _org("denso", "日本電裝", "デンソー", "Denso"),
    _org("hitachi", "日立製作所", "日立集團", "Hitachi"),
    _org("panasonic", "松下電器", "パナソニック", "Panasonic"),
    _org("fujitsu", "富士通", "Fujitsu"),
    _org("nec", "NEC"),
    _org("mitsubishi", "三菱", "Mitsubishi"),
    _org("softbank", "軟銀", "ソフトバンク", "SoftBank"),
    _org("toshiba", "東芝", "Toshiba"),
    _org("sharp", "夏普", "Sharp Corporation", "Sharp Corp"),
    _org("murata", "村田製作所", "Murata"),
    _org("shin_etsu", "信越化學", "信越化学", "Shin-Etsu"),
    _org("samsung", "三星電子", "サムスン", "Samsung"),
    _org("nvidia", "輝達", "エヌビディア", "Nvidia"),
    _org("psmc", "力積電", "PSMC", "Powerchip"),
    _org("aist", "AIST", "產總研", "産総研", "產業技術總合研究所", "産業技術総合研究所",
         "National Institute of Advanced Industrial Science and Technology"),
    _org("riken", "RIKEN", "理化學研究所", "理化学研究所"),
    _org("jst", "科學技術振興機構", "科学技術振興機構", "Japan Science and Technology Agency"),
    _org("nstc", "NSTC", "國科會", "国科会", "國家科學及技術委員會",
         "National Science and Technology Council"),
    _org("ndc", "國發會", "国発会", "國家發展委員會", "国家発展委員会",
         "National Development Council"),
    _org("taitra", "TAITRA", "外貿協會", "台湾貿易センター",
         "Taiwan External Trade Development Council"),
    _org("academia_sinica", "中研院", "中央研究院", "Academia Sinica"),
    _org("keidanren", "經團連", "経団連", "Keidanren", "日本經濟團體聯合會", "日本経済団体連合会",
         "Japan Business Federation"),
)  # fmt: skip

# Places and institutions that say which country they are in: a passage that names 熊本 and
# 東京 speaks of Japan, so "Taiwanese companies in Japan" is not an unnamed country there.
_IN_JAPAN = (
    "kumamoto tokyo osaka hokkaido tohoku kanto chubu kansai chugoku shikoku kyushu okinawa "
    "aomori iwate miyagi akita yamagata fukushima ibaraki tochigi gunma saitama chiba kanagawa "
    "niigata toyama ishikawa fukui yamanashi nagano gifu shizuoka aichi mie shiga kyoto hyogo "
    "nara wakayama tottori shimane okayama hiroshima yamaguchi tokushima kagawa ehime kochi "
    "fukuoka saga nagasaki oita miyazaki kagoshima yokohama nagoya kobe sapporo sendai "
    "kawasaki tsukuba kitakyushu jasm meti nedo aist riken jst keidanren jetro jica"
)
_IN_TAIWAN = (
    "taipei hsinchu new_taipei taoyuan taichung tainan kaohsiung keelung chiayi miaoli "
    "changhua nantou yunlin pingtung yilan hualien taitung penghu kinmen matsu "
    "hsinchu_science_park central_taiwan_science_park southern_taiwan_science_park moea itri "
    "nstc ndc taitra academia_sinica"
)
_LOCATED_IN = dict.fromkeys(_IN_JAPAN.split(), "japan") | dict.fromkeys(
    _IN_TAIWAN.split(), "taiwan"
)
# 中国語, 日本語, "Chinese-speaking": a language, which names no country in a claim
_LANGUAGE_AFTER = re.compile(
    r"[語语]|\s*(?:-|\s)(?:language|speaking|speakers?|fluency)\b", re.IGNORECASE
)

# Abbreviated pairs: 台日 names Taiwan and Japan; 中、韓 names China and Korea.
_ABBREVIATION = {
    "台": "taiwan", "臺": "taiwan", "日": "japan", "中": "china", "韓": "korea", "美": "usa",
    "米": "usa", "印": "india", "越": "vietnam", "菲": "philippines",
}  # fmt: skip
_PAIR = re.compile(r"(台|臺|日|中|韓|美|米)、?(台|臺|日|韓|美|米|中)")
# The pairs that name two countries (日中 is also "daytime", 美中 also "in beauty").
_PAIRS = frozenset(
    {"台日", "日台", "臺日", "日臺", "台美", "美台", "日美", "美日", "日米", "米日", "日韓", "韓日",
     "台韓", "韓台", "中韓", "韓中", "米中", "中、韓", "中、日", "日、韓", "台、日", "日、台",
     "美、中", "中、美", "美、日", "日、美"}
)  # fmt: skip


@dataclass(frozen=True)
class Mention:
    entity: str
    start: int
    end: int
    surface: str
    abbreviated: bool = False  # the 台 of 台日


# Words by which a passage refers to both parties without naming them (雙方 = 台日).
_BOTH_SIDES = re.compile(
    r"雙方|双方|彼此|兩國|两国|両国|両者|任何一方|いずれの側|どちらも|\bboth sides\b|\bthe two\b"
    r"|\beach other\b|\bboth countries\b",
    re.IGNORECASE,
)


class EntityTable:
    """Finds entity mentions in a text of any of the three languages (longest name first, so
    インド太平洋 is the Indo-Pacific and not India)."""

    def __init__(self, entities: Iterable[Entity]) -> None:
        self.entities = {entity.key: entity for entity in entities}
        names: list[tuple[str, str]] = []
        for entity in self.entities.values():
            for alias in entity.aliases:
                names.append((alias, entity.key))
        names.sort(key=lambda item: -len(item[0]))
        parts: dict[str, list[str]] = {"country": [], "other": [], "glossary": []}
        self._keys: dict[str, str] = {}
        for alias, key in names:
            if alias.isascii():
                # case-sensitive for short acronyms (US, EU, UK), else case-insensitive
                if alias.isupper() and len(alias) <= 4:
                    pattern = rf"(?-i:\b{re.escape(alias)}\b)"
                else:
                    pattern = rf"\b{re.escape(alias)}\b"
                self._keys.setdefault(_alias_key(alias), key)
            else:
                pattern = re.escape(fold_script(alias))
                self._keys.setdefault(_alias_key(alias), key)
            parts[_group(self.entities[key])].append(pattern)
        # countries apart, so that a term naming one ("Japan plans") still names the country
        self._patterns = [re.compile("|".join(p), re.IGNORECASE) for p in parts.values() if p]
        self._cached_mentions = lru_cache(maxsize=4096)(self._find_mentions)

    @classmethod
    def with_glossary(cls, glossary: Path | None) -> EntityTable:
        """The built-in table plus the glossary's named terms (groups with a capitalised
        English name: JICA, Dejima, Global South, …). A glossary group that shares a name
        with a built-in entity (METI, India) adds its names to that entity: one thing must
        have one key, or 經濟產業省 and METI would name two different things."""
        entities = list(ENTITIES)
        if glossary is not None and glossary.is_file():
            entries = json.loads(glossary.read_text(encoding="utf-8"))
            for number, entry in enumerate(entries):
                english = [term for term in entry.get("en", []) if term.strip()]
                if not any(term[:1].isupper() for term in english):
                    continue
                aliases = tuple(
                    term for terms in entry.values() for term in terms if len(term.strip()) >= 2
                )
                known = {_alias_key(a) for a in aliases}
                same = next(
                    (
                        i
                        for i, e in enumerate(entities)
                        if known & {_alias_key(a) for a in e.aliases}
                    ),
                    None,
                )
                if same is None:
                    entities.append(Entity(f"glossary:{number}:{english[0]}", aliases))
                else:
                    entity = entities[same]
                    extra = tuple(a for a in aliases if a not in entity.aliases)
                    entities[same] = replace(entity, aliases=(*entity.aliases, *extra))
        return cls(entities)

    def mentions(self, text: str) -> list[Mention]:
        """The entity names in ``text``, longest first where they overlap. Cached: one claim's
        checks ask for the same passage's mentions several times, and an answer's sentences
        cite the same passages."""
        return list(self._cached_mentions(text))

    def _find_mentions(self, text: str) -> tuple[Mention, ...]:
        folded = fold_han(text)
        if len(folded) != len(text):
            text = folded
        found = []
        for pattern in self._patterns:
            for match in pattern.finditer(folded):
                surface = match.group()
                key = self._keys.get(surface.casefold()) or self._keys.get(fold_script(surface))
                if key:
                    start, end = match.span()
                    found.append(Mention(key, start, end, text[start:end]))
        for match in _PAIR.finditer(text):
            if match.group() not in _PAIRS:
                continue
            for index in (1, 2):
                key = _ABBREVIATION[match.group(index)]
                span = match.span(index)
                found.append(Mention(key, *span, match.group(index), abbreviated=True))
        # a built-in name inside a longer built-in name is not a mention (インド太平洋 ≠ インド)
        outer = [m for m in found if not m.entity.startswith("glossary:")]
        return tuple(
            m
            for m in found
            if not any(
                o.start <= m.start
                and m.end <= o.end
                and (o.end - o.start) > (m.end - m.start)
                and o.entity != m.entity
                for o in outer
            )
        )

    def missing(self, claim: str, passages: str) -> list[str]:
        """Entities the claim names and the passages do not; 台日 in a claim is satisfied by
        雙方 ("both sides") in the passages."""
        named = self.keys(passages)
        named |= {_LOCATED_IN[key] for key in named if key in _LOCATED_IN}
        both = bool(_BOTH_SIDES.search(passages))
        absent: dict[str, bool] = {}
        for mention in self.mentions(claim):
            if mention.entity in named or self._said_within(mention.entity, passages):
                continue
            if self.entities[mention.entity].country and _LANGUAGE_AFTER.match(claim, mention.end):
                continue
            excused = mention.abbreviated and both
            absent[mention.entity] = absent.get(mention.entity, True) and excused
        return sorted(_entity_label(key) for key, excused in absent.items() if not excused)

    def _said_within(self, key: str, text: str) -> bool:
        """A place or organisation named inside a longer name (熊本 in 「JASM 熊本廠」): the
        passage is read generously. Not countries: 印度 inside 印度太平洋 is not India."""
        entity = self.entities[key]
        if entity.country:
            return False
        folded = fold_script(text)
        return any(
            re.search(rf"\b{re.escape(alias)}\b", text, re.IGNORECASE)
            if alias.isascii()
            else fold_script(alias) in folded
            for alias in entity.aliases
        )

    def keys(self, text: str) -> set[str]:
        return {mention.entity for mention in self.mentions(text)}
