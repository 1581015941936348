"""The live badge in a real browser: it follows a CREATING image to READY, then stops polling."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from imagedash.emulator.demo import CREATING_ID
from tests.browser.conftest import sign_in
from tests.conftest import DEMO_TRANSITION_S

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATUS_PATH = f"/images/{CREATING_ID}/status/"
QUIET_S = 4.0  # four poll intervals (the test polls every second)


def _status_polls(urls: list[str]) -> list[str]:
    return [url for url in urls if urlsplit(url).path == STATUS_PATH]


def test_badge_turns_ready_live_then_stops_polling(alice, dashboard, emulator, page):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    sign_in(page, dashboard.url, "/")
    page.get_by_label("Image id").fill(CREATING_ID)
    page.get_by_role("button", name="Look up").click()

    page.wait_for_url(f"{dashboard.url}/images/{CREATING_ID}/")
    badge = page.locator("#status-badge")
    assert badge.get_attribute("data-state") == "CREATING"
    assert badge.get_attribute("hx-trigger") == "every 1s, imagedash:refresh"

    # From here on the page must not be reloaded or navigated: a marker on `window` would not
    # survive that, and no further main-frame navigations may happen.
    page.evaluate("window.__sameDocument = true")
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )

    started = time.monotonic()
    page.locator('#status-badge[data-state="READY"]').wait_for(
        timeout=(DEMO_TRANSITION_S + 10) * 1000
    )
    assert badge.inner_text() == "READY"
    assert badge.get_attribute("hx-get") is None
    assert badge.get_attribute("hx-trigger") is None
    assert _status_polls(requested), "the badge turned READY without polling?"
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"
    assert navigations == []
    took = time.monotonic() - started

    # Settled: record the network for a while and see no further status polls at all.
    requested.clear()
    page.wait_for_timeout(QUIET_S * 1000)
    assert _status_polls(requested) == [], (
        f"the badge kept polling after READY ({took:.1f}s to settle): {requested}"
    )
    assert badge.get_attribute("data-state") == "READY"
    assert page.evaluate("window.__sameDocument === true")
    assert navigations == []
    assert page.url == f"{dashboard.url}/images/{CREATING_ID}/"
