"""How fast the founders' chat answers, measured in real headless Chromium (extractive mode).

Two numbers:

1. serve → answering page: from starting ``kakehashi serve`` to the first streamed text of a
   question asked as soon as the page is usable (server start, page load, first answer);
2. send → first text: from pressing send to the first streamed answer text in the browser,
   over ``--runs`` questions on the running server (the example questions, in turn).

    .venv/bin/python benchmarks/ui_latency.py [--data-dir DIR] [--runs 9]
        [--screenshot docs/screenshot.png] [--json results.json]

Without ``--data-dir`` the corpus is first ingested into a tmp folder (not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 120_000

# Presses send and records, in page time, when the new answer first shows text and when done.
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
    const times = {sent: 0, first: null};
    const timer = setTimeout(() => reject(new Error('no answer within 120 s')), 120000);
    const observer = new MutationObserver(() => {
      const answers = chat.querySelectorAll('.kk-answer');
      if (answers.length <= before) return;
      const last = answers[answers.length - 1];
      const texty = last.classList.contains('kk-streaming') || last.classList.contains('kk-final')
        || last.classList.contains('kk-error');
      if (texty && times.first === null) times.first = performance.now();
      if (last.classList.contains('kk-final') || last.classList.contains('kk-error')) {
        if (times.done === undefined) times.done = performance.now();
      }
      if (times.done !== undefined && Number(document.body.dataset.kkAnswered || 0) > answered) {
        observer.disconnect();
        clearTimeout(timer);
        resolve({...times, origin: performance.timeOrigin,
                 refused: !!last.querySelector('.kk-refused'),
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ingest_corpus(root: Path) -> Path:
    from assistant import Assistant, Settings

    data_dir = root / "data"
    Assistant(Settings(corpus_dir=REPO / "corpus", data_dir=data_dir)).ingest()
    return data_dir


def serve(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAKEHASHI_")}
    env.update(
        KAKEHASHI_DATA_DIR=str(data_dir.resolve()),
        KAKEHASHI_CORPUS_DIR=str(REPO / "corpus"),
        GRADIO_ANALYTICS_ENABLED="False",
        ANONYMIZED_TELEMETRY="False",
        HF_HUB_OFFLINE="1",
    )
    command = [str(Path(sys.executable).parent / "kakehashi"), "serve", "--port", str(port)]
    with open(log, "wb") as handle:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("kakehashi serve exited before serving")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.05)
    raise RuntimeError(f"{url} not up within {timeout} s")


def open_chat(browser: Any, url: str, locale: str) -> Any:
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(url)
    page.wait_for_selector("#kk-status .kk-status")  # loaded, language applied
    return page


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "median_ms": round(statistics.median(ordered), 1),
        "p90_ms": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
    }


def measure(data_dir: Path, runs: int, screenshot: Path | None, root: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from ui.i18n import EXAMPLES

    questions = [q for language in ("zh-TW", "ja", "en") for q in EXAMPLES[language]]
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Step 1: serve → a page that answers
        started = time.time()
        process = serve(data_dir, port, root / "serve.log")
        try:
            wait_http(url, process)
            http_ready = time.time()
            page = open_chat(browser, url, "zh-TW")
            page_ready = time.time()
            first = page.evaluate(ASK, questions[0])
            first_text = (first["origin"] + first["first"]) / 1000
            cold = {
                "http_ready_s": round(http_ready - started, 2),
                "page_usable_s": round(page_ready - started, 2),
                "first_answer_text_s": round(first_text - started, 2),
            }
            # Step 2: send → first streamed text, on the warm server
            page = open_chat(browser, url, "en-US")
            first_ms, done_ms = [], []
            for index in range(runs):
                # each question starts a new conversation, so every run is the same work
                page.locator("#kk-new").click()
                page.wait_for_function("!document.querySelector('#kk-chat .kk-answer')")
                result = page.evaluate(ASK, questions[index % len(questions)])
                print(f"run {index}: {result['first'] - result['sent']:.0f} ms", file=sys.stderr)
                if result["error"]:
                    raise RuntimeError(f"question {index} failed in the chat")
                first_ms.append(result["first"] - result["sent"])
                done_ms.append(result["done"] - result["sent"])
            # Step 3: a picture of a real answer (Japanese, cited from the zh-TW original)
            if screenshot is not None:
                page = open_chat(browser, url, "ja-JP")
                page.evaluate(ASK, "稟議制とは何ですか?")
                page.locator("#kk-sources details.kk-cite").first.wait_for()
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            process.terminate()
            process.wait(timeout=30)
            browser.close()
    return {
        "serve_to_answering_page": cold,
        "send_to_first_text": summary(first_ms),
        "send_to_final_answer": summary(done_ms),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="An ingested data folder (else: ingest).")
    parser.add_argument("--runs", type=int, default=9, help="Questions timed on the warm server.")
    parser.add_argument("--screenshot", type=Path, help="Save a screenshot of a real answer.")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    root = Path(tempfile.mkdtemp(prefix="kakehashi-ui-latency-"))
    try:
        data_dir = args.data_dir or ingest_corpus(root)
        results = measure(data_dir, max(1, args.runs), args.screenshot, root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    text = json.dumps(results, ensure_ascii=False, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
