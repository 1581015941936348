"""One upstream call per image however many viewers: a short-lived result cache in front of the
client, and single-flight so that concurrent requests for an id wait for one call."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from imagedash.images.upstream import compute_client
from imagedash.yc import FetchedImage, NotFound, YcError


@dataclass(frozen=True)
class Fetch:
    """The answer for one image id: the image, or the error that stood in its place."""

    image_id: str
    fetched: FetchedImage | None
    error: YcError | None
    at: datetime
    duration_ms: int
    # False when this answer came from the cache or from another request's call in flight.
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
        self._cached: dict[str, tuple[float, Fetch]] = {}
        self._in_flight: dict[str, _InFlight] = {}

    def get(self, image_id: str) -> Fetch:
        now = time.monotonic()
        with self._lock:
            entry = self._cached.get(image_id)
            if entry is not None and entry[0] > now:
                return _not_fresh(entry[1])
            waiting = self._in_flight.get(image_id)
            if waiting is None:
                mine = self._in_flight[image_id] = _InFlight()
        if waiting is not None:
            waiting.done.wait(settings.IMAGEDASH_DEADLINE_S + 1)
            if waiting.result is not None:
                return _not_fresh(waiting.result)
            return self.get(image_id)
        try:
            result = _call(image_id)
            mine.result = result
            ttl = _ttl(result)
            with self._lock:
                if ttl > 0:
                    self._cached[image_id] = (time.monotonic() + ttl, result)
                    if len(self._cached) > 4096:
                        self._evict_expired()
            return result
        finally:
            with self._lock:
                del self._in_flight[image_id]
            mine.done.set()

    def clear(self) -> None:
        with self._lock:
            self._cached.clear()

    def _evict_expired(self) -> None:
        now = time.monotonic()
        for key in [key for key, (expires, _) in self._cached.items() if expires <= now]:
            del self._cached[key]


def _call(image_id: str) -> Fetch:
    started = time.monotonic()
    at = timezone.now()
    try:
        fetched = compute_client().image_get(image_id=image_id)
    except YcError as error:
        return Fetch(image_id, None, error, at, _ms_since(started))
    return Fetch(image_id, fetched, None, at, _ms_since(started))


def _ttl(result: Fetch) -> float:
    if result.fetched is not None:
        return settings.IMAGEDASH_CACHE_TTL_S
    if isinstance(result.error, NotFound):
        return settings.IMAGEDASH_NOT_FOUND_TTL_S
    return 0.0


def _not_fresh(result: Fetch) -> Fetch:
    return Fetch(result.image_id, result.fetched, result.error, result.at, 0, fresh=False)


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


image_fetcher = ImageFetcher()
