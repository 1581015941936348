"""The emulator's WSGI application."""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt

from imagedash.emulator.demo import DemoImages

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "images"
_IMAGE_PATH = re.compile(r"/compute/v1/images/(?P<image_id>[^/]*)")
_VALID_ID = re.compile(r"[a-z0-9]{1,50}")
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
        # IAM: None exchanges any OAuth token; JWTs are checked against these public keys,
        # key id -> (service account id, PEM public key), as in an authorized-key file.
        self.oauth_tokens = oauth_tokens
        self.service_account_keys = dict(service_account_keys or {})
        self.token_lifetime_s = token_lifetime_s
        self.token_delay_s = 0.0  # how long IAM and the metadata service take to answer
        self._clock = clock
        self._issued: dict[str, float] = {}
        self._lock = threading.Lock()
        self.requests_served = 0

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
        self.requests_served += 1
        request_id = str(uuid.uuid4())
        status, body = self._route(environ, request_id)
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        start_response(
            status,
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(payload))),
                ("x-request-id", request_id),
                ("x-server-trace-id", uuid.uuid4().hex[:16] + ":" + uuid.uuid4().hex[:16] + ":1"),
            ],
        )
        return [payload]

    def _route(self, environ: dict[str, Any], request_id: str) -> tuple[str, bytes | dict]:
        path = environ.get("PATH_INFO", "")
        if path == IAM_TOKENS_PATH:
            return self._iam_token(environ, request_id)
        if path == METADATA_TOKEN_PATH:
            return self._metadata_token(environ, request_id)
        match = _IMAGE_PATH.fullmatch(path)
        if match is None:
            return _error("404 Not Found", 5, "Not Found", request_id)
        if environ.get("REQUEST_METHOD") != "GET":
            return _error("501 Not Implemented", 12, "Method not allowed", request_id)
        if not self._authorized(environ.get("HTTP_AUTHORIZATION", "")):
            return _error("401 Unauthorized", 16, "Token is invalid or has expired.", request_id)
        image_id = match["image_id"]
        if not _VALID_ID.fullmatch(image_id):
            return _error(
                "400 Bad Request",
                3,
                "Request validation error: image_id: invalid resource id",
                request_id,
            )
        if image_id in self.images:
            return "200 OK", self.images[image_id]
        demo = self.demo.get(image_id)
        if demo is not None:
            return "200 OK", demo
        return _error("404 Not Found", 5, f"Image {image_id} not found", request_id)

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
            return _error("501 Not Implemented", 12, "Method not allowed", request_id)
        time.sleep(self.token_delay_s)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length))
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error("400 Bad Request", 3, "Request body is not valid JSON", request_id)
        oauth, signed = body.get("yandexPassportOauthToken"), body.get("jwt")
        if isinstance(oauth, str) and oauth:
            if self.oauth_tokens is not None and oauth not in self.oauth_tokens:
                return _error("401 Unauthorized", 16, "The token is invalid", request_id)
        elif isinstance(signed, str) and signed:
            problem = self._jwt_problem(signed)
            if problem:
                return _error("401 Unauthorized", 16, problem, request_id)
        else:
            return _error(
                "400 Bad Request", 3, "yandexPassportOauthToken or jwt is required", request_id
            )
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

    def _metadata_token(self, environ: dict[str, Any], request_id: str) -> tuple[str, dict]:
        if environ.get("REQUEST_METHOD") != "GET":
            return _error("501 Not Implemented", 12, "Method not allowed", request_id)
        if environ.get("HTTP_METADATA_FLAVOR") != "Google":
            return _error("403 Forbidden", 7, "Missing Metadata-Flavor: Google header", request_id)
        time.sleep(self.token_delay_s)
        token, expires = self.issue_token()
        lifetime = round(expires - self._clock())
        return "200 OK", {"access_token": token, "expires_in": lifetime, "token_type": "Bearer"}


def _error(status: str, code: int, message: str, request_id: str) -> tuple[str, dict]:
    return status, {
        "code": code,
        "message": message,
        "details": [
            {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": request_id}
        ],
    }


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
        oauth_tokens=_set_of("EMULATOR_OAUTH_TOKENS"),
        service_account_keys=read_public_keys(p.strip() for p in key_files if p.strip()),
        token_lifetime_s=float(
            os.environ.get("EMULATOR_TOKEN_LIFETIME_S", str(DEFAULT_TOKEN_LIFETIME_S))
        ),
    )


# For `gunicorn imagedash.emulator.app:application`.
application = from_environment()
