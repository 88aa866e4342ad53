"""The interface's words in 繁體中文, 日本語 and English, and the choice among them (pure).

Answers come in the question's language from the assistant; the chat's own labels, messages and
example questions are the ``ui.*`` entries of the message catalogue.
"""

from __future__ import annotations

from typing import Final

from assistant import messages
from assistant.messages import keys, translations

LANGUAGES: Final[dict[str, str]] = {"zh-TW": "繁體中文", "ja": "日本語", "en": "English"}
DEFAULT_LANGUAGE: Final = "en"

# The chat's strings live in the one message catalogue (assistant/data/messages.json), under
# ``ui.``; ``{name}`` fields are filled by ``text()``.
TEXT: Final[dict[str, dict[str, str]]] = {
    key.removeprefix("ui."): translations(key)
    for key in keys("ui.")
    if not key.startswith("ui.example.")
}
EXAMPLES: Final[dict[str, tuple[str, ...]]] = {
    language: tuple(translations(key)[language] for key in keys("ui.example."))
    for language in LANGUAGES
}


def text(key: str, language: str, **fields: object) -> str:
    """The interface string ``key`` in ``language`` (English when the language is unknown)."""
    table = TEXT[key]
    template = table.get(language, table[DEFAULT_LANGUAGE])
    return template.format(**fields) if fields else template


def language_name(code: str, language: str) -> str:
    """The corpus language ``code`` named in the interface ``language``."""
    return messages.language_name(code, language)


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
