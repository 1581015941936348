"""Where the client's bearer token comes from.

A provider hands out a token for each request and can be told that the API refused one, so that
providers able to renew their token (OAuth, service-account keys, VM metadata) can plug in without
the client changing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from imagedash.yc.errors import BadResponse, NotConfigured, YcError


class TokenProvider(Protocol):
    kind: str

    def token(self) -> str:
        """A token to send now; raises a `YcError` when none can be had."""
        ...

    def refused(self, token: str) -> bool:
        """The API answered 401 to `token`. True if a retry with a new token is worthwhile."""
        ...


class StaticToken:
    """An IAM token given as is (`YC_TOKEN`). It cannot be renewed, so a 401 is final."""

    kind = "iam_token"

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self) -> str:
        return self._token

    def refused(self, token: str) -> bool:
        return False

    def __repr__(self) -> str:
        return "StaticToken(<hidden>)"


class NoCredentials:
    kind = "none"

    def token(self) -> str:
        raise NotConfigured(
            "No Yandex Cloud credentials are configured, so nothing was sent to Yandex Cloud."
        )

    def refused(self, token: str) -> bool:
        return False


@dataclass(frozen=True)
class IssuedToken:
    """A token obtained from IAM or the metadata service, with when to renew it."""

    value: str = field(repr=False)
    expires_at: datetime  # wall clock, for people
    expires: float  # on the provider's monotonic clock, for deciding
    renew_at: float


class RenewingToken:
    """The shared core of the providers whose token expires: cache, renew ahead, one at a time.

    `obtain` asks for a new token and returns it with its lifetime in seconds, measured from when
    the request was sent. The token is renewed once less than 10% of its lifetime is left or it is
    an hour old. While a renewal fails and the current token is still valid, it keeps being sent
    and the renewal is retried at most once a second; an expired token is never handed out.
    """

    RENEW_FRACTION = 0.9
    MAX_AGE_S = 3600.0
    RETRY_AFTER_FAILURE_S = 1.0

    def __init__(
        self,
        *,
        kind: str,
        endpoint: str,
        obtain: Callable[[], tuple[str, float]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind = kind
        self.endpoint = endpoint
        self._obtain = obtain
        self._clock = clock
        self._lock = threading.Lock()
        self._current: IssuedToken | None = None
        self._failure: YcError | None = None
        self._retry_at = 0.0
        self.last_error: YcError | None = None
        self.last_error_at: datetime | None = None

    @property
    def expires_at(self) -> datetime | None:
        current = self._current
        return current.expires_at if current is not None else None

    def token(self) -> str:
        current = self._current
        now = self._clock()
        if current is not None and now < current.renew_at:
            return current.value
        if current is not None and now < current.expires:
            # Still valid: if another thread is renewing it, do not wait for that.
            if not self._lock.acquire(blocking=False):
                return current.value
        else:
            self._lock.acquire()
        try:
            return self._renew()
        finally:
            self._lock.release()

    def refused(self, token: str) -> bool:
        with self._lock:
            current = self._current
            if current is not None and current.value == token:
                self._current = None
        return True

    def _renew(self) -> str:
        current = self._current
        now = self._clock()
        if current is not None and now < current.renew_at:
            return current.value  # another thread renewed it meanwhile
        if self._failure is not None and now < self._retry_at:
            if current is not None and now < current.expires:
                return current.value
            raise self._failure
        sent = self._clock()
        sent_wall = time.time()
        try:
            value, lifetime = self._obtain()
            if lifetime <= 0:
                raise BadResponse(
                    f"the token obtained from {self.endpoint} had already expired "
                    f"(lifetime {lifetime:.0f} s): check this machine's clock"
                )
        except YcError as error:
            self._failure = error
            self._retry_at = self._clock() + self.RETRY_AFTER_FAILURE_S
            self.last_error, self.last_error_at = error, datetime.now(UTC)
            if current is not None and self._clock() < current.expires:
                return current.value
            self._current = None
            raise
        self._failure = None
        self._current = IssuedToken(
            value=value,
            expires_at=datetime.fromtimestamp(sent_wall + lifetime, UTC),
            expires=sent + lifetime,
            renew_at=sent + min(lifetime * self.RENEW_FRACTION, self.MAX_AGE_S),
        )
        return value

    def __repr__(self) -> str:
        return f"RenewingToken(kind={self.kind!r}, endpoint={self.endpoint!r})"


@dataclass(frozen=True)
class CredentialInfo:
    """What an operator may see about the credential in use: never the token."""

    kind: str
    endpoint: str
    expires_at: datetime | None
    last_error: YcError | None
    last_error_at: datetime | None


def describe(provider: TokenProvider) -> CredentialInfo:
    return CredentialInfo(
        kind=provider.kind,
        endpoint=getattr(provider, "endpoint", ""),
        expires_at=getattr(provider, "expires_at", None),
        last_error=getattr(provider, "last_error", None),
        last_error_at=getattr(provider, "last_error_at", None),
    )
