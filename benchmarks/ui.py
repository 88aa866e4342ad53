"""The chat as a user meets it, in headless Chromium (``--ui``; extractive answers):

- ``kakehashi serve`` → answering page: from starting the server to the first streamed answer
  text of a question asked as soon as the page is usable (start-up, page load, first answer);
- send → first text and send → final answer on the running server, over dev questions in
  zh, ja and en in turn, each in a new conversation so that every run is the same work.
"""

from __future__ import annotations

from typing import Any

from benchmarks.context import Bench
from benchmarks.procs import Service, kakehashi_serve
from benchmarks.report import Report, Row, Target
from benchmarks.stats import Summary

CHROMIUM = "/usr/bin/chromium"  # Debian's, from scripts/system-deps.sh (as in the e2e tests)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu"]  # Playwright adds its quiet defaults
STARTS = 9  # the start-up row is the headline: runs of 5 starts had medians 0.6 s apart
SERVE_TARGET_S = 4.0
WAIT_MS = 120_000

# Presses send and records, in page time, when the new answer first shows text and when the
# page counts it answered (<body data-kk-answered>, set by ui/static/app.js once an answer is
# complete).
ASK = """
async (question) => {
  const chat = document.querySelector('#kk-chat');
  const before = chat.querySelectorAll('.kk-answer').length;
  const answered = Number(document.body.dataset.kkAnswered || 0);
  const box = document.querySelector('#kk-question textarea');
  box.value = question;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise((resolve) => requestAnimationFrame(() => resolve()));
  return await new Promise((resolve, reject) => {
    const times = {sent: 0, first: null, done: null};
    const timer = setTimeout(() => reject(new Error('no answer within 120 s')), 120000);
    const observer = new MutationObserver(() => {
      const answers = chat.querySelectorAll('.kk-answer');
      if (answers.length <= before) return;
      const last = answers[answers.length - 1];
      const ended = last.classList.contains('kk-final') || last.classList.contains('kk-error');
      if (times.first === null && (ended || last.classList.contains('kk-streaming'))) {
        times.first = performance.now();
      }
      if (ended && times.done === null) times.done = performance.now();
      if (times.done !== null && Number(document.body.dataset.kkAnswered || 0) > answered) {
        observer.disconnect();
        clearTimeout(timer);
        resolve({...times, origin: performance.timeOrigin,
                 error: last.classList.contains('kk-error')});
      }
    });
    observer.observe(chat, {subtree: true, childList: true, characterData: true});
    observer.observe(document.body, {attributes: true, attributeFilter: ['data-kk-answered']});
    times.sent = performance.now();
    document.querySelector('#kk-send').click();
  });
}
"""


def _new_page(browser: Any) -> Any:
    page = browser.new_context(locale="zh-TW", viewport={"width": 1400, "height": 1000}).new_page()
    page.set_default_timeout(WAIT_MS)
    return page


def _open(page: Any, url: str) -> Any:
    page.goto(url)
    page.wait_for_selector("#kk-status .kk-status")  # loaded, its language applied
    page.wait_for_selector("body.kk-ready")  # shown, sending enabled (ui/static/app.js)
    return page


def _ask(page: Any, question: str) -> dict[str, Any]:
    times: dict[str, Any] = page.evaluate(ASK, question)
    if times["error"]:
        raise RuntimeError(f"the chat showed an error for {question!r}")
    return times


def _first_answer_after_start(page: Any, served: Service, question: str) -> float:
    """Seconds from starting ``kakehashi serve`` to the first answer text in ``page``, a new tab
    (empty cache) opened before the server was started, as a founder's browser is."""
    times = _ask(_open(page, served.url), question)
    return (times["origin"] + times["first"]) / 1000 - served.started


def _warm(browser: Any, url: str, questions: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds from send to the first answer text, and to the final answer."""
    page = _open(_new_page(browser), url)
    first: list[float] = []
    done: list[float] = []
    for question in questions:
        page.locator("#kk-new").click()
        page.wait_for_function("!document.querySelector('#kk-chat .kk-answer')")
        times = _ask(page, question)
        first.append(times["first"] - times["sent"])
        done.append(times["done"] - times["sent"])
    return first, done


def run(bench: Bench, report: Report) -> None:
    from playwright.sync_api import sync_playwright

    bench.assistant()  # the store is ingested before anything is timed
    questions = bench.mixed_questions(bench.plan.ui_runs + STARTS)
    cold: list[float] = []
    first: list[float] = []
    done: list[float] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for start in range(STARTS):
                page = _new_page(browser)
                with kakehashi_serve(bench.env()) as served:
                    # Step 1: serve → answering page
                    cold.append(_first_answer_after_start(page, served, questions[start]))
                    page.context.close()
                    # Step 2: send → answer, on the warm server
                    if start == STARTS - 1:
                        first, done = _warm(browser, served.url, questions[STARTS:])
        finally:
            browser.close()
    started = Summary.of(cold)
    report.rows += [
        Row(
            "ui",
            "`kakehashi serve` → page answering",
            "s",
            started,
            note="headless Chromium: from starting the server to the first answer text of a "
            "question sent as soon as the page is usable (start-up, page load, an extractive "
            "answer); no LangChain counterpart",
            headline=True,
        ),
        Row("ui", "chat: send → first answer text (warm server)", "ms", Summary.of(first)),
        Row("ui", "chat: send → final answer (warm server)", "ms", Summary.of(done)),
    ]
    report.targets.append(
        Target(
            "`kakehashi serve` → page answering",
            f"<= {SERVE_TARGET_S:.0f} s (median)",
            f"{started.p50:.2f} s p50, {started.p95:.2f} s p95",
            started.p50 <= SERVE_TARGET_S,
        )
    )
