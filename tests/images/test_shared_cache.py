"""With REDIS_URL set, the result cache and the single-flight lock are shared across processes
(here: two fetchers, as two worker processes would each have one)."""

from __future__ import annotations

import threading
import time

import pytest

from imagedash.images.fetch import ImageFetcher
from tests.conftest import IN_CI

UBUNTU = "fd8tekibj7eld4eqtaed"
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_cache(settings):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        if IN_CI:
            pytest.fail(f"Redis does not answer at {REDIS_URL}: {error} (CI=true)")
        pytest.skip(f"Redis does not answer at {REDIS_URL}: {error}")
    settings.REDIS_URL = REDIS_URL
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "imagedash-test",
        }
    }
    from django.core.cache import cache

    cache.clear()
    yield cache
    cache.clear()


def test_a_second_process_gets_the_answer_from_redis(emulator, redis_cache):
    first, second = ImageFetcher(), ImageFetcher()
    fetched = first.get(UBUNTU)
    again = second.get(UBUNTU)
    assert emulator.app.image_gets == 1
    assert fetched.fresh and not again.fresh
    assert again.fetched.image == fetched.fetched.image
    assert again.request_id == fetched.request_id


def test_not_found_is_shared_too(emulator, redis_cache):
    ImageFetcher().get("fd8doesnotexist00000")
    result = ImageFetcher().get("fd8doesnotexist00000")
    assert result.error is not None and result.error.kind == "not_found"
    assert emulator.app.image_gets == 1


def test_concurrent_processes_make_one_upstream_call(emulator, redis_cache):
    emulator.app.faults.set(UBUNTU, {"latency": 0.5})
    fetchers = [ImageFetcher() for _ in range(4)]
    results = []
    threads = [
        threading.Thread(target=lambda f=f: results.append(f.get(UBUNTU))) for f in fetchers * 3
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 12 and all(r.fetched is not None for r in results)
    assert emulator.app.image_gets == 1


def test_a_not_found_is_shared_but_an_outage_is_not_cached_for_later_requests(
    emulator, redis_cache
):
    emulator.app.faults.set(UBUNTU, {"statuses": [404]})
    assert ImageFetcher().get(UBUNTU).error.kind == "not_found"
    assert ImageFetcher().get(UBUNTU).error.kind == "not_found"  # another process, from Redis
    assert emulator.app.image_gets == 1
    redis_cache.clear()
    emulator.app.faults.set(UBUNTU, {"html": 502})
    assert ImageFetcher().get(UBUNTU).error.kind == "bad_response"
    emulator.app.faults.clear()
    assert ImageFetcher().get(UBUNTU).fetched is not None  # asked again, not served the failure
    assert emulator.app.image_gets == 3


@pytest.mark.django_db
def test_redis_down_degrades_to_the_local_cache(emulator, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": settings.REDIS_URL}
    }
    fetcher = ImageFetcher()
    assert fetcher.get(UBUNTU).fetched is not None
    assert fetcher.get(UBUNTU).fetched is not None
    assert emulator.app.image_gets == 1


def test_processes_waiting_on_a_hanging_call_give_up_within_their_deadline(
    emulator, redis_cache, settings
):
    settings.IMAGEDASH_DEADLINE_S = 1.0
    settings.IMAGEDASH_READ_TIMEOUT_S = 1.0
    emulator.app.faults.set(UBUNTU, {"latency": 4})
    holder = threading.Thread(target=ImageFetcher().get, args=(UBUNTU,))
    holder.start()
    time.sleep(0.2)  # the first process holds the lock and calls
    started = time.monotonic()
    result = ImageFetcher().get(UBUNTU)
    waited = time.monotonic() - started
    holder.join()
    assert result.error is not None and result.error.kind == "timeout"
    assert waited < 2.0
    assert emulator.app.image_gets == 1


@pytest.mark.django_db
def test_pages_work_with_redis_down(settings, emulator, new_browser):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    browser = new_browser()
    assert browser.get(f"/images/{UBUNTU}/").status_code == 200
    assert browser.get(f"/images/{UBUNTU}/status/").status_code == 200
    assert browser.get("/history/").status_code == 200
