"""One upstream call per image however many viewers.

Answers are kept for a short TTL (found: IMAGEDASH_CACHE_TTL_S, not found:
IMAGEDASH_NOT_FOUND_TTL_S) in this process and, with REDIS_URL set, in Redis for every process
and machine; concurrent requests for an id wait for the one call in flight (single-flight, in
process and, through a Redis lock, across processes). Calls go through the circuit breaker.
The warm path, an answer still in this process's cache, touches neither Redis nor the database.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache

from imagedash import yc
from imagedash.images.breaker import CallsPaused, CircuitBreaker
from imagedash.images.caching import cache_call
from imagedash.images.upstream import compute_client
from imagedash.yc.images import thaw


@dataclass(frozen=True)
class Fetch:
    """The answer for one image id: the image, or the error that stood in its place."""

    image_id: str
    fetched: yc.FetchedImage | None
    error: yc.YcError | None
    at: datetime
    duration_ms: int
    # False when this answer came from a cache or from another request's call.
    fresh: bool = True

    @property
    def request_id(self) -> str:
        if self.fetched is not None:
            return self.fetched.request_id
        return self.error.request_id if self.error is not None else ""

    @property
    def http_status(self) -> int | None:
        if self.fetched is not None:
            return self.fetched.http_status
        return self.error.http_status if self.error is not None else None


class _InFlight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Fetch | None = None


class ImageFetcher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[str, tuple[float, Fetch]] = {}  # id -> (expires, epoch s; answer)
        self._in_flight: dict[str, _InFlight] = {}
        self.breaker = _breaker_from_settings()

    def get(self, image_id: str) -> Fetch:
        with self._lock:
            entry = self._cached.get(image_id)
            if entry is not None and entry[0] > time.time():
                return entry[1]
            waiting = self._in_flight.get(image_id)
            if waiting is None:
                mine = self._in_flight[image_id] = _InFlight()
        if waiting is not None:
            # The call in flight ends within its deadline; this request waits no longer.
            waiting.done.wait(settings.IMAGEDASH_DEADLINE_S + 0.5)
            if waiting.result is not None:
                return replace(waiting.result, fresh=False, duration_ms=0)
            return _gave_up(image_id)
        try:
            result = self._fetch_shared(image_id)
            mine.result = result
            return result
        finally:
            with self._lock:
                del self._in_flight[image_id]
            mine.done.set()

    def clear(self) -> None:
        """Forget cached answers and breaker state (settings may have changed)."""
        with self._lock:
            self._cached.clear()
        self.breaker = _breaker_from_settings()

    def _fetch_shared(self, image_id: str) -> Fetch:
        if not settings.REDIS_URL:
            return self._call(image_id)
        shared = _shared_get(f"image:{image_id}")
        if shared is not None:
            self._remember(shared[1], shared[0])
            return shared[1]
        lock_key = f"image-lock:{image_id}"
        if cache_call(cache.add, lock_key, 1, timeout=settings.IMAGEDASH_DEADLINE_S + 1):
            try:
                result = self._call(image_id)
                # A paused breaker is this process's own state, not an answer to share.
                if _ttl(result) == 0 and not isinstance(result.error, CallsPaused):
                    # Not cached, but what the processes waiting on this call get.
                    _shared_put(f"image-failure:{image_id}", result, time.time() + 2)
                return result
            finally:
                cache_call(cache.delete, lock_key)
        # Another process is calling: wait for its answer, within this request's deadline.
        give_up = time.monotonic() + settings.IMAGEDASH_DEADLINE_S + 0.5
        while time.monotonic() < give_up:
            time.sleep(0.02)
            holder_done = not cache_call(cache.get, lock_key)
            for key in (f"image:{image_id}", f"image-failure:{image_id}"):
                shared = _shared_get(key)
                if shared is not None:
                    if key.startswith("image:"):
                        self._remember(shared[1], shared[0])
                    return shared[1]
            if holder_done:
                return self._call(image_id)  # it died, or Redis lost its answer
        return _gave_up(image_id)

    def _call(self, image_id: str) -> Fetch:
        started = time.monotonic()
        at = datetime.now(UTC)
        try:
            self.breaker.before_call()
        except yc.YcError as error:
            return Fetch(image_id, None, error, at, 0)
        failure: yc.YcError | None = None
        try:
            fetched = compute_client().image_get(image_id=image_id)
        except yc.YcError as error:
            # Kept in caches and pages: without the traceback (and the frames it holds).
            failure = error.with_traceback(None)
            result = Fetch(image_id, None, failure, at, _ms_since(started))
        else:
            result = Fetch(image_id, fetched, None, at, _ms_since(started))
        finally:
            self.breaker.after_call(failure)  # also releases a trial call, whatever happened
        ttl = _ttl(result)
        if ttl > 0:
            expires = time.time() + ttl
            self._remember(replace(result, fresh=False, duration_ms=0), expires)
            if settings.REDIS_URL:
                _shared_put(f"image:{image_id}", result, expires)
        return result

    def _remember(self, result: Fetch, expires: float) -> None:
        with self._lock:
            if len(self._cached) >= 4096:
                now = time.time()
                for key in [k for k, (until, _) in self._cached.items() if until <= now]:
                    del self._cached[key]
            self._cached[result.image_id] = (expires, result)


def _breaker_from_settings() -> CircuitBreaker:
    return CircuitBreaker(
        failures=settings.IMAGEDASH_BREAKER_FAILURES,
        cooldown=settings.IMAGEDASH_BREAKER_COOLDOWN_S,
    )


def _ttl(result: Fetch) -> float:
    if result.fetched is not None:
        return settings.IMAGEDASH_CACHE_TTL_S
    if isinstance(result.error, yc.NotFound):
        return settings.IMAGEDASH_NOT_FOUND_TTL_S
    return 0.0


# The Redis copy holds plain data: the raw JSON, or the error's class and fields.
_ERRORS = {
    cls.__name__: cls
    for cls in (
        yc.NotFound,
        yc.PermissionDenied,
        yc.Unauthenticated,
        yc.NotConfigured,
        yc.InvalidArgument,
        yc.RateLimited,
        yc.Unavailable,
        yc.ServerError,
        yc.BadResponse,
        yc.UpstreamTimeout,
        CallsPaused,
    )
}


def _shared_put(key: str, result: Fetch, expires: float) -> None:
    entry: dict[str, Any] = {"at": result.at.timestamp(), "expires": expires}
    if result.fetched is not None:
        entry["image"] = thaw(result.fetched.image.raw)
        entry["request_id"] = result.fetched.request_id
        entry["http_status"] = result.fetched.http_status
    else:
        error = result.error
        entry["error"] = [
            type(error).__name__,
            error.message,
            error.http_status,
            error.grpc_code,
            error.request_id,
        ]
    cache_call(cache.set, key, entry, timeout=max(1, round(expires - time.time())))


def _shared_get(key: str) -> tuple[float, Fetch] | None:
    entry = cache_call(cache.get, key)
    if not isinstance(entry, dict) or entry.get("expires", 0) <= time.time():
        return None
    image_id = key.partition(":")[2]
    at = datetime.fromtimestamp(entry["at"], UTC)
    if "image" in entry:
        fetched = yc.FetchedImage(
            image=yc.parse_image(entry["image"]),
            request_id=entry["request_id"],
            http_status=entry["http_status"],
        )
        return entry["expires"], Fetch(image_id, fetched, None, at, 0, fresh=False)
    name, message, http_status, grpc_code, request_id = entry["error"]
    error = _ERRORS.get(name, yc.Unavailable)(
        message, http_status=http_status, grpc_code=grpc_code, request_id=request_id
    )
    return entry["expires"], Fetch(image_id, None, error, at, 0, fresh=False)


def _gave_up(image_id: str) -> Fetch:
    error = yc.UpstreamTimeout(
        f"no answer within the {settings.IMAGEDASH_DEADLINE_S:g} s deadline "
        "(waiting for another request's call)"
    )
    return Fetch(image_id, None, error, datetime.now(UTC), 0, fresh=False)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


image_fetcher = ImageFetcher()
