"""The real chat for end-to-end tests: the fixture corpus (plus one passage full of markup)
ingested once into a tmp store, ``kakehashi serve`` on a free local port, and headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.ui_server import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Server,
    Workspace,
    make_workspace,
    start_server,
    stop,
)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Ingested once per session (the expensive step)."""
    return make_workspace(tmp_path_factory.mktemp("ui-e2e"))


@pytest.fixture(scope="session")
def server(workspace: Workspace) -> Iterator[Server]:
    process, running = start_server(workspace, "serve.log")
    try:
        yield running
    finally:
        stop(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: run `bash scripts/system-deps.sh` (Debian chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
