"""HTTP client for the Compute API's image calls.

Every call has connect and read timeouts and one wall-clock deadline (retries included), reads at
most `max_body_bytes` of the body, and retries only what is safe to retry: 429, 503, 504,
connection errors and connect timeouts, with exponential backoff and full jitter.
"""

from __future__ import annotations

import json
import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from imagedash.yc.auth import TokenProvider
from imagedash.yc.errors import (
    BadResponse,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unauthenticated,
    Unavailable,
    UpstreamTimeout,
    YcError,
)
from imagedash.yc.images import Image, parse_image

DEFAULT_ENDPOINT = "https://compute.api.cloud.yandex.net"
_IMAGE_ID = re.compile(r"[0-9A-Za-z]{1,50}")
_RETRY_STATUSES = frozenset({429, 503, 504})
_BY_HTTP_STATUS: dict[int, type[YcError]] = {
    400: InvalidArgument,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    429: RateLimited,
    503: Unavailable,
    504: UpstreamTimeout,
}
_BY_GRPC_CODE: dict[int, type[YcError]] = {
    3: InvalidArgument,
    5: NotFound,
    7: PermissionDenied,
    16: Unauthenticated,
    8: RateLimited,
    14: Unavailable,
    4: UpstreamTimeout,
    13: ServerError,
    2: ServerError,
}


@dataclass(frozen=True)
class FetchedImage:
    image: Image
    request_id: str
    http_status: int


class _Retryable(Exception):
    def __init__(self, error: YcError) -> None:
        self.error = error


class ComputeClient:
    def __init__(
        self,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        credentials: TokenProvider,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        deadline: float = 8.0,
        max_attempts: int = 3,
        max_body_bytes: int = 1 << 20,
        pool_size: int = 16,
        user_agent: str = "imagedash",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.credentials = credentials
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.max_attempts = max(1, max_attempts)
        self.max_body_bytes = max_body_bytes
        self._clock = clock
        self._sleep = sleep
        # The last failure of a call, for the operators' page (its message never has the token).
        self.last_error: YcError | None = None
        self.last_error_at: datetime | None = None
        self._session = requests.Session()
        # No proxies or .netrc from the environment: the token goes only where it is configured.
        self._session.trust_env = False
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"User-Agent": user_agent, "Accept": "application/json"})

    def image_get(self, *, image_id: str) -> FetchedImage:
        """`GET /compute/v1/images/{imageId}`."""
        if not _IMAGE_ID.fullmatch(image_id):
            raise InvalidArgument("not a valid image id; nothing was sent")
        url = f"{self.endpoint}/compute/v1/images/{quote(image_id, safe='')}"
        status, body, request_id = self._get(url)
        try:
            image = parse_image(body)
        except BadResponse as error:
            error.http_status, error.request_id = status, request_id
            raise
        if image.id != image_id:
            raise BadResponse(
                "the answer is about a different image", http_status=status, request_id=request_id
            )
        return FetchedImage(image=image, request_id=request_id, http_status=status)

    def close(self) -> None:
        self._session.close()

    # The request loop: one deadline over every attempt.

    def _get(self, url: str) -> tuple[int, Any, str]:
        try:
            return self._get_once(url)
        except (NotFound, InvalidArgument):
            raise  # answers about the image, not trouble with the service
        except YcError as error:
            self.last_error, self.last_error_at = error, datetime.now(UTC)
            raise

    def _get_once(self, url: str) -> tuple[int, Any, str]:
        expires = self._clock() + self.deadline
        client_request_id = str(uuid.uuid4())
        token = self.credentials.token()
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(url, token, client_request_id, expires)
            except Unauthenticated as error:
                if renewed or not self.credentials.refused(token):
                    raise
                renewed = True
                attempt -= 1  # a retry with a renewed token is not a retry of a failure
                token = self.credentials.token()
                last_error: YcError = error
            except _Retryable as retryable:
                last_error = retryable.error
                if attempt >= self.max_attempts:
                    raise last_error from None
                pause = random.uniform(0, min(2.0, 0.1 * 2 ** (attempt - 1)))
                if self._clock() + pause >= expires:
                    raise last_error from None
                self._sleep(pause)
            if self._clock() >= expires:
                raise last_error

    def _attempt(
        self, url: str, token: str, client_request_id: str, expires: float
    ) -> tuple[int, Any, str]:
        remaining = expires - self._clock()
        if remaining <= 0:
            raise UpstreamTimeout(
                f"no answer within the {self.deadline:g} s deadline",
                client_request_id=client_request_id,
            )
        headers = {"Authorization": f"Bearer {token}", "x-client-request-id": client_request_id}
        try:
            response = self._session.get(
                url,
                headers=headers,
                timeout=(min(self.connect_timeout, remaining), min(self.read_timeout, remaining)),
                allow_redirects=False,
                stream=True,
            )
        except requests.ConnectTimeout:
            raise _Retryable(
                UpstreamTimeout(
                    "could not connect to the Compute API in time",
                    client_request_id=client_request_id,
                )
            ) from None
        except requests.ReadTimeout:
            raise UpstreamTimeout(
                "the Compute API did not answer in time", client_request_id=client_request_id
            ) from None
        except requests.ConnectionError:
            raise _Retryable(
                Unavailable("could not reach the Compute API", client_request_id=client_request_id)
            ) from None
        except requests.RequestException as error:
            raise Unavailable(
                f"the request failed: {type(error).__name__}", client_request_id=client_request_id
            ) from None
        with response:
            request_id = response.headers.get("x-request-id", "")
            ids = {"request_id": request_id, "client_request_id": client_request_id}
            raw = self._read_body(response, expires, ids)
            body, problem = _decode_json(raw)
            if isinstance(body, dict) and not request_id:
                request_id = _details_request_id(body)
                ids["request_id"] = request_id
            status = response.status_code
            if 200 <= status < 300:
                if problem:
                    raise BadResponse(problem, http_status=status, **ids)
                return status, body, request_id
            error = _error_for(status, body, problem, ids)
            if token in error.message:
                error.message = f"HTTP {status} (the upstream message quoted the credential)"
                error.args = (error.message,)
            if status in _RETRY_STATUSES:
                raise _Retryable(error)
            raise error

    def _read_body(self, response: requests.Response, expires: float, ids: dict[str, str]) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            raise BadResponse(
                f"response too large (over {self.max_body_bytes} bytes)",
                http_status=response.status_code,
                **ids,
            )
        chunks: list[bytes] = []
        received = 0
        try:
            for chunk in _iter_body(response, expires, self._clock):
                received += len(chunk)
                if received > self.max_body_bytes:
                    raise BadResponse(
                        f"response too large (over {self.max_body_bytes} bytes)",
                        http_status=response.status_code,
                        **ids,
                    )
                chunks.append(chunk)
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
            raise _Retryable(
                Unavailable(
                    "the connection broke while reading the answer",
                    http_status=response.status_code,
                    **ids,
                )
            ) from None
        except requests.exceptions.ContentDecodingError:
            raise BadResponse(
                "the answer could not be decoded", http_status=response.status_code, **ids
            ) from None
        except _DeadlinePassed:
            raise UpstreamTimeout(
                f"the answer did not arrive within the {self.deadline:g} s deadline",
                http_status=response.status_code,
                **ids,
            ) from None
        return b"".join(chunks)


class _DeadlinePassed(Exception):
    pass


def _iter_body(response: requests.Response, expires: float, clock: Callable[[], float]):
    """The body in chunks, never waiting on the socket past `expires` (a trickling server)."""
    sock = _socket_of(response)
    while True:
        remaining = expires - clock()
        if remaining <= 0:
            raise _DeadlinePassed
        if sock is not None:
            sock.settimeout(remaining)
        try:
            chunk = response.raw.read1(16384, decode_content=True)
        except (TimeoutError, ReadTimeoutError):
            raise _DeadlinePassed from None
        except ProtocolError as error:
            raise requests.exceptions.ChunkedEncodingError(error) from None
        except DecodeError as error:
            raise requests.exceptions.ContentDecodingError(error) from None
        if not chunk:
            return
        yield chunk


def _socket_of(response: requests.Response):
    connection = getattr(response.raw, "connection", None)
    return getattr(connection, "sock", None)


def _decode_json(raw: bytes) -> tuple[Any, str]:
    """The decoded body and, when it is not usable JSON, what is wrong with it."""
    if not raw.strip():
        return None, "empty response body"
    try:
        return json.loads(raw), ""
    except (UnicodeDecodeError, ValueError):
        if raw.lstrip()[:1] == b"<":
            return None, "an HTML page instead of JSON"
        return None, "invalid or truncated JSON"


def _details_request_id(body: dict[str, Any]) -> str:
    for detail in body.get("details") or ():
        if isinstance(detail, dict) and isinstance(detail.get("requestId"), str):
            return detail["requestId"]
    return ""


def _error_for(status: int, body: Any, problem: str, ids: dict[str, str]) -> YcError:
    code = body.get("code") if isinstance(body, dict) else None
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message:
        message = f"HTTP {status}" + (f", {problem}" if problem else "")
    error_class = _BY_HTTP_STATUS.get(status) or _BY_GRPC_CODE.get(code or -1)
    if error_class is None:
        error_class = ServerError if status >= 500 and not problem else BadResponse
    return error_class(message, http_status=status, grpc_code=code, **ids)
