"""The dashboard with each credential kind, over real HTTP to the emulator: pages, recorded
lookups, the operators' page, and no secret anywhere a person or a log could see it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.core import serializers

from imagedash.emulator.app import IAM_TOKENS_PATH, METADATA_TOKEN_PATH, Emulator
from imagedash.emulator.server import serve_in_thread
from imagedash.images.models import Lookup
from imagedash.images.upstream import compute_client
from imagedash.yc.config import ENV_NAMES
from tests.fakes import RequestLog
from tests.yc.keys import authorized_key, pem_body
from tests.yc.test_providers import OAUTH_TOKEN, env_for

pytestmark = pytest.mark.django_db
IMAGE_ID = "fd8tekibj7eld4eqtaed"
DETAIL = f"/images/{IMAGE_ID}/"
KINDS = ["iam", "oauth", "key_file", "key_inline", "metadata"]


@pytest.fixture
def client(staff_user):
    """An operator: these tests read the staff-only /about/ page too."""
    from django.test import Client

    operator = Client()
    operator.force_login(staff_user)
    return operator


@pytest.fixture
def iam(emulator):
    key = authorized_key()
    emulator.app.service_account_keys = {key["id"]: (key["service_account_id"], key["public_key"])}
    return emulator


def configure(settings, kind: str, url: str, tmp_path: Path) -> None:
    env = {"YC_TOKEN": "t1.test.emulator-token"} if kind == "iam" else env_for(kind, url, tmp_path)
    for name in ENV_NAMES:
        setattr(settings, name, env.get(name, ""))


def last_lookup() -> Lookup:
    return Lookup.objects.order_by("-id").first()


@pytest.mark.parametrize("kind", KINDS)
def test_each_credential_kind_serves_images(kind, iam, settings, client, tmp_path):
    configure(settings, kind, iam.url, tmp_path)
    page = client.get(DETAIL)
    assert page.status_code == 200
    assert "ubuntu-24-04-lts" in page.content.decode()
    authorization = iam.log.requests[-1]["authorization"]
    token_calls = iam.hits(IAM_TOKENS_PATH) + iam.hits(METADATA_TOKEN_PATH)
    if kind == "iam":
        assert authorization == "Bearer t1.test.emulator-token" and token_calls == 0
    else:
        assert authorization == f"Bearer {compute_client().credentials.token()}"
        assert token_calls == 1
    assert last_lookup().outcome == "found"


@pytest.mark.parametrize("kind", KINDS)
def test_the_about_page_shows_the_credential_but_not_the_token(
    kind, iam, settings, client, tmp_path
):
    configure(settings, kind, iam.url, tmp_path)
    client.get(DETAIL)
    page = client.get("/about/")
    assert page.status_code == 200
    text = page.content.decode()
    credentials = compute_client().credentials
    label = {
        "iam": "IAM token",
        "oauth": "OAuth token",
        "key_file": "Service-account authorized key",
        "key_inline": "Service-account authorized key",
        "metadata": "VM metadata service",
    }[kind]
    assert label in text
    assert iam.url in text
    assert "worker process" in text
    assert credentials.token() not in text
    if kind != "iam":
        assert credentials.expires_at.strftime("%Y-%m-%d %H:%M:%S") in text


def test_the_about_page_shows_the_last_upstream_error(iam, settings, client, tmp_path):
    configure(settings, "oauth", iam.url, tmp_path)
    iam.app.oauth_tokens = frozenset({"y0_another"})
    client.get(DETAIL)
    text = client.get("/about/").content.decode()
    assert "the IAM endpoint refused the token request" in text
    assert "HTTP 401" in text
    assert OAUTH_TOKEN not in text


def test_no_credentials_is_an_operator_problem_and_sends_nothing(emulator, settings, client):
    for name in ENV_NAMES:
        setattr(settings, name, "")
    page = client.get(DETAIL)
    assert page.status_code == 503
    assert "No Yandex Cloud credentials configured" in page.content.decode()
    assert "YC_SERVICE_ACCOUNT_KEY_FILE" in page.content.decode()
    lookup = last_lookup()
    assert lookup.outcome == "unauthenticated" and lookup.upstream_status is None
    about = client.get("/about/").content.decode()
    assert "None configured" in about and "No Yandex Cloud credentials are configured" in about
    assert emulator.log.requests == []


def test_a_refused_token_request_is_the_credentials_page(iam, settings, client, tmp_path):
    configure(settings, "oauth", iam.url, tmp_path)
    iam.app.oauth_tokens = frozenset({"y0_another"})
    page = client.get(DETAIL)
    assert page.status_code == 502
    assert "credentials were rejected" in page.content.decode()
    assert last_lookup().outcome == "unauthenticated"
    assert iam.hits(f"/compute/v1/images/{IMAGE_ID}") == 0


@pytest.mark.parametrize("kind", ["oauth", "key_file", "metadata"])
def test_compute_refusing_a_renewed_token_is_unauthenticated_not_not_found(
    kind, iam, settings, client, tmp_path
):
    compute = RequestLog(Emulator(tokens=frozenset()))
    server, compute_url = serve_in_thread(compute)
    try:
        configure(settings, kind, iam.url, tmp_path)
        settings.YC_COMPUTE_ENDPOINT = compute_url
        page = client.get(DETAIL)
    finally:
        server.shutdown()
    assert page.status_code == 502
    assert "credentials were rejected" in page.content.decode()
    lookup = last_lookup()
    assert lookup.outcome == "unauthenticated" and lookup.upstream_status == 401
    assert len(compute.requests) == 2  # one refresh, one retry
    assert iam.hits(IAM_TOKENS_PATH) + iam.hits(METADATA_TOKEN_PATH) == 2


@pytest.mark.parametrize("kind", ["oauth", "metadata"])
def test_an_unreachable_token_endpoint_is_unavailable(kind, emulator, settings, client, tmp_path):
    configure(settings, kind, "http://127.0.0.1:9", tmp_path)
    page = client.get(DETAIL)
    assert page.status_code == 503
    assert last_lookup().outcome == "unavailable"
    assert emulator.log.requests == []


@pytest.mark.parametrize("kind", ["oauth", "metadata"])
def test_a_slow_token_endpoint_is_a_timeout(kind, iam, settings, client, tmp_path):
    iam.app.token_delay_s = 1.0
    settings.IMAGEDASH_READ_TIMEOUT_S = 0.3
    configure(settings, kind, iam.url, tmp_path)
    page = client.get(DETAIL)
    assert page.status_code == 504
    assert last_lookup().outcome == "timeout"


@pytest.mark.parametrize("kind", ["oauth", "key_inline"])
def test_no_secret_in_pages_logs_or_history(kind, iam, settings, client, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    configure(settings, kind, iam.url, tmp_path)
    pages = [client.get(DETAIL), client.get(f"/images/{IMAGE_ID}/status/")]
    first = compute_client().credentials.token()
    iam.app.revoke(first)  # a 401, a renewal and a retry
    pages.append(client.get("/images/fd85s1nlcavgdpc16hj3/"))
    iam.app.oauth_tokens = frozenset()  # then IAM refuses everything
    iam.app.service_account_keys = {}
    iam.app.revoke(compute_client().credentials.token())
    pages += [
        client.get("/images/fd864gbboths76r8gm5f/"),
        client.get("/history/"),
        client.get("/about/"),
        client.get("/"),
    ]
    assert [p.status_code for p in pages] == [200, 200, 200, 502, 200, 200, 200]

    issued = {r["authorization"].removeprefix("Bearer ") for r in iam.log.requests}
    issued.discard("")
    assert len(issued) >= 2
    secrets = {OAUTH_TOKEN, *issued}
    key_body = pem_body(authorized_key())
    seen = "\n".join(p.content.decode() for p in pages)
    seen += "\n" + caplog.text + "\n" + serializers.serialize("json", Lookup.objects.all())
    error = compute_client().last_error
    seen += f"\n{error}\n{error!r}\n{compute_client().credentials!r}"
    assert "refused the token request" in seen  # the error is shown, only without secrets
    assert "iam/v1/tokens" in caplog.text  # and the token calls were logged
    for secret in secrets:
        assert secret not in seen
    for start in range(0, len(key_body) - 32, 32):
        assert key_body[start : start + 32] not in seen
    assert "PRIVATE KEY" not in seen


def test_the_about_page_is_for_staff_only(emulator, new_browser):
    teammate = new_browser()  # signed in, not staff
    assert teammate.get("/about/").status_code == 403
