"""Where the client's bearer token comes from.

A provider hands out a token for each request and can be told that the API refused one, so that
providers able to renew their token (OAuth, service-account keys, VM metadata) can plug in without
the client changing.
"""

from __future__ import annotations

from typing import Protocol

from imagedash.yc.errors import NotConfigured


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
