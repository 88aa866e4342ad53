"""The chat's screenshots, taken in the same headless Chromium as the e2e tests.

    PYTHONPATH=tests .venv/bin/python -m e2e.screenshots readme      # docs/screenshot.png
    PYTHONPATH=tests .venv/bin/python -m e2e.screenshots issue-17    # docs/issue-17/*-after.png
    PYTHONPATH=tests bash scripts/with_llm.sh .venv/bin/python -m e2e.screenshots issue-14
                                                        # docs/issue-14/*.png, the model answering

``readme`` and ``issue-14`` ingest the live corpus/ (what `make run` serves); ``issue-14`` needs
the model's ``KAKEHASHI_LLM_*`` settings in the environment. ``issue-17`` the frozen fixture
corpus the e2e tests use, with the steps of the issue's before/after shots (follow-ups, an
apostrophe in English, a phone tapping [2]). Each run ingests into a fresh temporary folder.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

# Before the test fixtures' import, which clears every KAKEHASHI_ setting from the environment.
MODEL_SETTINGS = {k: v for k, v in os.environ.items() if k.startswith("KAKEHASHI_LLM_")}

from e2e.ui_server import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    Workspace,
    make_workspace,
    start_server,
    stop,
)

REPO = Path(__file__).resolve().parents[2]
WAIT_MS = 90_000
ANSWER_DONE = """
([before]) => {
  const answers = document.querySelectorAll('#kk-chat .kk-answer');
  if (answers.length <= before) return false;
  const last = answers[answers.length - 1];
  return last.classList.contains('kk-final') || last.classList.contains('kk-error');
}
"""


def ask(page: Any, question: str) -> None:
    before = page.locator("#kk-chat .kk-answer").count()
    page.locator("#kk-question textarea").fill(question)
    page.locator("#kk-send").click()
    page.wait_for_function(ANSWER_DONE, arg=[before], timeout=WAIT_MS)
    page.wait_for_function("() => !window.kakehashiBusy || !window.kakehashiBusy()")


def live_workspace(root: Path) -> Workspace:
    from assistant import Assistant, Settings

    corpus = root / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    data_dir = root / "data"
    Assistant(Settings(corpus_dir=corpus, data_dir=data_dir)).ingest()
    return Workspace(root, corpus, data_dir)


def readme(browser: Any, url: str, out: Path) -> None:
    """Japanese: an answer, a "why" follow-up, the first answer's passage with its original."""
    context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("body.kk-ready")
    ask(page, "稟議制とは何ですか?")
    ask(page, "それはなぜですか?")
    page.locator("#kk-up").click()
    page.wait_for_selector("#kk-up.kk-selected")
    page.mouse.move(0, 0)
    page.wait_for_timeout(500)  # the buttons' transitions settle (a picture, not a test)
    page.screenshot(path=str(out / "screenshot.png"), full_page=True)
    context.close()


def issue_17(browser: Any, url: str, out: Path) -> None:
    """The after shots of issue 17's items 1, 3 and 5 (the before shots were taken with the
    same steps on the code before the fix)."""
    follow_ups = [
        ("zh-TW", "zh", "什麼是稟議制?", ["為什麼會這樣?", "它要花多久時間?"]),
        ("en-US", "en", "What is the ringi system?", ["Why is that?"]),
        ("ja-JP", "ja", "稟議制とは何ですか?", ["それはなぜですか?"]),
    ]
    for locale, name, first, follow in follow_ups:
        context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body.kk-ready")
        ask(page, first)
        for question in follow:
            ask(page, question)
        page.locator("#kk-chat").screenshot(path=str(out / f"1-followup-after-{name}.png"))
        context.close()

    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("body.kk-ready")
    ask(page, "What share of the surveyed Taiwanese startups are in deep tech?")
    answer = page.locator("#kk-chat .kk-answer").last
    answer.screenshot(path=str(out / "3-typography-after.png"))
    context.close()

    context = browser.new_context(
        locale="en-US",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("body.kk-ready")
    page.screenshot(path=str(out / "5-phone-after-empty.png"))
    ask(page, "What is the ringi system?")
    answer = page.locator("#kk-chat .kk-answer").last
    answer.scroll_into_view_if_needed()
    page.screenshot(path=str(out / "5-phone-after-answer.png"))
    answer.locator("a.kk-marker").last.tap()
    page.wait_for_selector(".kk-sheet")
    page.screenshot(path=str(out / "5-phone-after-tapped.png"))
    page.locator(".kk-sheet-back").tap()
    page.wait_for_selector(".kk-sheet", state="detached")
    page.screenshot(path=str(out / "5-phone-after-back.png"))
    context.close()


def issue_14(browser: Any, url: str, out: Path) -> None:
    """Generated answers in the chat, with the model Kakehashi ships picking the quotes: one in
    Japanese, and one in English that says which part of the question the documents do not
    answer."""
    shots = [
        (
            "ja-JP",
            "generated-ja.png",
            "2030年までに日本のIT人材はどれくらい不足すると見込まれていますか?",
        ),
        (
            "en-US",
            "generated-in-part-en.png",
            "What share of the Taiwanese startups surveyed are deep tech? "
            "How much does a desk at a Tokyo coworking space cost per month?",
        ),
    ]
    for locale, name, question in shots:
        context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body.kk-ready")
        ask(page, question)
        page.mouse.move(0, 0)
        page.wait_for_timeout(500)
        page.screenshot(path=str(out / name), full_page=True)
        context.close()


def main(which: str) -> None:
    with tempfile.TemporaryDirectory(prefix="kakehashi-shots-") as folder:
        root = Path(folder)
        env: dict[str, str] = {}
        if which == "readme":
            workspace, out = live_workspace(root), REPO / "docs"
        elif which == "issue-14":
            env = MODEL_SETTINGS
            if "KAKEHASHI_LLM_BASE_URL" not in env:
                raise SystemExit("issue-14 needs the model: run it under scripts/with_llm.sh")
            workspace, out = live_workspace(root), REPO / "docs" / "issue-14"
        elif which == "issue-17":
            workspace, out = make_workspace(root), REPO / "docs" / "issue-17"
        else:
            raise SystemExit("usage: python -m e2e.screenshots readme|issue-14|issue-17")
        out.mkdir(parents=True, exist_ok=True)
        process, server = start_server(workspace, "serve.log", **env)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                try:
                    shoot = {"readme": readme, "issue-14": issue_14, "issue-17": issue_17}[which]
                    shoot(browser, server.url, out)
                finally:
                    browser.close()
        finally:
            stop(process)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
