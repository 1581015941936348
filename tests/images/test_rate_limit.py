"""The per-user lookup limit (IMAGEDASH_LOOKUPS_PER_MINUTE), through the views and the real
emulator over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from imagedash.images import services
from imagedash.images.models import Lookup, Outcome

pytestmark = pytest.mark.django_db

IMAGE_ID = "fd8tekibj7eld4eqtaed"
OTHER_ID = "fd85s1nlcavgdpc16hj3"


def _recorded(user, count: int, *, seconds_ago: float = 1, outcome=Outcome.FOUND) -> None:
    at = timezone.now() - timedelta(seconds=seconds_ago)
    Lookup.objects.bulk_create(
        Lookup(image_id=f"fd8past{i}", created_at=at, user=user, outcome=outcome)
        for i in range(count)
    )


def test_the_61st_lookup_in_a_minute_is_refused_with_429_and_recorded(client, user, emulator):
    for number in range(60):
        Lookup.objects.create(image_id=f"fd8seen{number}", user=user, outcome=Outcome.FOUND)
    emulator.log.clear()
    response = client.get(f"/images/{IMAGE_ID}/")
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    text = response.content.decode()
    assert "Too many lookups" in text
    assert "Wait a minute" in text
    assert emulator.log.requests == []  # no upstream request
    refused = Lookup.objects.filter(user=user).order_by("-created_at", "-id").first()
    assert refused.image_id == IMAGE_ID
    assert refused.outcome == Outcome.RATE_LIMITED
    assert refused.upstream_status is None


def test_sixty_lookups_through_the_pages_pass_and_the_next_is_refused(client, user, emulator):
    # Distinct ids, so that none is folded into another as a double click; unknown ids are 404s,
    # lookups all the same.
    for number in range(60):
        expected = 200 if number == 0 else 404
        image_id = IMAGE_ID if number == 0 else f"fd8missing{number}"
        assert client.get(f"/images/{image_id}/").status_code == expected
    assert Lookup.objects.filter(user=user).count() == 60
    assert len(emulator.log.requests) == 60
    assert client.get(f"/images/{OTHER_ID}/").status_code == 429
    assert Lookup.objects.filter(user=user, outcome=Outcome.RATE_LIMITED).count() == 1
    assert len(emulator.log.requests) == 60


def test_the_limit_is_per_user_and_counts_only_the_last_60_seconds(
    client, user, staff_user, emulator
):
    _recorded(user, 60, seconds_ago=61)
    _recorded(staff_user, 60)
    assert client.get(f"/images/{IMAGE_ID}/").status_code == 200


def test_refusals_do_not_count(client, user, emulator):
    _recorded(user, 59)
    _recorded(user, 30, outcome=Outcome.RATE_LIMITED)
    assert client.get(f"/images/{IMAGE_ID}/").status_code == 200  # the 60th
    assert client.get(f"/images/{OTHER_ID}/").status_code == 429  # the 61st


def test_a_double_click_on_the_last_allowed_lookup_is_not_refused(client, user, emulator):
    _recorded(user, 59)
    assert client.get(f"/images/{IMAGE_ID}/").status_code == 200
    assert client.get(f"/images/{IMAGE_ID}/").status_code == 200  # folded into the 60th
    assert Lookup.objects.filter(user=user).count() == 60
    assert client.get(f"/images/{OTHER_ID}/").status_code == 429
    assert client.get(f"/images/{OTHER_ID}/").status_code == 429  # a refused double click
    assert len(emulator.log.requests) == 1


def test_the_limit_is_configurable(client, user, emulator, settings):
    settings.IMAGEDASH_LOOKUPS_PER_MINUTE = 2
    _recorded(user, 2)
    assert client.get(f"/images/{IMAGE_ID}/").status_code == 429


def test_status_polls_are_not_rate_limited(client, user, emulator):
    _recorded(user, 100)
    response = client.get(f"/images/{IMAGE_ID}/status/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert ">READY<" in response.content.decode()
    assert not Lookup.objects.filter(outcome=Outcome.RATE_LIMITED).exists()


def test_every_entry_point_gets_the_limit_from_the_service(user, emulator):
    _recorded(user, 60)
    result = services.image_lookup(image_id=IMAGE_ID, user=user, browser_key="k")
    assert result.outcome == Outcome.RATE_LIMITED
    assert result.image is None
    assert emulator.log.requests == []
