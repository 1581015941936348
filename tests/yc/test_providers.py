"""Each credential provider against the emulator over real HTTP."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import jwt
import pytest

from imagedash.emulator.app import IAM_TOKENS_PATH, METADATA_TOKEN_PATH, Emulator
from imagedash.emulator.server import serve_in_thread
from imagedash.yc import (
    BadResponse,
    ComputeClient,
    StaticToken,
    Unauthenticated,
    Unavailable,
    UpstreamTimeout,
    credentials_from_env,
)
from imagedash.yc.iam import JWT_AUDIENCE, make_jwt, parse_key
from tests.fakes import RequestLog, ScriptedServer
from tests.yc.keys import authorized_key, key_json

IMAGE_ID = "fd8tekibj7eld4eqtaed"
IMAGE_PATH = f"/compute/v1/images/{IMAGE_ID}"
OAUTH_TOKEN = "y0_AgAAAAB-test-oauth-token-0123456789"
KINDS = ["oauth", "key_file", "key_inline", "metadata"]
TOKEN_PATH = {
    "oauth": IAM_TOKENS_PATH,
    "key_file": IAM_TOKENS_PATH,
    "key_inline": IAM_TOKENS_PATH,
    "metadata": METADATA_TOKEN_PATH,
}


def env_for(kind: str, url: str, tmp_path: Path) -> dict[str, str]:
    if kind == "oauth":
        return {"YC_TOKEN": OAUTH_TOKEN, "YC_IAM_ENDPOINT": url}
    if kind == "key_file":
        path = tmp_path / "key.json"
        path.write_text(key_json())
        return {"YC_SERVICE_ACCOUNT_KEY_FILE": str(path), "YC_IAM_ENDPOINT": url}
    if kind == "key_inline":
        return {"YC_SERVICE_ACCOUNT_KEY_FILE": "\n  " + key_json(), "YC_IAM_ENDPOINT": url}
    return {"YC_USE_METADATA": "1", "YC_METADATA_ADDR": url.removeprefix("http://")}


@pytest.fixture
def iam(emulator):
    """The emulator, knowing the test's service-account key."""
    key = authorized_key()
    emulator.app.service_account_keys = {key["id"]: (key["service_account_id"], key["public_key"])}
    return emulator


def make(kind: str, iam, tmp_path: Path, *, timeout=(3.0, 3.0)):
    provider = credentials_from_env(env_for(kind, iam.url, tmp_path), timeout=timeout)
    client = ComputeClient(endpoint=iam.url, credentials=provider, deadline=5.0)
    return provider, client


def bearers(emulator) -> list[str]:
    return [r["authorization"] for r in emulator.log.requests if r["path"] == IMAGE_PATH]


@pytest.mark.parametrize("kind", KINDS)
def test_token_is_obtained_once_and_sent_as_bearer(kind, iam, tmp_path):
    provider, client = make(kind, iam, tmp_path)
    assert iam.hits(TOKEN_PATH[kind]) == 0  # nothing is asked before it is needed

    for _ in range(3):
        assert client.image_get(image_id=IMAGE_ID).image.id == IMAGE_ID

    assert iam.hits(TOKEN_PATH[kind]) == 1
    token = provider.token()
    assert token.startswith("t1.") and token != OAUTH_TOKEN
    assert bearers(iam) == [f"Bearer {token}"] * 3
    assert provider.expires_at is not None
    assert token not in repr(provider)


@pytest.mark.parametrize("kind", KINDS)
def test_token_is_renewed_before_it_expires(kind, iam, tmp_path):
    iam.app.token_lifetime_s = 4.0  # renewed after about 3.6 s
    provider, client = make(kind, iam, tmp_path)
    started = time.monotonic()
    first = provider.token()

    time.sleep(max(0.0, started + 2.5 - time.monotonic()))
    assert provider.token() == first
    assert iam.hits(TOKEN_PATH[kind]) == 1

    time.sleep(max(0.0, started + 3.75 - time.monotonic()))
    client.image_get(image_id=IMAGE_ID)
    assert time.monotonic() - started < 4.0, "too slow to tell renewal from expiry"
    second = provider.token()
    assert second != first
    assert iam.hits(TOKEN_PATH[kind]) == 2
    assert bearers(iam) == [f"Bearer {second}"]


@pytest.mark.parametrize("kind", KINDS)
def test_concurrent_requests_trigger_one_token_request(kind, iam, tmp_path):
    iam.app.token_delay_s = 0.3
    iam.app.token_lifetime_s = 4.0
    provider, client = make(kind, iam, tmp_path)
    results: list[str] = []
    barrier = threading.Barrier(12)

    def lookup() -> None:
        barrier.wait()
        results.append(client.image_get(image_id=IMAGE_ID).image.id)

    def run_all() -> None:
        threads = [threading.Thread(target=lookup) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)

    run_all()
    assert results == [IMAGE_ID] * 12
    assert iam.hits(TOKEN_PATH[kind]) == 1
    first = provider.token()

    # Past the renewal point (3.6 s after the request was sent) but valid: one renewal, and
    # nobody waits for it.
    time.sleep(max(0.0, provider._current.renew_at + 0.05 - time.monotonic()))
    run_all()
    assert len(results) == 24
    assert iam.hits(TOKEN_PATH[kind]) == 2
    assert f"Bearer {first}" in bearers(iam)[12:]
    assert provider.token() != first


@pytest.mark.parametrize("kind", KINDS)
def test_a_refused_token_is_renewed_once_and_the_call_retried_once(kind, iam, tmp_path):
    provider, client = make(kind, iam, tmp_path)
    first = provider.token()
    iam.app.revoke(first)

    assert client.image_get(image_id=IMAGE_ID).image.id == IMAGE_ID

    second = provider.token()
    assert second != first
    assert iam.hits(TOKEN_PATH[kind]) == 2
    assert bearers(iam) == [f"Bearer {first}", f"Bearer {second}"]


@pytest.mark.parametrize("kind", KINDS)
def test_still_refused_after_renewal_is_unauthenticated(kind, iam, tmp_path):
    # Compute elsewhere, which accepts none of this IAM's tokens.
    compute = RequestLog(Emulator(tokens=frozenset()))
    server, compute_url = serve_in_thread(compute)
    try:
        provider = credentials_from_env(env_for(kind, iam.url, tmp_path))
        client = ComputeClient(endpoint=compute_url, credentials=provider)
        with pytest.raises(Unauthenticated) as caught:
            client.image_get(image_id=IMAGE_ID)
    finally:
        server.shutdown()
    assert caught.value.http_status == 401 and caught.value.grpc_code == 16
    assert compute.paths() == [IMAGE_PATH, IMAGE_PATH]
    assert iam.hits(TOKEN_PATH[kind]) == 2
    assert compute.requests[0]["authorization"] != compute.requests[1]["authorization"]


def test_a_static_iam_token_is_sent_as_is_and_a_401_is_not_retried(emulator):
    provider = credentials_from_env({"YC_TOKEN": "t1.abc.def"})
    assert isinstance(provider, StaticToken)
    client = ComputeClient(endpoint=emulator.url, credentials=provider)
    client.image_get(image_id=IMAGE_ID)
    emulator.app.tokens = frozenset({"t1.other.token"})
    with pytest.raises(Unauthenticated):
        client.image_get(image_id=IMAGE_ID)
    assert bearers(emulator) == ["Bearer t1.abc.def"] * 2
    assert emulator.hits(IAM_TOKENS_PATH) == 0


def test_expired_issued_tokens_are_refused_with_the_real_body(emulator):
    emulator.app.token_lifetime_s = 0.3
    token, _ = emulator.app.issue_token()
    client = ComputeClient(endpoint=emulator.url, credentials=StaticToken(token))
    client.image_get(image_id=IMAGE_ID)
    time.sleep(0.4)
    with pytest.raises(Unauthenticated) as caught:
        client.image_get(image_id=IMAGE_ID)
    assert caught.value.grpc_code == 16 and caught.value.http_status == 401
    assert caught.value.request_id


@pytest.mark.parametrize("kind", ["oauth", "key_file"])
def test_failed_renewal_keeps_the_valid_token_then_fails_once_it_expires(kind, iam, tmp_path):
    iam.app.token_lifetime_s = 3.0
    provider, client = make(kind, iam, tmp_path)
    started = time.monotonic()
    first = provider.token()
    # The credential stops working: IAM refuses it from now on.
    iam.app.oauth_tokens = frozenset()
    iam.app.service_account_keys = {}

    time.sleep(max(0.0, started + 2.75 - time.monotonic()))
    for _ in range(5):
        assert client.image_get(image_id=IMAGE_ID).image.id == IMAGE_ID
    assert iam.hits(IAM_TOKENS_PATH) == 2, "renewal is tried once, not once per request"
    assert bearers(iam) == [f"Bearer {first}"] * 5

    time.sleep(max(0.0, started + 3.1 - time.monotonic()))
    with pytest.raises(Unauthenticated) as caught:
        client.image_get(image_id=IMAGE_ID)
    assert caught.value.http_status == 401  # the renewal's error
    assert len(bearers(iam)) == 5, "an expired token was sent"
    assert provider.last_error is caught.value


def test_renewal_is_retried_at_most_once_a_second(iam, tmp_path):
    iam.app.oauth_tokens = frozenset()
    _provider, client = make("oauth", iam, tmp_path)
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            client.image_get(image_id=IMAGE_ID)
    assert iam.hits(IAM_TOKENS_PATH) == 1
    assert bearers(iam) == []
    time.sleep(1.05)
    iam.app.oauth_tokens = None
    assert client.image_get(image_id=IMAGE_ID).image.id == IMAGE_ID
    assert iam.hits(IAM_TOKENS_PATH) == 2


@pytest.mark.parametrize("lifetime", [-1.0, -30.0])
def test_a_token_that_is_already_expired_is_an_error_about_the_clock(lifetime, iam, tmp_path):
    iam.app.token_lifetime_s = lifetime
    _provider, client = make("oauth", iam, tmp_path)
    with pytest.raises(BadResponse, match="clock"):
        client.image_get(image_id=IMAGE_ID)
    assert bearers(iam) == []


def test_a_refused_token_request_is_unauthenticated(iam, tmp_path):
    iam.app.oauth_tokens = frozenset({"y0_some-other-token"})
    provider, _ = make("oauth", iam, tmp_path)
    with pytest.raises(Unauthenticated) as caught:
        provider.token()
    assert caught.value.http_status == 401
    assert OAUTH_TOKEN not in str(caught.value) + repr(caught.value)


def test_a_jwt_signed_by_an_unknown_key_is_refused(iam, tmp_path):
    path = tmp_path / "other.json"
    path.write_text(key_json("other"))
    provider = credentials_from_env(
        {"YC_SERVICE_ACCOUNT_KEY_FILE": str(path), "YC_IAM_ENDPOINT": iam.url}
    )
    with pytest.raises(Unauthenticated):
        provider.token()


def test_the_jwt_header_and_claims():
    key = authorized_key()
    before = int(time.time())
    token = make_jwt(parse_key(key_json()))
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "PS256"
    assert header["kid"] == key["id"]
    assert header["typ"] == "JWT"
    claims = jwt.decode(token, key["public_key"], algorithms=["PS256"], audience=JWT_AUDIENCE)
    assert claims["iss"] == key["service_account_id"]
    assert claims["aud"] == "https://iam.api.cloud.yandex.net/iam/v1/tokens"
    assert before <= claims["iat"] <= time.time() + 1
    assert claims["iat"] < claims["exp"] <= claims["iat"] + 3600
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            token,
            authorized_key("other")["public_key"],
            algorithms=["PS256"],
            audience=JWT_AUDIENCE,
        )


def test_the_jwt_audience_does_not_follow_the_endpoint(iam, tmp_path):
    # The emulator checks aud against the real URL though it is served on 127.0.0.1.
    _provider, client = make("key_file", iam, tmp_path)
    assert client.image_get(image_id=IMAGE_ID).image.id == IMAGE_ID


def test_the_metadata_service_is_asked_with_the_flavor_header(emulator):
    addr = emulator.url.removeprefix("http://")
    provider = credentials_from_env({"YC_USE_METADATA": "yes", "YC_METADATA_ADDR": addr})
    assert provider.token().startswith("t1.")
    assert provider.endpoint == f"http://{addr}{METADATA_TOKEN_PATH}"


@pytest.fixture
def scripted():
    server = ScriptedServer()
    yield server
    server.close()


@pytest.mark.parametrize(
    ("status", "error"),
    [(400, Unauthenticated), (404, Unauthenticated), (500, Unavailable), (503, Unavailable),
     (504, UpstreamTimeout)],
)  # fmt: skip
@pytest.mark.parametrize("kind", ["oauth", "metadata"])
def test_token_endpoint_failures_are_typed(kind, status, error, scripted, tmp_path):
    scripted.answer(status, b'{"code": 3, "message": "nope"}')
    provider = credentials_from_env(env_for(kind, scripted.url, tmp_path))
    with pytest.raises(error) as caught:
        provider.token()
    assert caught.value.http_status == status
    assert scripted.hits == 1


@pytest.mark.parametrize(
    "body", [b"<html>proxy</html>", b'{"iamToken": "t1.a.b"}', b'{"access_token": 1}', b""]
)
@pytest.mark.parametrize("kind", ["oauth", "metadata"])
def test_unreadable_token_answers_are_bad_responses(kind, body, scripted, tmp_path):
    scripted.answer(200, body)
    provider = credentials_from_env(env_for(kind, scripted.url, tmp_path))
    with pytest.raises(BadResponse):
        provider.token()


@pytest.mark.parametrize("kind", ["oauth", "metadata"])
def test_an_unreachable_token_endpoint_is_unavailable(kind, tmp_path):
    provider = credentials_from_env(env_for(kind, "http://127.0.0.1:9", tmp_path))
    with pytest.raises(Unavailable):
        provider.token()


@pytest.mark.parametrize("kind", ["oauth", "metadata"])
def test_a_slow_token_endpoint_times_out(kind, iam, tmp_path):
    iam.app.token_delay_s = 1.0
    _provider, client = make(kind, iam, tmp_path, timeout=(0.5, 0.3))
    with pytest.raises(UpstreamTimeout):
        client.image_get(image_id=IMAGE_ID)
    assert bearers(iam) == []
