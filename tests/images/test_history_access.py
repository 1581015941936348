"""History rows record the user; staff see everyone's, others only their own."""

from __future__ import annotations

import pytest
from django.test import Client

from imagedash.images.models import Lookup, Outcome

pytestmark = pytest.mark.django_db

IMAGE_ID = "fd8tekibj7eld4eqtaed"


@pytest.fixture
def lookups(user, staff_user, django_user_model):
    bob = django_user_model.objects.create_user(username="bob", password="x")
    Lookup.objects.create(image_id="fd8alicelookup", user=user, outcome=Outcome.NOT_FOUND)
    Lookup.objects.create(image_id="fd8boblookup", user=bob, outcome=Outcome.NOT_FOUND)
    Lookup.objects.create(image_id="fd8samlookup", user=staff_user, outcome=Outcome.NOT_FOUND)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["/", "/history/"])
def test_non_staff_see_their_own_lookups_only(client, lookups, url):
    page = client.get(url).content.decode()
    assert "fd8alicelookup" in page
    assert "fd8boblookup" not in page
    assert "fd8samlookup" not in page


@pytest.mark.parametrize("url", ["/", "/history/"])
def test_staff_see_everyone_s_lookups(staff_user, lookups, url):
    page = _signed_in(staff_user).get(url).content.decode()
    for image_id in ["fd8alicelookup", "fd8boblookup", "fd8samlookup"]:
        assert image_id in page


def test_a_lookup_records_who_made_it(client, user, emulator):
    assert client.get(f"/images/{IMAGE_ID}/").status_code == 200
    assert Lookup.objects.get(image_id=IMAGE_ID).user == user


def test_history_queries_stay_bounded_for_non_staff(client, user, django_assert_max_num_queries):
    Lookup.objects.bulk_create(
        Lookup(image_id=f"fd8row{i}", user=user, outcome=Outcome.NOT_FOUND) for i in range(30)
    )
    client.get("/history/")  # warm the session cache
    with django_assert_max_num_queries(6):
        assert client.get("/history/").status_code == 200
