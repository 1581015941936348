"""The client against the emulator and against a misbehaving server, over real HTTP."""

from __future__ import annotations

import json

import pytest

from imagedash.yc import (
    BadResponse,
    ComputeClient,
    InvalidArgument,
    NoCredentials,
    NotConfigured,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    StaticToken,
    Unauthenticated,
    Unavailable,
    UpstreamTimeout,
)
from tests.fakes import ScriptedServer

TOKEN = "t1.test.client-token"


@pytest.fixture
def client(emulator) -> ComputeClient:
    return ComputeClient(endpoint=emulator.url, credentials=StaticToken(TOKEN))


@pytest.fixture
def scripted():
    server = ScriptedServer()
    yield server
    server.close()


def scripted_client(server: ScriptedServer, **options) -> ComputeClient:
    options.setdefault("sleep", lambda seconds: None)
    return ComputeClient(endpoint=server.url, credentials=StaticToken(TOKEN), **options)


def test_it_gets_an_image_with_its_request_id(client, emulator):
    fetched = client.image_get(image_id="fd85u0rct32prepgjlv0")
    assert fetched.image.name == "ubuntu-22-04-lts-v20240311"
    assert fetched.image.pooled is True
    assert fetched.http_status == 200
    assert len(fetched.request_id) == 36
    [request] = emulator.log.requests
    assert request["path"] == "/compute/v1/images/fd85u0rct32prepgjlv0"
    assert request["authorization"] == f"Bearer {TOKEN}"
    assert request["client_request_id"]


def test_404_is_not_found_with_message_and_request_id(client):
    with pytest.raises(NotFound) as caught:
        client.image_get(image_id="fd8doesnotexist00000")
    error = caught.value
    assert error.http_status == 404 and error.grpc_code == 5
    assert "not found" in error.message
    assert error.request_id


def test_401_without_a_valid_token_is_unauthenticated(emulator):
    emulator.app.tokens = frozenset({"t1.the.right-one"})
    client = ComputeClient(endpoint=emulator.url, credentials=StaticToken("t1.the.wrong-one"))
    with pytest.raises(Unauthenticated) as caught:
        client.image_get(image_id="fd85u0rct32prepgjlv0")
    assert caught.value.grpc_code == 16
    assert caught.value.message == "Token is invalid or has expired."
    assert len(emulator.log.requests) == 1  # a static token is not renewable: no retry


def test_400_is_invalid_argument(client):
    with pytest.raises(InvalidArgument) as caught:
        client.image_get(image_id="A" * 50)
    assert caught.value.http_status == 400 and caught.value.grpc_code == 3


def test_no_credentials_sends_nothing(emulator):
    client = ComputeClient(endpoint=emulator.url, credentials=NoCredentials())
    with pytest.raises(NotConfigured):
        client.image_get(image_id="fd85u0rct32prepgjlv0")
    assert emulator.log.requests == []


@pytest.mark.parametrize(
    "image_id", ["../instances/x", "%2e%2e%2f", "a?b", "a#b", "//host", "a\\b", "", "a" * 51]
)
def test_an_id_that_could_escape_the_url_is_never_sent(emulator, client, image_id):
    with pytest.raises(InvalidArgument):
        client.image_get(image_id=image_id)
    assert emulator.log.requests == []


def test_the_real_unauthenticated_body_keeps_its_request_id(scripted):
    body = (
        b'{"code": 16, "message": "Token is invalid or has expired.", "details": [{"@type": '
        b'"type.googleapis.com/google.rpc.RequestInfo", "requestId": "e38e71c3-adc6"}]}'
    )
    scripted.answer(401, body)
    with pytest.raises(Unauthenticated) as caught:
        scripted_client(scripted).image_get(image_id="fd8x")
    assert caught.value.request_id == "e38e71c3-adc6"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (502, b"<html><body>502 Bad Gateway</body></html>", "text/html", BadResponse),
        (200, b"", "application/json", BadResponse),
        (200, b'{"id": "fd8x", "name": "trunc', "application/json", BadResponse),
        (200, b"<!doctype html><p>login</p>", "text/html", BadResponse),
        (200, b'{"name": "no id"}', "application/json", BadResponse),
        (200, b"[1, 2]", "application/json", BadResponse),
        (403, b'{"code": 7, "message": "Permission denied"}', "application/json", PermissionDenied),
        (500, b'{"code": 13, "message": "Internal error"}', "application/json", ServerError),
        (302, b"", "text/html", BadResponse),
        (409, b"", "text/plain", BadResponse),
    ],
)
def test_failures_map_to_typed_errors(scripted, status, body, content_type, expected):
    scripted.answer(status, body, content_type)
    with pytest.raises(expected) as caught:
        scripted_client(scripted).image_get(image_id="fd8x")
    assert caught.value.http_status == status
    assert scripted.hits == 1


@pytest.mark.parametrize(
    ("status", "expected"), [(429, RateLimited), (503, Unavailable), (504, UpstreamTimeout)]
)
def test_retryable_statuses_are_tried_three_times(scripted, status, expected):
    scripted.answer(status, json.dumps({"code": 14, "message": "try later"}).encode())
    with pytest.raises(expected):
        scripted_client(scripted).image_get(image_id="fd8x")
    assert scripted.hits == 3


def test_a_different_image_in_the_answer_is_a_bad_response(scripted):
    scripted.answer(200, b'{"id": "fd8other"}')
    with pytest.raises(BadResponse):
        scripted_client(scripted).image_get(image_id="fd8x")


def test_an_oversized_body_is_refused(scripted):
    scripted.answer(200, b'{"id": "fd8x", "description": "' + b"x" * 5000 + b'"}')
    with pytest.raises(BadResponse, match="too large"):
        scripted_client(scripted, max_body_bytes=1024).image_get(image_id="fd8x")


def test_nothing_listening_is_unavailable():
    client = ComputeClient(
        endpoint="http://127.0.0.1:9", credentials=StaticToken(TOKEN), sleep=lambda s: None
    )
    with pytest.raises(Unavailable):
        client.image_get(image_id="fd8x")


def test_an_upstream_message_quoting_the_token_is_not_repeated(scripted):
    scripted.answer(401, f'{{"code": 16, "message": "Token Bearer {TOKEN} is invalid"}}'.encode())
    with pytest.raises(Unauthenticated) as caught:
        scripted_client(scripted).image_get(image_id="fd8x")
    assert TOKEN not in caught.value.message and TOKEN not in str(caught.value)
    assert "HTTP 401" in caught.value.message
