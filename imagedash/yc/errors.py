"""Typed failures of a Compute API call.

Each error keeps what Yandex support asks for: the upstream message, HTTP status, gRPC code and
request id. `kind` names the failure in the words the dashboard records it with.
"""

from __future__ import annotations


class YcError(Exception):
    kind: str = "unavailable"
    # A failure of the service rather than an answer about the image: stale data may stand in.
    is_outage: bool = False

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        grpc_code: int | None = None,
        request_id: str = "",
        client_request_id: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.grpc_code = grpc_code
        self.request_id = request_id
        self.client_request_id = client_request_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, http_status={self.http_status}, "
            f"grpc_code={self.grpc_code}, request_id={self.request_id!r})"
        )


class NotFound(YcError):
    kind = "not_found"


class PermissionDenied(YcError):
    kind = "permission_denied"


class Unauthenticated(YcError):
    """The API refused the dashboard's credential: an operator problem, not the image's."""

    kind = "unauthenticated"


class NotConfigured(Unauthenticated):
    """No credential is configured, so nothing was sent."""


class InvalidArgument(YcError):
    kind = "invalid_id"


class RateLimited(YcError):
    kind = "rate_limited"
    is_outage = True


class Unavailable(YcError):
    kind = "unavailable"
    is_outage = True


class ServerError(Unavailable):
    """Any other 5xx: the API failed on its side."""


class BadResponse(YcError):
    """An answer that is not the documented JSON: HTML from a proxy, empty, truncated, no id."""

    kind = "bad_response"
    is_outage = True


class UpstreamTimeout(YcError):
    kind = "timeout"
    is_outage = True
