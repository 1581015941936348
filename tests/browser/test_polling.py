"""How the live badge polls in a real browser: not while the tab is hidden, at once when it is
shown again, and "connection lost, retrying" while the dashboard cannot be reached."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from imagedash.emulator.demo import CREATING_ID
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STATUS_PATH = f"/images/{CREATING_ID}/status/"

SET_VISIBILITY = """(state) => {
  Object.defineProperty(document, "visibilityState", {get: () => state, configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


@pytest.fixture
def creating_page(alice, dashboard, emulator, settings, page):
    emulator.app.demo.transition_seconds = 120  # stays CREATING for the whole test
    # Every 2 s without back-off: a poll within 0.2 s of showing the tab is then the refresh.
    settings.IMAGEDASH_POLL_INTERVAL_S = settings.IMAGEDASH_POLL_INTERVAL_MAX_S = 2.0
    polls: list[float] = []
    page.on(
        "request",
        lambda request: (
            polls.append(time.monotonic()) if urlsplit(request.url).path == STATUS_PATH else None
        ),
    )
    sign_in(page, dashboard.url, f"/images/{CREATING_ID}/")
    page.wait_for_timeout(2500)
    assert polls, "the badge never polled"
    yield page, polls
    emulator.app.demo.transition_seconds = 3.0


def test_no_polls_while_hidden_and_one_at_once_when_shown(creating_page):
    page, polls = creating_page
    page.evaluate(SET_VISIBILITY, "hidden")
    page.wait_for_timeout(300)  # a poll already on its way may still land
    polls.clear()
    page.wait_for_timeout(4500)  # two polling ticks
    assert polls == [], "the badge polled while the tab was hidden"
    shown_at = time.monotonic()
    page.evaluate(SET_VISIBILITY, "visible")
    page.wait_for_timeout(300)
    assert polls and polls[0] - shown_at < 0.2, "no poll right after the tab was shown"


def test_connection_lost_then_recovered(creating_page):
    page, _ = creating_page
    badge = page.locator("#status-badge")
    page.route(f"**{STATUS_PATH}*", lambda route: route.abort())
    page.wait_for_function(
        "() => document.querySelector('#status-badge').textContent.includes("
        "'connection lost, retrying')",
        timeout=5_000,
    )
    assert badge.get_attribute("hx-get") == STATUS_PATH  # still trying
    page.unroute(f"**{STATUS_PATH}*")
    page.wait_for_function(
        "() => document.querySelector('#status-badge').textContent.trim() === 'CREATING'",
        timeout=5_000,
    )
