"""Every user-facing string, in 繁體中文, 日本語 and English: one catalogue, ``data/messages.json``.

Keys are namespaced by who shows them: ``answer.*`` (the answer's frame and refusal),
``question.*`` (why a question cannot be asked), ``notice.*`` and ``reason.*`` (what happened to a
generated answer), ``language.<code>`` (a corpus language named in each language) and ``ui.*``
(the chat's own labels and example questions).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Final

LANGUAGES: Final = ("zh-TW", "ja", "en")
FALLBACK_LANGUAGE: Final = "en"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("assistant").joinpath("data", "messages.json").read_text("utf-8")
    return dict(json.loads(text))


def message(key: str, language: str, **fields: object) -> str:
    """The string ``key`` in ``language`` (English for a language we have no strings in),
    with ``{field}`` placeholders filled from ``fields``."""
    table = catalogue()[key]
    template = table.get(language, table[FALLBACK_LANGUAGE])
    return template.format(**fields) if fields else template


def translations(key: str) -> dict[str, str]:
    """``key`` in every language (to recognise, say, a refusal in any of them)."""
    return dict(catalogue()[key])


def language_name(code: str, language: str) -> str:
    """The corpus language ``code`` named in ``language`` ("日文" for ja, in zh-TW)."""
    key = f"language.{code}"
    return message(key, language) if key in catalogue() else code


def keys(prefix: str) -> list[str]:
    """The keys under ``prefix`` (``ui.example.``), in catalogue order."""
    return [key for key in catalogue() if key.startswith(prefix)]
