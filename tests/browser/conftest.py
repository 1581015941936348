"""Browser fixtures: Playwright's sync API driving Debian's chromium against `live_server`.

Playwright cannot download its own browsers here, so it launches /usr/bin/chromium (`.ci/run`
installs it). Without it the browser tests skip off CI and fail with CI=true: CI must not pass
with the browser test silently left out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI, PASSWORD

CHROMIUM = Path(os.environ.get("IMAGEDASH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the browser test must run; .ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture
def chromium(live_server) -> Iterator[object]:
    """A headless chromium. Function-scoped and started after `live_server` on purpose: it is
    then closed before the database is flushed (Playwright's event loop makes Django refuse ORM
    calls in this thread while it runs)."""
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"playwright is not installed: {error}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium) -> Iterator[object]:
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def dashboard(live_server, emulator, settings):
    """The live dashboard pointed at the emulator, polling every second with no back-off: so a
    few quiet seconds after READY span several would-be polls, and a badge that kept polling
    could not hide behind a backed-off interval longer than the test watches."""
    settings.IMAGEDASH_POLL_INTERVAL_S = 1.0
    settings.IMAGEDASH_POLL_INTERVAL_MAX_S = 1.0
    return live_server


@pytest.fixture
def alice(django_user_model):
    """A teammate to sign in as. Request it before `chromium`/`page`: once Playwright's event
    loop runs, Django refuses ORM calls in this thread."""
    return django_user_model.objects.create_user(username="alice", password=PASSWORD)


def sign_in(page, base_url: str, path: str) -> None:
    """Open `path` signed out, sign in as alice on the login page, land back on `path`."""
    page.goto(f"{base_url}{path}")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")
