"""When Yandex Cloud is slow, failing or flooded: one test per failure kind, against the
emulator's fault injection over real HTTP."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connections

from imagedash.images.fetch import image_fetcher
from imagedash.images.models import Lookup

pytestmark = pytest.mark.django_db

UBUNTU = "fd8tekibj7eld4eqtaed"


@pytest.fixture
def fast_deadline(settings):
    settings.IMAGEDASH_DEADLINE_S = 1.5
    settings.IMAGEDASH_READ_TIMEOUT_S = 1.0
    image_fetcher.clear()


def seen_before(client) -> None:
    """Look the image up once while all is well, so there is a snapshot to fall back on."""
    assert client.get(f"/images/{UBUNTU}/").status_code == 200
    image_fetcher.clear()


@pytest.fixture
def page(new_browser):
    """Opens an image's page from a browser of its own (so no lookup is a double click)."""

    def open_page(image_id: str = UBUNTU):
        return new_browser().get(f"/images/{image_id}/")

    return open_page


def test_a_hanging_upstream_is_a_504_within_the_deadline(emulator, fast_deadline, page):
    emulator.app.faults.set(UBUNTU, {"latency": 5})
    started = time.monotonic()
    response = page()
    assert time.monotonic() - started < 2.5
    assert response.status_code == 504
    assert "did not answer in time" in response.content.decode()
    assert Lookup.objects.get().outcome == "timeout"


def test_a_trickling_upstream_does_not_hold_a_worker_past_the_deadline(
    emulator, fast_deadline, page
):
    emulator.app.faults.set(UBUNTU, {"trickle": 0.2})
    started = time.monotonic()
    response = page()
    assert time.monotonic() - started < 2.5
    assert response.status_code == 504


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"html": 502}, "could not read"),
        ({"empty": True}, "could not read"),
        ({"truncated": True}, "could not read"),
        ({"oversized": 2_000_000}, "could not read"),
        ({"oversized": 2_000_000, "declare_length": True}, "could not read"),
    ],
)
def test_unreadable_answers_are_a_502(emulator, fault, words, page):
    emulator.app.faults.set(UBUNTU, fault)
    response = page()
    assert response.status_code == 502
    assert words in response.content.decode()
    assert Lookup.objects.get().outcome == "bad_response"


def test_an_oversized_body_keeps_nothing_of_it(emulator, page):
    emulator.app.faults.set(UBUNTU, {"oversized": 2_000_000})
    page()
    lookup = Lookup.objects.get()
    assert lookup.snapshot is None
    assert "too large" in page().content.decode()


def test_a_429_then_200_is_retried_and_found(emulator, page):
    emulator.app.faults.set(UBUNTU, {"statuses": [429]})
    response = page()
    assert response.status_code == 200
    assert emulator.app.image_gets == 2


def test_three_503s_give_up_within_the_deadline(emulator, settings, page):
    settings.IMAGEDASH_DEADLINE_S = 3
    emulator.app.faults.set(UBUNTU, {"statuses": [503, 503, 503, 503]})
    started = time.monotonic()
    response = page()
    assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert emulator.app.image_gets == 3
    assert Lookup.objects.get().outcome == "unavailable"


def test_a_connection_reset_is_retried(emulator, page):
    emulator.app.faults.set(UBUNTU, {"reset": True})
    response = page()
    assert response.status_code == 503
    assert emulator.app.image_gets == 3


@pytest.mark.parametrize(
    ("status", "page_status"), [(400, 400), (401, 502), (403, 403), (404, 404)]
)
def test_400_401_403_and_404_are_not_retried_and_not_served_stale(
    emulator, client, status, page_status, page
):
    seen_before(client)
    emulator.app.image_gets = 0
    emulator.app.faults.set(UBUNTU, {"statuses": [status]})
    response = page()
    assert response.status_code == page_status
    assert emulator.app.image_gets == 1
    assert "did not answer" not in response.content.decode()


@pytest.mark.parametrize(
    "fault",
    [
        {"statuses": [503, 503, 503]},
        {"statuses": [429, 429, 429]},
        {"html": 502},
        {"reset": True},
        {"empty": True},
        {"oversized": 2_000_000},
        {"latency": 3},
    ],
)
def test_an_outage_shows_the_last_snapshot_marked_stale(
    emulator, client, fault, page, fast_deadline
):
    seen_before(client)
    emulator.app.faults.set(UBUNTU, fault)
    response = page()
    assert response.status_code == 200
    html = response.content.decode()
    assert "ubuntu-24-04-lts-v20250825" in html
    assert "Yandex Cloud did not answer" in html and "as of" in html
    lookup = Lookup.objects.order_by("-id").first()
    assert lookup.outcome != "found" and lookup.snapshot is not None


def test_a_stale_badge_says_so_and_keeps_polling(emulator, client):
    seen_before(client)
    emulator.app.faults.set(UBUNTU, {"html": 502})
    response = client.get(f"/images/{UBUNTU}/status/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "READY" in html and "Yandex Cloud did not answer" in html
    assert "status unknown, last checked" in html
    assert "hx-trigger" in html


def test_the_breaker_opens_after_repeated_failures_and_closes_after_a_good_trial(
    emulator, settings, page
):
    settings.IMAGEDASH_BREAKER_FAILURES = 3
    settings.IMAGEDASH_BREAKER_COOLDOWN_S = 1
    image_fetcher.clear()
    emulator.app.faults.set("*", {"html": 502})
    for _ in range(3):
        assert page().status_code == 502
    emulator.app.image_gets = 0
    response = page()
    assert response.status_code == 503
    assert "paused its calls to Yandex Cloud" in response.content.decode()
    assert emulator.app.image_gets == 0
    emulator.app.faults.clear()
    time.sleep(1.1)
    assert page().status_code == 200  # the trial call
    assert emulator.app.image_gets == 1
    assert page("fd85s1nlcavgdpc16hj3").status_code == 200


def test_a_failed_trial_keeps_the_breaker_open(emulator, settings, page):
    settings.IMAGEDASH_BREAKER_FAILURES = 2
    settings.IMAGEDASH_BREAKER_COOLDOWN_S = 0.5
    image_fetcher.clear()
    emulator.app.faults.set("*", {"html": 502})
    page(), page()
    time.sleep(0.6)
    emulator.app.image_gets = 0
    assert page().status_code == 502  # the trial, failed
    assert page().status_code == 503  # open again, nothing sent
    assert emulator.app.image_gets == 1


def test_a_4xx_resets_the_failure_count(emulator, settings, page):
    settings.IMAGEDASH_BREAKER_FAILURES = 2
    image_fetcher.clear()
    emulator.app.faults.set(UBUNTU, {"html": 502})
    page()
    page("fd8doesnotexist00000")
    page()
    assert not image_fetcher.breaker.is_open


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_for_one_image_make_one_upstream_call(emulator, client, new_browser):
    # Nothing may write while the threads run (the tests' SQLite lives in memory): a snapshot
    # exists, the browsers' sessions exist and the user is loaded before they start.
    seen_before(client)
    browsers = [new_browser() for _ in range(10)]
    emulator.app.image_gets = 0
    emulator.app.faults.set(UBUNTU, {"latency": 0.5})
    statuses = []

    def poll(browser):
        try:
            statuses.append(browser.get(f"/images/{UBUNTU}/status/").status_code)
        finally:
            connections.close_all()  # this thread's own, or the test database cannot be dropped

    threads = [threading.Thread(target=poll, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 10
    assert emulator.app.image_gets == 1


def test_lookups_and_polls_share_the_cache_and_lookups_are_still_recorded(
    emulator, client, new_browser
):
    client.get(f"/images/{UBUNTU}/status/")
    response = new_browser().get(f"/images/{UBUNTU}/")
    assert response.status_code == 200
    assert emulator.app.image_gets == 1
    lookup = Lookup.objects.get()
    assert lookup.upstream_request_id and lookup.upstream_request_id in response.content.decode()


def test_not_found_is_cached_for_a_second(emulator, settings, page):
    settings.IMAGEDASH_NOT_FOUND_TTL_S = 0.5
    image_fetcher.clear()
    page("fd8doesnotexist00000")
    page("fd8doesnotexist00000")
    assert emulator.app.image_gets == 1
    time.sleep(0.6)
    page("fd8doesnotexist00000")
    assert emulator.app.image_gets == 2


def test_an_open_breaker_serves_the_last_snapshot_with_the_reason(emulator, client, page, settings):
    settings.IMAGEDASH_BREAKER_FAILURES = 2
    image_fetcher.clear()
    seen_before(client)
    emulator.app.faults.set("*", {"html": 502})
    page(), page()
    emulator.app.image_gets = 0
    response = page()
    assert response.status_code == 200
    html = response.content.decode()
    assert "ubuntu-24-04-lts-v20250825" in html
    assert "Yandex Cloud did not answer" in html and "paused its calls" in html
    assert emulator.app.image_gets == 0
