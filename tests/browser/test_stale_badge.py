"""The live badge through an outage: it shows the stale marker while Yandex Cloud does not
answer, keeps polling, and recovers once it answers again."""

from __future__ import annotations

import pytest

from imagedash.emulator.demo import CREATING_ID
from imagedash.images.fetch import image_fetcher
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_demo(emulator):
    """The CREATING demo image stays CREATING for the whole test."""
    previous = emulator.app.demo.transition_seconds
    emulator.app.demo.transition_seconds = 120
    yield emulator
    emulator.app.demo.transition_seconds = previous


def test_the_badge_shows_stale_data_during_an_outage_and_recovers(
    alice, dashboard, slow_demo, settings, page
):
    settings.IMAGEDASH_CACHE_TTL_S = 0.5
    settings.IMAGEDASH_BREAKER_COOLDOWN_S = 1
    image_fetcher.clear()
    sign_in(page, dashboard.url, f"/images/{CREATING_ID}/")
    badge = page.locator("#status-badge")
    assert badge.get_attribute("data-state") == "CREATING"
    assert "did not answer" not in badge.inner_text()

    slow_demo.app.faults.set("*", {"html": 502})
    stale = page.locator("#status-badge.badge-stale")
    stale.wait_for(timeout=10_000)
    assert "CREATING" in badge.inner_text()
    assert "Yandex Cloud did not answer" in badge.inner_text()
    assert badge.get_attribute("hx-get") == f"/images/{CREATING_ID}/status/"

    slow_demo.app.faults.clear()
    page.locator("#status-badge:not(.badge-stale)").wait_for(timeout=10_000)
    assert badge.inner_text() == "CREATING"
    assert badge.get_attribute("hx-trigger")
