"""Who gets in: login everywhere (every URL pattern of the URLconf), safe `next`, the trusted SSO
header, staff-only views, and what htmx sees when the session is gone."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.regex_helper import normalize

from imagedash.access import staff_required
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

IMAGE_ID = "fd8tekibj7eld4eqtaed"
# Anyone may open these: the login pages, and endpoints for load balancers and monitoring.
PUBLIC = {"/accounts/login/", "/admin/login/", "/healthz", "/readyz", "/metrics"}
_SAMPLES = {"image_id": IMAGE_ID, "int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}
_REGEX_SAMPLES = ["1", "images", "auth", "x"]
_CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


def _route_text(pattern: RoutePattern) -> str:
    return _CONVERTER.sub(lambda m: _SAMPLES.get(m["converter"] or "str", "1"), str(pattern))


def _regex_texts(pattern: RegexPattern) -> list[str]:
    """Concrete strings for a regex pattern: each parameter tried with a few sample values."""
    texts = []
    for template, parameters in normalize(pattern.regex.pattern):
        for sample in _REGEX_SAMPLES:
            texts.append(template % {name: sample for name in parameters})
    return texts


def _urls(patterns: list, prefix: str = "") -> list[str]:
    """One concrete URL for every pattern in the URLconf, converters filled with valid values."""
    urls = []
    for entry in patterns:
        if isinstance(entry.pattern, RoutePattern):
            candidates = [_route_text(entry.pattern)]
        else:
            candidates = _regex_texts(entry.pattern)
        if isinstance(entry, URLResolver):
            urls += _urls(entry.url_patterns, prefix + candidates[0])
            continue
        assert isinstance(entry, URLPattern)
        for candidate in candidates:
            url = "/" + prefix + candidate
            try:
                resolve(url)
            except Resolver404:
                continue
            urls.append(url)
            break
        else:
            pytest.fail(f"could not build a URL for pattern {entry.pattern!r} under /{prefix}")
    return urls


ALL_URLS = None


def all_urls() -> list[str]:
    global ALL_URLS
    if ALL_URLS is None:
        ALL_URLS = sorted(set(_urls(get_resolver().url_patterns)))
    return ALL_URLS


def _is_login_redirect(response: HttpResponse) -> bool:
    if response.status_code != 302:
        return False
    path = urlsplit(response["Location"]).path
    return path in {reverse("login"), reverse("admin:login")}


def test_the_urlconf_walk_finds_the_dashboard_and_admin():
    urls = all_urls()
    for expected in ["/", f"/images/{IMAGE_ID}/", f"/images/{IMAGE_ID}/status/", "/history/"]:
        assert expected in urls
    assert "/healthz" in urls
    assert sum(url.startswith("/admin/") for url in urls) > 10


@pytest.mark.parametrize("method", ["get", "post"])
def test_signed_out_every_url_goes_to_login_or_is_refused(anonymous_client, emulator, method):
    for url in all_urls():
        response = getattr(anonymous_client, method)(url)
        if url in PUBLIC:
            continue
        assert _is_login_redirect(response) or response.status_code in (401, 403), (
            f"{method.upper()} {url} answered {response.status_code} to a signed-out visitor"
        )
    assert emulator.log.requests == []


def test_public_endpoints_answer_signed_out(anonymous_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        health = anonymous_client.get("/healthz")
    assert health.status_code == 200
    assert health.content == b"ok"
    assert anonymous_client.get("/accounts/login/").status_code == 200


def test_a_shared_permalink_leads_through_login_back_to_the_image(anonymous_client, user, emulator):
    permalink = f"/images/{IMAGE_ID}/"
    response = anonymous_client.get(permalink)
    assert _is_login_redirect(response)
    login_url = response["Location"]
    assert anonymous_client.get(login_url).status_code == 200
    response = anonymous_client.post(login_url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == permalink
    page = anonymous_client.get(permalink)
    assert page.status_code == 200
    assert b"ubuntu-24-04-lts" in page.content


@pytest.mark.parametrize(
    "next_url",
    [
        "//evil.example",
        "//evil.example/images/",
        "https:evil",
        "https://evil.example/",
        "/\\evil",
        "/\\/evil.example",
        "\\\\evil.example",
        "http:/\\evil.example",
        " //evil.example",
        "javascript:alert(1)",
    ],
)
def test_login_never_redirects_off_site(anonymous_client, user, next_url):
    response = anonymous_client.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD, "next": next_url},
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location == reverse("images:home"), location
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc


@pytest.mark.parametrize("next_url", ["//evil.example", "https:evil", "/\\evil"])
def test_signed_in_login_page_never_redirects_off_site(client, next_url):
    response = client.get("/accounts/login/", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == reverse("images:home")


def test_a_safe_next_is_followed(anonymous_client, user):
    response = anonymous_client.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD, "next": "/history/?page=2"},
    )
    assert response["Location"] == "/history/?page=2"


def test_login_with_a_wrong_password_stays_on_the_login_page(anonymous_client, user):
    response = anonymous_client.post(
        "/accounts/login/", {"username": user.username, "password": "wrong"}
    )
    assert response.status_code == 200
    assert b"Sign in" in response.content
    assert "_auth_user_id" not in anonymous_client.session


def test_sign_out_is_a_post_and_ends_the_session(client):
    assert client.get("/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert _is_login_redirect(client.get("/"))


# Trusted-header single sign-on.


@pytest.fixture
def sso(settings):
    settings.IMAGEDASH_TRUSTED_USER_HEADER = "X-Forwarded-User"
    settings.IMAGEDASH_TRUSTED_PROXIES = ["10.0.0.5", "192.168.10.0/24", "fd00::/8"]
    return settings


@pytest.mark.parametrize("proxy", ["10.0.0.5", "192.168.10.77", "fd00::1", "::ffff:10.0.0.5"])
def test_trusted_proxy_header_signs_the_user_in_creating_them(sso, django_user_model, proxy):
    client = Client(REMOTE_ADDR=proxy)
    response = client.get("/", HTTP_X_FORWARDED_USER="carol@example.com")
    assert response.status_code == 200
    assert b"carol@example.com" in response.content
    created = django_user_model.objects.get(username="carol@example.com")
    assert not created.is_staff
    assert not created.has_usable_password()
    # Known from now on: the same header signs the same user in again.
    assert (
        Client(REMOTE_ADDR=proxy).get("/", HTTP_X_FORWARDED_USER="carol@example.com").status_code
        == 200
    )
    assert django_user_model.objects.filter(username="carol@example.com").count() == 1


@pytest.mark.parametrize(
    "remote_addr, extra",
    [
        ("10.0.0.6", {}),
        ("127.0.0.1", {}),
        ("192.168.11.1", {}),
        # A spoofed X-Forwarded-For naming a trusted proxy changes nothing: it is never read.
        ("203.0.113.9", {"HTTP_X_FORWARDED_FOR": "10.0.0.5"}),
        (
            "203.0.113.9",
            {"HTTP_X_FORWARDED_FOR": "10.0.0.5, 10.0.0.5", "HTTP_X_REAL_IP": "10.0.0.5"},
        ),
        ("not-an-address", {}),
    ],
)
def test_header_from_anyone_else_is_ignored(sso, django_user_model, remote_addr, extra):
    client = Client(REMOTE_ADDR=remote_addr)
    response = client.get("/", HTTP_X_FORWARDED_USER="mallory", **extra)
    assert _is_login_redirect(response)
    assert not django_user_model.objects.filter(username="mallory").exists()


def test_header_is_ignored_when_sso_is_not_configured(settings, django_user_model):
    settings.IMAGEDASH_TRUSTED_USER_HEADER = ""
    settings.IMAGEDASH_TRUSTED_PROXIES = ["127.0.0.1"]
    response = Client().get("/", HTTP_X_FORWARDED_USER="mallory")
    assert _is_login_redirect(response)
    assert not django_user_model.objects.filter(username="mallory").exists()


def test_a_malformed_user_name_from_the_proxy_is_refused(sso, django_user_model):
    response = Client(REMOTE_ADDR="10.0.0.5").get("/", HTTP_X_FORWARDED_USER="<script>")
    assert _is_login_redirect(response)
    assert not django_user_model.objects.exists()


def test_a_spoofed_header_does_not_change_a_signed_in_user(sso, client, user):
    response = client.get("/", HTTP_X_FORWARDED_USER="admin")
    assert response.status_code == 200
    assert response.wsgi_request.user == user


# Staff only.


@staff_required
def _operator_view(request):
    return HttpResponse("operator")


def test_staff_required(user, staff_user):
    factory = RequestFactory()
    request = factory.get("/about/")
    request.user = staff_user
    assert _operator_view(request).status_code == 200
    request.user = user
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        _operator_view(request)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = _operator_view(request)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/about/")


# htmx when the session is gone.


def _assert_session_expired_fragment(response: HttpResponse) -> None:
    assert response.status_code == 200
    body = response.content.decode()
    assert "session expired, reload" in body
    assert "hx-trigger" not in body and "hx-get" not in body
    assert "<html" not in body
    assert response.has_header("Content-Security-Policy")


def test_htmx_poll_without_a_session_gets_the_session_expired_fragment(anonymous_client, emulator):
    response = anonymous_client.get(f"/images/{IMAGE_ID}/status/", HTTP_HX_REQUEST="true")
    _assert_session_expired_fragment(response)
    assert "HX-Request" in response["Vary"]
    assert emulator.log.requests == []


def test_an_htmx_history_restore_signed_out_goes_to_the_login_page(anonymous_client):
    response = anonymous_client.get(
        f"/images/{IMAGE_ID}/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert _is_login_redirect(response)
    assert "HX-Request" in response["Vary"]


def test_htmx_poll_after_sign_out_gets_the_session_expired_fragment(client, emulator):
    url = f"/images/{IMAGE_ID}/status/"
    assert ">READY<" in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    client.post("/accounts/logout/")
    _assert_session_expired_fragment(client.get(url, HTTP_HX_REQUEST="true"))


def test_htmx_request_failing_csrf_gets_the_session_expired_fragment(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/images/", {"image_id": IMAGE_ID}, HTTP_HX_REQUEST="true")
    _assert_session_expired_fragment(response)


def test_plain_post_failing_csrf_is_a_403_page_saying_so(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 403
    assert b"session expired, reload" in response.content
    assert client.get("/").status_code == 200  # still signed in


def test_htmx_requests_carry_the_csrf_token(client):
    page = client.get("/").content.decode()
    match = re.search(r"""<body hx-headers='\{"X-CSRFToken": "([A-Za-z0-9]+)"\}'>""", page)
    assert match, "the body must send the CSRF token with every htmx request"
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.cookies = client.cookies
    response = csrf_client.post("/accounts/logout/", HTTP_X_CSRFTOKEN=match[1])
    assert response.status_code == 302  # the header's token is accepted: signed out
    assert _is_login_redirect(csrf_client.get("/"))
