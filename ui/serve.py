"""Serving the chat page: ``launch(assistant, host, port)`` with the safe options (local
address, no share link, no analytics, optional login, a bounded queue, no file of the machine
reachable), the theme and the page script; ``serve`` for ``kakehashi serve``, which opens the
assistant while the first page loads.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from assistant import Settings
from ui.app import build_app
from ui.backend import Backend
from ui.i18n import TEXT
from ui.opening import OpeningBackend

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
QUEUE_SIZE = 64  # questions waiting beyond this are turned away with a message
WARM_UP_QUESTION = "稟議制とは?"


# The interface strings the page script says itself, in each language.
SCRIPT_TEXT = ("copied", "queued", "queued_cancel", "back_to_answer")


def page_head() -> str:
    """The page's script, and the words it says itself in each language."""
    words = json.dumps({key: TEXT[key] for key in SCRIPT_TEXT}, ensure_ascii=False)
    words = words.replace("<", "\\u003c")
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    return f"<script>window.KAKEHASHI_TEXT = {words};</script>\n<script>{script}</script>"


def theme() -> gr.themes.Base:
    # System fonts only: nothing is fetched from a font CDN, and CJK comes from Noto. Latin
    # first: a CJK font sets ’ full width. app.css picks the stack by each text's lang.
    sans = ["Noto Sans", "DejaVu Sans", "Noto Sans CJK TC", "Noto Sans CJK JP", "sans-serif"]
    return gr.themes.Soft(primary_hue="indigo", font=sans, font_mono=["monospace"])


def parse_auth(settings: Settings) -> tuple[str, str] | None:
    """``KAKEHASHI_UI_AUTH="user:password"`` as Gradio's (user, password), or None."""
    if settings.ui_auth is None:
        return None
    user, sep, password = settings.ui_auth.get_secret_value().partition(":")
    if not sep or not user or not password:
        raise ValueError("KAKEHASHI_UI_AUTH must be 'user:password' (both non-empty)")
    return user, password


def launch_options(settings: Settings, host: str | None, port: int | None) -> dict[str, Any]:
    """The arguments of ``Blocks.launch``: what is served, to whom, and what is not."""
    blocked = [settings.data_dir.resolve(), Path(".env").resolve()]
    return {
        "server_name": host or settings.ui_host,
        "server_port": port or settings.ui_port,
        "share": False,
        "auth": parse_auth(settings),
        "auth_message": "架け橋 Kakehashi",
        "show_error": False,
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "enable_monitoring": False,
        "run_history": False,
        "footer_links": [],
        "strict_cors": True,
        "max_file_size": "1kb",  # nothing is uploaded to the chat
        "blocked_paths": [str(path) for path in blocked],
        "theme": theme(),
        "css_paths": [STATIC / "app.css"],
        "head": page_head(),
    }


def launch(
    assistant: Backend,
    host: str | None = None,
    port: int | None = None,
    *,
    prevent_thread_lock: bool = False,
) -> gr.Blocks:
    """Serve the chat (blocking, unless ``prevent_thread_lock``)."""
    settings = assistant.settings
    options = launch_options(settings, host, port)
    app = build_app(assistant)
    app.queue(default_concurrency_limit=settings.ui_concurrency, max_size=QUEUE_SIZE)
    threading.Thread(target=_warm_up, args=(assistant,), daemon=True).start()
    app.launch(prevent_thread_lock=prevent_thread_lock, **options)
    return app


def serve(
    settings: Settings,
    open_assistant: Callable[[], Backend],
    host: str | None = None,
    port: int | None = None,
) -> None:
    """Serve the chat until stopped, opening the assistant while the first page loads (its
    first event waits for it). If opening fails, the server stops and the error is raised."""
    backend = OpeningBackend(settings)
    app = launch(backend, host, port, prevent_thread_lock=True)
    try:
        backend.open(open_assistant)
    except BaseException:
        app.close()
        raise
    app.block_thread()


def _warm_up(assistant: Backend) -> None:
    """Answer a throwaway question once, so that the first founder's question does not pay
    for loading the embedder and the indexes."""
    try:
        for _ in assistant.stream(WARM_UP_QUESTION):
            pass
    except Exception:
        logger.debug("warm-up question failed", exc_info=True)
