"""The emulator's WSGI application."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from imagedash.emulator.demo import DemoImages

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "images"
_IMAGE_PATH = re.compile(r"/compute/v1/images/(?P<image_id>[^/]*)")
_VALID_ID = re.compile(r"[a-z0-9]{1,50}")

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
    ) -> None:
        self.images = load_fixtures() if images is None else images
        self.demo = DemoImages() if demo is None else demo
        # None accepts any bearer token, as demo mode needs; a set accepts only those.
        self.tokens = tokens
        self.requests_served = 0

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
        if scheme.lower() != "bearer" or not token.strip():
            return False
        return self.tokens is None or token.strip() in self.tokens


def _error(status: str, code: int, message: str, request_id: str) -> tuple[str, dict]:
    return status, {
        "code": code,
        "message": message,
        "details": [
            {"@type": "type.googleapis.com/google.rpc.RequestInfo", "requestId": request_id}
        ],
    }


def from_environment() -> Emulator:
    tokens = os.environ.get("EMULATOR_TOKENS", "").strip()
    transition = float(os.environ.get("EMULATOR_DEMO_TRANSITION_S", "20"))
    return Emulator(
        demo=DemoImages(transition_seconds=transition),
        tokens=frozenset(t.strip() for t in tokens.split(",") if t.strip()) if tokens else None,
    )


# For `gunicorn imagedash.emulator.app:application`.
application = from_environment()
