"""The emulator's WSGI application."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt

from imagedash.emulator.demo import DemoImages
from imagedash.emulator.faults import Faults

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "images"
_IMAGE_PATH = re.compile(r"/compute/v1/images/(?P<image_id>[^/]*)")
_VALID_ID = re.compile(r"[a-z0-9]{1,50}")
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_GRPC_FOR_STATUS = {
    403: (7, "Permission denied"),
    404: (5, "Not found"),
    429: (8, "Request limit exceeded"),
    503: (14, "Service is unavailable"),
    504: (4, "Deadline exceeded"),
    500: (13, "Internal error"),
}

IAM_TOKENS_PATH = "/iam/v1/tokens"
METADATA_TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"  # noqa: S105
JWT_AUDIENCE = "https://iam.api.cloud.yandex.net/iam/v1/tokens"
DEFAULT_TOKEN_LIFETIME_S = 12 * 3600.0

StartResponse = Callable[..., Any]


def load_fixtures(directory: Path = FIXTURES) -> dict[str, bytes]:
    """The fixture files' bytes by image id, served exactly as stored."""
    images = {}
    for path in sorted(directory.glob("*.json")):
        body = path.read_bytes()
        images[json.loads(body)["id"]] = body
    return images


class Emulator:
    def __init__(
        self,
        *,
        images: dict[str, bytes] | None = None,
        demo: DemoImages | None = None,
        tokens: frozenset[str] | None = None,
        faults: Faults | None = None,
        oauth_tokens: frozenset[str] | None = None,
        service_account_keys: dict[str, tuple[str, str]] | None = None,
        token_lifetime_s: float = DEFAULT_TOKEN_LIFETIME_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.images = load_fixtures() if images is None else images
        self.demo = DemoImages() if demo is None else demo
        # None accepts any bearer token that IAM did not issue, as demo mode needs; a set
        # accepts only those. Tokens IAM issued are accepted until they expire or are revoked.
        self.tokens = tokens
        self.faults = Faults() if faults is None else faults
        # IAM: None exchanges any OAuth token; JWTs are checked against these public keys,
        # key id -> (service account id, PEM public key), as in an authorized-key file.
        self.oauth_tokens = oauth_tokens
        self.service_account_keys = dict(service_account_keys or {})
        self.token_lifetime_s = token_lifetime_s
        self.token_delay_s = 0.0  # how long IAM and the metadata service take to answer
        self._clock = clock
        self._issued: dict[str, float] = {}
        self._lock = threading.Lock()
        self.image_gets = 0

    def issue_token(self) -> tuple[str, float]:
        """A new IAM token and when it expires (on the emulator's clock)."""
        token = f"t1.{secrets.token_urlsafe(24)}.{secrets.token_urlsafe(64)}"
        expires = self._clock() + self.token_lifetime_s
        with self._lock:
            self._issued[token] = expires
        return token, expires

    def revoke(self, token: str) -> None:
        with self._lock:
            self._issued[token] = 0.0

    def reset_tokens(self) -> None:
        with self._lock:
            self._issued.clear()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/emulator/"):
            return self._admin(environ, start_response)
        request_id = str(uuid.uuid4())
        if path == IAM_TOKENS_PATH:
            return _respond(start_response, *self._iam_token(environ, request_id), request_id)
        if path == METADATA_TOKEN_PATH:
            return _respond(start_response, *self._metadata_token(environ), request_id)
        match = _IMAGE_PATH.fullmatch(path)
        if match is None or environ.get("REQUEST_METHOD") != "GET":
            status, body = _route_error(match, request_id)
            return _respond(start_response, status, body, request_id)
        with self._lock:
            self.image_gets += 1
        image_id = match["image_id"]
        fault = self.faults.take(image_id)
        if fault.get("latency"):
            time.sleep(float(fault["latency"]))
        if fault.get("reset"):
            return _reset(environ, start_response)
        status, body = self._image(environ, image_id, fault.get("status"))
        if status.startswith("200"):
            return self._faulty_ok(start_response, body, fault, request_id)
        return _respond(start_response, status, body, request_id)

    def _image(
        self, environ: dict[str, Any], image_id: str, forced: int | None
    ) -> tuple[str, bytes | dict]:
        request_id = ""
        if forced and forced != 200:
            code, message = _GRPC_FOR_STATUS.get(forced, (2, "Unknown error"))
            return _error(forced, code, message, request_id)
        if not self._authorized(environ.get("HTTP_AUTHORIZATION", "")):
            return _error(401, 16, "Token is invalid or has expired.", request_id)
        if not _VALID_ID.fullmatch(image_id):
            return _error(
                400, 3, "Request validation error: image_id: invalid resource id", request_id
            )
        if image_id in self.images:
            return "200 OK", self.images[image_id]
        demo = self.demo.get(image_id)
        if demo is not None:
            return "200 OK", json.dumps(demo).encode()
        return _error(404, 5, f"Image {image_id} not found", request_id)

    def _faulty_ok(
        self, start_response: StartResponse, body: bytes, fault: dict[str, Any], request_id: str
    ) -> Iterable[bytes]:
        if fault.get("html"):
            page = b"<html><head><title>Bad gateway</title></head><body><h1>Bad gateway</h1>"
            return _respond(
                start_response,
                _status_line(int(fault["html"])),
                page,
                request_id,
                content_type="text/html",
            )
        if fault.get("empty"):
            return _respond(start_response, "200 OK", b"", request_id)
        if fault.get("truncated"):
            return _respond(start_response, "200 OK", body[: len(body) // 2], request_id)
        if fault.get("oversized"):
            size = int(fault["oversized"])
            headers = [("Content-Type", "application/json"), ("x-request-id", request_id)]
            if fault.get("declare_length"):
                headers.append(("Content-Length", str(size)))
            start_response("200 OK", headers)
            return _oversized(size)
        if fault.get("trickle"):
            start_response(
                "200 OK",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    ("x-request-id", request_id),
                ],
            )
            return _trickle(body, float(fault["trickle"]))
        return _respond(start_response, "200 OK", body, request_id)

    def _authorized(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return False
        with self._lock:
            expires = self._issued.get(token)
        if expires is not None:
            return self._clock() < expires
        return self.tokens is None or token in self.tokens

    def _iam_token(self, environ: dict[str, Any], request_id: str) -> tuple[str, dict]:
        """`POST /iam/v1/tokens` with `yandexPassportOauthToken` or `jwt`."""
        if environ.get("REQUEST_METHOD") != "POST":
            return _error(501, 12, "Method not allowed", request_id)
        time.sleep(self.token_delay_s)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length))
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error(400, 3, "Request body is not valid JSON", request_id)
        oauth, signed = body.get("yandexPassportOauthToken"), body.get("jwt")
        if isinstance(oauth, str) and oauth:
            if self.oauth_tokens is not None and oauth not in self.oauth_tokens:
                return _error(401, 16, "The token is invalid", request_id)
        elif isinstance(signed, str) and signed:
            problem = self._jwt_problem(signed)
            if problem:
                return _error(401, 16, problem, request_id)
        else:
            return _error(400, 3, "yandexPassportOauthToken or jwt is required", request_id)
        token, expires = self.issue_token()
        return "200 OK", {"iamToken": token, "expiresAt": _rfc3339_nanos(expires)}

    def _jwt_problem(self, signed: str) -> str:
        try:
            header = jwt.get_unverified_header(signed)
        except jwt.InvalidTokenError:
            return "JWT is malformed"
        key = self.service_account_keys.get(str(header.get("kid")))
        if key is None or header.get("typ") != "JWT":
            return "Unknown key id or JWT type"
        service_account_id, public_key = key
        try:
            claims = jwt.decode(
                signed,
                public_key,
                algorithms=["PS256"],
                audience=JWT_AUDIENCE,
                issuer=service_account_id,
                options={"require": ["iss", "aud", "iat", "exp"]},
            )
        except jwt.InvalidTokenError as error:
            return f"JWT is invalid: {type(error).__name__}"
        if claims["exp"] - claims["iat"] > 3600:
            return "JWT lifetime exceeds one hour"
        return ""

    def _metadata_token(self, environ: dict[str, Any]) -> tuple[str, dict]:
        if environ.get("REQUEST_METHOD") != "GET":
            return _error(501, 12, "Method not allowed", "")
        if environ.get("HTTP_METADATA_FLAVOR") != "Google":
            return _error(403, 7, "Missing Metadata-Flavor: Google header", "")
        time.sleep(self.token_delay_s)
        token, expires = self.issue_token()
        lifetime = round(expires - self._clock())
        return "200 OK", {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"}

    def _admin(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if path == "/emulator/stats":
            return _respond(start_response, "200 OK", {"imageGets": self.image_gets}, "")
        if path == "/emulator/stats/reset" and method == "POST":
            with self._lock:
                self.image_gets = 0
            return _respond(start_response, "200 OK", {"imageGets": 0}, "")
        if path != "/emulator/faults":
            return _respond(start_response, "404 Not Found", {"error": "no such admin path"}, "")
        if method == "DELETE":
            self.faults.clear()
        elif method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                request = json.loads(environ["wsgi.input"].read(length) or b"{}")
                self.faults.set(str(request.get("image_id", "*")), dict(request["fault"]))
            except (ValueError, KeyError, TypeError) as error:
                return _respond(start_response, "400 Bad Request", {"error": str(error)}, "")
        return _respond(start_response, "200 OK", {"faults": self.faults.snapshot()}, "")


def _status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Error')}"


def _error(status: int, code: int, message: str, request_id: str) -> tuple[str, dict]:
    return _status_line(status), {
        "code": code,
        "message": message,
        "details": [
            {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": request_id}
        ],
    }


def _route_error(match: re.Match | None, request_id: str) -> tuple[str, dict]:
    if match is None:
        return _error(404, 5, "Not Found", request_id)
    return _error(501, 12, "Method not allowed", request_id)


def _respond(
    start_response: StartResponse,
    status: str,
    body: bytes | dict,
    request_id: str,
    content_type: str = "application/json",
) -> list[bytes]:
    request_id = request_id or str(uuid.uuid4())
    if isinstance(body, dict):
        for detail in body.get("details", ()):
            detail["requestId"] = detail.get("requestId") or request_id
        body = json.dumps(body).encode()
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("x-request-id", request_id),
            ("x-server-trace-id", f"{uuid.uuid4().hex[:16]}:{uuid.uuid4().hex[:16]}:1"),
        ],
    )
    return [body]


def _trickle(body: bytes, interval: float) -> Iterator[bytes]:
    for index in range(len(body)):
        yield body[index : index + 1]
        time.sleep(interval)


def _oversized(size: int) -> Iterator[bytes]:
    head = b'{"id": "oversized", "description": "'
    yield head
    remaining = size - len(head)
    chunk = b"x" * 65536
    while remaining > 0:
        yield chunk[: min(remaining, len(chunk))]
        remaining -= len(chunk)


def _reset(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    """Drop the connection, answering nothing (the server's own writes then fail)."""
    sock = environ.get("gunicorn.socket") or environ.get("emulator.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    start_response("500 Internal Server Error", [("Content-Length", "0")])
    return []


def _rfc3339_nanos(moment: float) -> str:
    """As IAM writes `expiresAt`: nanosecond digits, `Z`."""
    whole = datetime.fromtimestamp(int(moment), UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{whole}.{int(moment % 1 * 1e9):09d}Z"


def read_public_keys(paths: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Key id -> (service account id, public key) from authorized-key JSON files."""
    keys = {}
    for path in paths:
        data = json.loads(Path(path).read_text())
        keys[data["id"]] = (data["service_account_id"], data["public_key"])
    return keys


def _set_of(name: str) -> frozenset[str] | None:
    text = os.environ.get(name, "").strip()
    return frozenset(t.strip() for t in text.split(",") if t.strip()) if text else None


def from_environment() -> Emulator:
    transition = float(os.environ.get("EMULATOR_DEMO_TRANSITION_S", "20"))
    key_files = os.environ.get("EMULATOR_SERVICE_ACCOUNT_KEYS", "").split(",")
    return Emulator(
        demo=DemoImages(transition_seconds=transition),
        tokens=_set_of("EMULATOR_TOKENS"),
        faults=Faults.from_json(os.environ.get("EMULATOR_FAULTS", "")),
        oauth_tokens=_set_of("EMULATOR_OAUTH_TOKENS"),
        service_account_keys=read_public_keys(p.strip() for p in key_files if p.strip()),
        token_lifetime_s=float(
            os.environ.get("EMULATOR_TOKEN_LIFETIME_S", str(DEFAULT_TOKEN_LIFETIME_S))
        ),
    )


# For `gunicorn imagedash.emulator.app:application`.
application = from_environment()
