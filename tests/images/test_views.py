"""The pages, through Django's test client, with the emulator answering over real HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from imagedash.images.ids import INVALID_IMAGE_ID_MESSAGE
from imagedash.images.models import ImageSnapshot, Lookup
from tests.fakes import ScriptedServer

pytestmark = pytest.mark.django_db

UBUNTU = "fd8tekibj7eld4eqtaed"
WINDOWS = "fd85s1nlcavgdpc16hj3"
CREATING = "fd8demo1creating0001"
MISSING = "fd8doesnotexist00000"


@pytest.fixture
def scripted(settings):
    server = ScriptedServer()
    settings.YC_COMPUTE_ENDPOINT = server.url
    settings.YC_TOKEN = "t1.test.token"
    yield server
    server.close()


def test_home_shows_the_form_and_recent_lookups(client, emulator):
    client.get(f"/images/{UBUNTU}/")
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="image_id"' in html and "autofocus" in html and 'type="submit"' in html
    assert f'href="/images/{UBUNTU}/"' in html
    assert "ubuntu-24-04-lts-v20250825" in html


def test_submitting_the_form_goes_to_the_permalink(client, emulator):
    response = client.get("/images/", {"image_id": f"  {UBUNTU}\n"})
    assert response.status_code == 302
    assert response["Location"] == f"/images/{UBUNTU}/"


def test_the_permalink_shows_the_image_in_human_form(client, emulator):
    response = client.get(f"/images/{UBUNTU}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1 hx-disable>ubuntu-24-04-lts-v20250825</h1>" in html
    assert "standard-images" in html and "ubuntu-2404-lts" in html
    assert '<span title="3535798272 bytes">3.29 GiB</span>' in html
    assert '<span title="10737418240 bytes">10 GiB</span>' in html
    assert "2025-08-25 11:05:05 UTC" in html and "days ago" in html
    assert "version:20250822040533" in html
    assert "f2etcm6v6bqt8iho5pu3" in html
    assert "Linux" in html
    assert "hardwareGeneration" in html and "PCI_TOPOLOGY_V1" in html  # the raw JSON
    assert 'data-state="READY"' in html and "hx-get" not in html.split('id="status-badge"')[1][:200]


def test_missing_fields_read_as_a_dash(client, emulator):
    emulator.app.images["fd8bare"] = b'{"id": "fd8bare"}'
    try:
        html = client.get("/images/fd8bare/").content.decode()
    finally:
        del emulator.app.images["fd8bare"]
    assert html.count("—") >= 8


def test_a_windows_image_says_windows(client, emulator):
    assert "Windows" in client.get(f"/images/{WINDOWS}/").content.decode()


def test_the_permalink_is_a_full_page_even_for_htmx_requests(client, emulator):
    response = client.get(f"/images/{UBUNTU}/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith("<!doctype html>")


def test_not_found_is_a_404_page_with_the_request_id(client, emulator):
    response = client.get(f"/images/{MISSING}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Image not found" in html and "Check the id" in html
    lookup = Lookup.objects.get()
    assert lookup.outcome == "not_found" and lookup.upstream_status == 404
    assert lookup.upstream_request_id and lookup.upstream_request_id in html


@pytest.mark.parametrize(
    "text", ["UPPER", "has space", "a" * 51, "fd8-dash", "<script>alert(1)</script>", "é"]
)
def test_an_invalid_id_in_the_form_is_a_400_and_recorded(client, emulator, text):
    response = client.get("/images/", {"image_id": text})
    assert response.status_code == 400
    html = response.content.decode()
    assert INVALID_IMAGE_ID_MESSAGE in html
    assert "<script>alert(1)</script>" not in html
    assert emulator.log.requests == []
    lookup = Lookup.objects.get()
    assert lookup.outcome == "invalid_id" and lookup.image_id == text[:100]


def test_an_invalid_id_is_cut_to_100_characters(client, emulator):
    client.get("/images/", {"image_id": "x!" * 200})
    assert Lookup.objects.get().image_id == ("x!" * 200)[:100]


@pytest.mark.parametrize(
    "path",
    [
        "/images/UPPER/",
        "/images/%2e%2e%2finstances/",
        "/images/a%3Fb/",
        "/images/a%23b/",
        "/images/a%5Cb/",
        "/images/a%2F%2Fhost/",
        "/images/%3Cscript%3E/",
        f"/images/{'a' * 51}/",
    ],
)
def test_injection_strings_in_the_path_send_nothing_upstream(client, emulator, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert emulator.log.requests == []
    assert "<script>" not in response.content.decode()


@pytest.mark.parametrize(
    "path", ["/images/UPPER/status/", "/images/a%3Fb/status/", f"/images/{'a' * 51}/status/"]
)
def test_an_invalid_id_at_the_status_endpoint_is_a_400(client, emulator, path):
    response = client.get(path)
    assert response.status_code == 400
    assert INVALID_IMAGE_ID_MESSAGE in response.content.decode()
    assert emulator.log.requests == []
    assert not Lookup.objects.exists()


def test_a_path_with_surrounding_whitespace_goes_to_the_canonical_permalink(client, emulator):
    response = client.get(f"/images/%20{UBUNTU}%20/")
    assert response.status_code == 302 and response["Location"] == f"/images/{UBUNTU}/"


@pytest.mark.parametrize(
    ("status", "body", "page_status", "outcome", "words"),
    [
        (
            403,
            b'{"code": 7, "message": "Permission denied"}',
            403,
            "permission_denied",
            "No access",
        ),
        (
            401,
            b'{"code": 16, "message": "Token is invalid or has expired."}',
            502,
            "unauthenticated",
            "credentials were rejected",
        ),
        (429, b'{"code": 8, "message": "Quota"}', 503, "rate_limited", "limiting requests"),
        (503, b'{"code": 14, "message": "Unavailable"}', 503, "unavailable", "unavailable"),
        (504, b'{"code": 4, "message": "Deadline"}', 504, "timeout", "did not answer in time"),
        (500, b'{"code": 13, "message": "Internal"}', 502, "unavailable", "error on its side"),
        (502, b"<html>Bad gateway</html>", 502, "bad_response", "could not read"),
        (200, b"", 502, "bad_response", "could not read"),
    ],
)
def test_upstream_failures_are_pages_with_the_right_status(
    client, scripted, status, body, page_status, outcome, words
):
    scripted.answer(status, body)
    scripted.headers["x-request-id"] = "req-1234"
    response = client.get(f"/images/{UBUNTU}/")
    assert response.status_code == page_status
    html = response.content.decode()
    assert words in html
    assert "req-1234" in html
    lookup = Lookup.objects.get()
    assert lookup.outcome == outcome
    assert lookup.upstream_status == status
    assert lookup.upstream_request_id == "req-1234"


def test_no_credentials_is_an_operator_problem(client, emulator, settings):
    settings.YC_TOKEN = ""
    response = client.get(f"/images/{UBUNTU}/")
    assert response.status_code == 503
    assert "No Yandex Cloud credentials" in response.content.decode()
    assert emulator.log.requests == []
    lookup = Lookup.objects.get()
    assert lookup.outcome == "unauthenticated" and lookup.upstream_status is None


def test_each_lookup_is_recorded_with_its_snapshot(client, emulator):
    client.get(f"/images/{UBUNTU}/")
    lookup = Lookup.objects.get()
    assert lookup.outcome == "found" and lookup.upstream_status == 200
    assert lookup.snapshot.raw["id"] == UBUNTU
    assert lookup.snapshot.status == "READY"
    assert lookup.upstream_request_id


def test_a_double_click_records_one_lookup(client, emulator):
    client.get(f"/images/{UBUNTU}/")
    client.get(f"/images/{UBUNTU}/")
    assert Lookup.objects.count() == 1


def test_two_browsers_record_two_lookups(client, emulator, new_browser):
    client.get(f"/images/{UBUNTU}/")
    new_browser().get(f"/images/{UBUNTU}/")
    assert Lookup.objects.count() == 2


def test_the_same_content_is_stored_once(client, emulator, new_browser):
    client.get(f"/images/{UBUNTU}/")
    new_browser().get(f"/images/{UBUNTU}/")
    assert ImageSnapshot.objects.count() == 1
    assert Lookup.objects.filter(snapshot__isnull=False).count() == 2


def test_history_lists_lookups_newest_first_with_links(client, emulator, new_browser):
    client.get(f"/images/{UBUNTU}/")
    new_browser().get(f"/images/{WINDOWS}/")
    html = client.get("/history/").content.decode()
    assert html.index(WINDOWS) < html.index(UBUNTU)
    assert f'href="/images/{UBUNTU}/"' in html


def test_history_is_paginated(client, settings, user):
    settings.IMAGEDASH_HISTORY_PAGE_SIZE = 5
    Lookup.objects.bulk_create(
        Lookup(image_id=f"fd8page{i:04d}", outcome="not_found", user=user) for i in range(12)
    )
    first = client.get("/history/").content.decode()
    assert "Page 1 of 3" in first and 'rel="next"' in first
    assert client.get("/history/?page=3").content.decode().count('href="/images/fd8page') == 2
    assert client.get("/history/?page=banana").status_code == 200


@pytest.mark.parametrize("rows", [1, 60])
def test_home_and_history_queries_do_not_grow_with_rows(
    client, django_assert_max_num_queries, rows, user
):
    Lookup.objects.bulk_create(
        Lookup(image_id=f"fd8rows{i:04d}", outcome="not_found", user=user) for i in range(rows)
    )
    client.get("/")  # the browser's session exists from here on
    with django_assert_max_num_queries(2):
        assert client.get("/history/").status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get("/").status_code == 200
    # The signed-in user comes from a short per-process cache: a page costs its own queries.


def test_reverse_refuses_an_invalid_id():
    from django.urls import NoReverseMatch

    with pytest.raises((ValueError, NoReverseMatch)):
        reverse("images:detail", kwargs={"image_id": "../x"})


@pytest.mark.parametrize("text", ["", "y" * 1001, "fd8abc\x00", "   "])
def test_any_form_text_that_is_no_id_gets_the_id_message_and_is_recorded(client, emulator, text):
    response = client.get("/images/", {"image_id": text})
    assert response.status_code == 400
    assert INVALID_IMAGE_ID_MESSAGE in response.content.decode()
    lookup = Lookup.objects.get()
    assert lookup.outcome == "invalid_id"
    assert "\x00" not in lookup.image_id and len(lookup.image_id) <= 100


def test_the_lookup_url_without_an_id_goes_home(client):
    response = client.get("/images/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_an_upstream_400_for_a_well_formed_id_shows_what_yandex_cloud_said(client, scripted):
    scripted.answer(400, b'{"code": 3, "message": "Illegal argument image_id"}')
    scripted.headers["x-request-id"] = "req-400"
    response = client.get(f"/images/{UBUNTU}/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Yandex Cloud says" in html and "req-400" in html and "Illegal argument" in html


def test_error_pages_say_the_issue_words(client, scripted, settings):
    scripted.answer(401, b'{"code": 16, "message": "Token is invalid or has expired."}')
    html = client.get(f"/images/{UBUNTU}/").content.decode()
    assert "the dashboard's Yandex Cloud credentials were rejected" in html
    settings.YC_TOKEN = ""
    html = client.get(f"/images/{WINDOWS}/").content.decode()
    assert "no Yandex Cloud credentials are configured" in html
