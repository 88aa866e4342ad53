"""The interface's words in 繁體中文, 日本語 and English, and the choice among them (pure).

Answers come in the question's language from the assistant; this module only holds the chat's
own labels, messages and example questions.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final[dict[str, str]] = {"zh-TW": "繁體中文", "ja": "日本語", "en": "English"}
DEFAULT_LANGUAGE: Final = "en"

# One entry per key, one string per language. ``{name}`` fields are filled by ``text()``.
TEXT: Final[dict[str, dict[str, str]]] = {
    "title": {
        "zh-TW": "架け橋 Kakehashi · 台日新創知識助理",
        "ja": "架け橋 Kakehashi · 台日スタートアップ知識アシスタント",
        "en": "架け橋 Kakehashi · Taiwan–Japan startup knowledge assistant",
    },
    "subtitle": {
        "zh-TW": "用中文、日文或英文提問;每個答案都附上出處,點 [1] 即可查看原文段落。",
        "ja": "日本語・中国語・英語で質問できます。"
        "回答には出典が付き、[1] を押すと該当する段落を表示します。",
        "en": "Ask in English, Chinese or Japanese. Every answer cites its sources; "
        "click a [1] marker to see the passage.",
    },
    "language": {"zh-TW": "介面語言", "ja": "表示言語", "en": "Interface language"},
    "chat": {"zh-TW": "對話", "ja": "会話", "en": "Conversation"},
    "placeholder": {
        "zh-TW": "從下面的範例問題開始,或直接輸入您的問題。",
        "ja": "下の質問例から始めるか、質問を入力してください。",
        "en": "Start from an example question below, or type your own.",
    },
    "question": {"zh-TW": "您的問題", "ja": "質問", "en": "Your question"},
    "question_placeholder": {
        "zh-TW": "例如:什麼是稟議制?(Enter 送出)",
        "ja": "例:稟議制とは何ですか?(Enter で送信)",
        "en": "e.g. What is the ringi system? (Enter to send)",
    },
    "send": {"zh-TW": "送出", "ja": "送信", "en": "Send"},
    "examples": {"zh-TW": "範例問題", "ja": "質問例", "en": "Example questions"},
    "new_chat": {"zh-TW": "新對話", "ja": "新しい会話", "en": "New conversation"},
    "copy": {
        "zh-TW": "複製答案與出處",
        "ja": "回答と出典をコピー",
        "en": "Copy answer with sources",
    },
    "copied": {"zh-TW": "已複製", "ja": "コピーしました", "en": "Copied"},
    "rate_prompt": {
        "zh-TW": "這個答案有幫助嗎?",
        "ja": "この回答は役に立ちましたか?",
        "en": "Was this answer helpful?",
    },
    "rate_up": {"zh-TW": "👍 有幫助", "ja": "👍 役に立った", "en": "👍 Helpful"},
    "rate_down": {"zh-TW": "👎 沒幫助", "ja": "👎 役に立たなかった", "en": "👎 Not helpful"},
    "comment": {"zh-TW": "意見(選填)", "ja": "コメント(任意)", "en": "Comment (optional)"},
    "comment_placeholder": {
        "zh-TW": "哪裡好、哪裡不對?",
        "ja": "良かった点・違っていた点など",
        "en": "What was good, what was wrong?",
    },
    "feedback_saved": {
        "zh-TW": "謝謝!您的意見已記錄。",
        "ja": "ありがとうございます。フィードバックを記録しました。",
        "en": "Thank you — your feedback was saved.",
    },
    "feedback_nothing": {
        "zh-TW": "請先提問,再為答案評分。",
        "ja": "先に質問してから、回答を評価してください。",
        "en": "Ask a question first, then rate its answer.",
    },
    "feedback_failed": {
        "zh-TW": "無法儲存意見,請通知工作人員。",
        "ja": "フィードバックを保存できませんでした。スタッフにお知らせください。",
        "en": "The feedback could not be saved; please tell program staff.",
    },
    "sources": {"zh-TW": "出處", "ja": "出典", "en": "Sources"},
    "sources_empty": {
        "zh-TW": "提問後,答案引用的段落會顯示在這裡。",
        "ja": "質問すると、回答が引用した段落がここに表示されます。",
        "en": "After you ask, the passages the answer cites appear here.",
    },
    "sources_none": {
        "zh-TW": "這個答案沒有引用任何段落。",
        "ja": "この回答は段落を引用していません。",
        "en": "This answer cites no passage.",
    },
    "earlier": {"zh-TW": "先前的問題", "ja": "以前の質問", "en": "Earlier question"},
    "section": {"zh-TW": "章節", "ja": "セクション", "en": "Section"},
    "paragraph": {"zh-TW": "第 {n} 段", "ja": "第 {n} 段落", "en": "paragraph {n}"},
    "translation": {"zh-TW": "譯文", "ja": "翻訳", "en": "Translation"},
    "original": {"zh-TW": "原文", "ja": "原文", "en": "Original"},
    "translation_note": {
        "zh-TW": "此段為譯文;原文並列於旁。",
        "ja": "この段落は翻訳です。原文を並べて表示しています。",
        "en": "This passage is a translation; the original is shown beside it.",
    },
    "grounding_supported": {
        "zh-TW": "✓ 有出處佐證:每一句都直接引自下列文件。",
        "ja": "✓ 出典で裏付けあり:すべての文が資料からの引用です。",
        "en": "✓ Backed by the sources: every sentence comes from the cited documents.",
    },
    "grounding_partial": {
        "zh-TW": "◐ 部分有出處佐證:有些內容在文件中找不到,請核對引文。",
        "ja": "◐ 一部のみ裏付けあり:資料で確認できない部分があります。引用を確認してください。",
        "en": "◐ Partly backed: some of it is not in the documents — check the cited passages.",
    },
    "grounding_refused": {
        "zh-TW": "✕ 未作答:文件中沒有足夠的內容回答這個問題。",
        "ja": "✕ 回答なし:資料にこの質問に答えられる内容がありません。",
        "en": "✕ Not answered: the documents do not cover this question.",
    },
    "thinking": {
        "zh-TW": "正在查閱文件…",
        "ja": "資料を調べています…",
        "en": "Looking through the documents…",
    },
    "empty_question": {
        "zh-TW": "請輸入問題。",
        "ja": "質問を入力してください。",
        "en": "Please type a question.",
    },
    "store_error": {
        "zh-TW": "目前無法讀取文件庫,請稍後再試或通知工作人員。",
        "ja": "現在、資料のデータベースを読み込めません。"
        "しばらくしてから再試行するか、スタッフにお知らせください。",
        "en": "The document store cannot be read right now. Try again shortly, "
        "or tell program staff.",
    },
    "unexpected_error": {
        "zh-TW": "發生未預期的錯誤,已記錄下來。請再試一次或通知工作人員。",
        "ja": "予期しないエラーが発生し、記録されました。"
        "もう一度試すか、スタッフにお知らせください。",
        "en": "Something unexpected went wrong and was logged. Try again, or tell program staff.",
    },
    "status": {
        "zh-TW": "已索引 {documents} 份文件、{chunks} 個段落 · 嵌入模型 {embedder} · "
        "{mode} · 最近匯入 {ingested}",
        "ja": "{documents} 件の文書・{chunks} 個の段落を索引済み · 埋め込み {embedder} · "
        "{mode} · 最終取り込み {ingested}",
        "en": "{documents} documents, {chunks} passages indexed · embedder {embedder} · "
        "{mode} · last ingested {ingested}",
    },
    "mode_extractive": {
        "zh-TW": "答案:直接引用文件(摘錄模式)",
        "ja": "回答:資料からの直接引用(抽出モード)",
        "en": "answers quote the documents (extractive)",
    },
    "mode_generative": {
        "zh-TW": "答案:由 {model} 撰寫",
        "ja": "回答:{model} が作成",
        "en": "answers written by {model}",
    },
    "never_ingested": {"zh-TW": "尚未匯入", "ja": "未取り込み", "en": "never"},
    "status_empty": {
        "zh-TW": "⚠ 文件庫是空的:請先執行 kakehashi ingest。",
        "ja": "⚠ データベースが空です。先に kakehashi ingest を実行してください。",
        "en": "⚠ The store is empty: run kakehashi ingest first.",
    },
    "status_unavailable": {
        "zh-TW": "⚠ 無法讀取文件庫狀態。",
        "ja": "⚠ データベースの状態を取得できません。",
        "en": "⚠ The store's status cannot be read.",
    },
    "understood_as": {
        "zh-TW": "依對話理解為:",
        "ja": "会話の流れから次の質問として理解しました:",
        "en": "Understood from the conversation as:",
    },
}

EXAMPLES: Final[dict[str, tuple[str, ...]]] = {
    "zh-TW": (
        "什麼是稟議制?",
        "台灣受訪新創中,深科技領域佔比多少?",
        "台日如何攜手進軍全球南方?",
    ),
    "ja": (
        "稟議制とは何ですか?",
        "台湾の回答企業のうちディープテック領域の割合は?",
        "台日はどのようにグローバルサウスへ進出できますか?",
    ),
    "en": (
        "What is the ringi system?",
        "What share of the surveyed Taiwanese startups are in deep tech?",
        "What is Dejima?",
    ),
}

# Names of the corpus languages, in each interface language.
LANGUAGE_NAMES: Final[dict[str, dict[str, str]]] = {
    "zh-TW": {"zh-TW": "中文", "ja": "日文", "en": "英文"},
    "ja": {"zh-TW": "中国語", "ja": "日本語", "en": "英語"},
    "en": {"zh-TW": "Chinese", "ja": "Japanese", "en": "English"},
}


def text(key: str, language: str, **fields: object) -> str:
    """The interface string ``key`` in ``language`` (English when the language is unknown)."""
    table = TEXT[key]
    template = table.get(language, table[DEFAULT_LANGUAGE])
    return template.format(**fields) if fields else template


def language_name(code: str, language: str) -> str:
    """The corpus language ``code`` named in the interface ``language``."""
    names = LANGUAGE_NAMES.get(language, LANGUAGE_NAMES[DEFAULT_LANGUAGE])
    return names.get(code, code)


def pick_language(preferences: str | None) -> str:
    """The interface language for a browser's preferences, e.g. ``"ja-JP,en-US;q=0.8"``.

    The first preference we speak wins; any Chinese variant gets 繁體中文, the only Chinese
    interface we have. Unknown or empty preferences give English.
    """
    for item in (preferences or "").split(","):
        tag = item.split(";")[0].strip().lower().replace("_", "-")
        if tag.startswith("zh"):
            return "zh-TW"
        if tag.startswith("ja"):
            return "ja"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANGUAGE
