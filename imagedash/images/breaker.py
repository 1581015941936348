"""A per-process circuit breaker for calls to Yandex Cloud.

It counts consecutive failed calls (a call is one fetch of an id, retries included). After
`failures` of them it opens for `cooldown` seconds, during which nothing is sent; then a single
trial call decides whether it closes again or stays open for another cool-down.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from imagedash import yc


class CallsPaused(yc.Unavailable):
    """The breaker is open: the dashboard did not call Yandex Cloud."""


def is_failure(error: yc.YcError | None) -> bool:
    """Timeouts, connection errors, 5xx and unreadable answers count; any other answer,
    4xx included, shows that the service is there."""
    return error is not None and error.is_outage and not isinstance(error, yc.RateLimited)


class CircuitBreaker:
    def __init__(
        self, *, failures: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._open_until: float | None = None
        self._trial_in_flight = False

    def before_call(self) -> None:
        """Raise `CallsPaused` unless a call may go out now."""
        with self._lock:
            if self._open_until is None:
                return
            if self._clock() < self._open_until or self._trial_in_flight:
                raise CallsPaused(
                    "the dashboard paused its calls to Yandex Cloud after repeated failures"
                )
            self._trial_in_flight = True

    def after_call(self, error: yc.YcError | None) -> None:
        with self._lock:
            self._trial_in_flight = False
            if not is_failure(error):
                self._consecutive = 0
                self._open_until = None
                return
            self._consecutive += 1
            if self._open_until is not None or self._consecutive >= self.failures:
                self._open_until = self._clock() + self.cooldown

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._open_until is not None
