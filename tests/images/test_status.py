"""The live status badge at /images/<id>/status/."""

from __future__ import annotations

import time

import pytest

from imagedash.images.fetch import image_fetcher
from imagedash.images.models import ImageSnapshot, Lookup
from tests.conftest import DEMO_TRANSITION_S
from tests.fakes import ScriptedServer

pytestmark = pytest.mark.django_db

CREATING = "fd8demo1creating0001"
DELETING = "fd8demo2deleting0001"
READY = "fd8tekibj7eld4eqtaed"


def badge(client, image_id, **params):
    response = client.get(f"/images/{image_id}/status/", params)
    return response, response.content.decode()


def test_a_creating_image_keeps_polling(client, emulator):
    response, html = badge(client, CREATING)
    assert response.status_code == 200
    assert ">CREATING<" in html and 'data-state="CREATING"' in html
    assert f'hx-get="/images/{CREATING}/status/"' in html
    assert 'hx-trigger="every 3s' in html and 'hx-swap="outerHTML"' in html
    assert "no-store" in response["Cache-Control"]


def test_the_poll_interval_is_configurable(client, emulator, settings):
    settings.IMAGEDASH_POLL_INTERVAL_S = 5
    assert 'hx-trigger="every 5s' in badge(client, CREATING)[1]


def test_a_ready_image_stops_polling(client, emulator):
    response, html = badge(client, READY)
    assert response.status_code == 200
    assert ">READY<" in html
    assert "hx-get" not in html and "hx-trigger" not in html


def test_the_badge_follows_the_status_until_it_settles(client, emulator):
    assert "hx-trigger" in badge(client, CREATING)[1]
    time.sleep(DEMO_TRANSITION_S + 0.2)
    image_fetcher.clear()
    html = badge(client, CREATING)[1]
    assert 'data-state="READY"' in html and "hx-trigger" not in html


def test_a_deleted_image_says_deleted(client, emulator):
    assert ">DELETING<" in badge(client, DELETING)[1]
    time.sleep(DEMO_TRANSITION_S + 0.2)
    image_fetcher.clear()
    response, html = badge(client, DELETING)
    assert response.status_code == 200
    assert ">deleted<" in html and "hx-trigger" not in html


def test_an_image_never_seen_is_not_found(client, emulator):
    response, html = badge(client, "fd8neverexisted00001")
    assert response.status_code == 200
    assert ">not found<" in html and "hx-trigger" not in html


def test_upstream_trouble_is_a_200_that_keeps_polling_with_backoff(client, settings):
    server = ScriptedServer()
    settings.YC_COMPUTE_ENDPOINT, settings.YC_TOKEN = server.url, "t1.test.token"
    try:
        server.answer(502, b"<html>bad gateway</html>", "text/html")
        response, html = badge(client, CREATING, shown="unknown", interval="3")
    finally:
        server.close()
    assert response.status_code == 200
    assert "status unknown, last checked" in html
    assert 'hx-trigger="every 6s' in html


def test_the_interval_backs_off_while_nothing_changes_and_resets_on_change(client, emulator):
    assert "every 6s" in badge(client, CREATING, shown="CREATING", interval="3")[1]
    assert "every 30s" in badge(client, CREATING, shown="CREATING", interval="24")[1]
    assert "every 30s" in badge(client, CREATING, shown="CREATING", interval="1e9")[1]
    assert "every 3s" in badge(client, CREATING, shown="READY", interval="24")[1]
    # Nonsense is read as the base interval.
    assert "every 6s" in badge(client, CREATING, shown="CREATING", interval="nan")[1]


def test_polls_never_record_lookups(client, emulator):
    for _ in range(3):
        badge(client, CREATING)
    assert not Lookup.objects.exists()


def test_a_poll_stores_a_snapshot_only_when_the_status_changes(client, emulator):
    badge(client, CREATING)
    assert ImageSnapshot.objects.filter(image_id=CREATING).count() == 1
    image_fetcher.clear()
    badge(client, CREATING)
    assert ImageSnapshot.objects.filter(image_id=CREATING).count() == 1
    time.sleep(DEMO_TRANSITION_S + 0.2)
    image_fetcher.clear()
    badge(client, CREATING)
    assert list(
        ImageSnapshot.objects.filter(image_id=CREATING)
        .values_list("status", flat=True)
        .order_by("id")
    ) == ["CREATING", "READY"]


def test_a_poll_whose_status_did_not_change_writes_nothing(
    client, emulator, django_assert_max_num_queries
):
    client.get(f"/images/{READY}/")
    image_fetcher.clear()
    with django_assert_max_num_queries(1) as captured:
        badge(client, READY)
    assert not any(
        query["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
        for query in captured.captured_queries
    )


def test_a_warm_poll_touches_neither_the_database_nor_upstream(
    client, emulator, django_assert_num_queries
):
    badge(client, CREATING)
    emulator.log.clear()
    with django_assert_num_queries(0):
        badge(client, CREATING)
    assert emulator.log.requests == []
