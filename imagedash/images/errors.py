"""How each upstream failure reads on a page: the HTTP status, and what to do about it (the
words live in templates/images/errors/<name>.html)."""

from __future__ import annotations

from dataclasses import dataclass

from imagedash import yc
from imagedash.images.breaker import CallsPaused


@dataclass(frozen=True)
class ErrorPage:
    status: int
    title: str
    name: str

    @property
    def template(self) -> str:
        return f"images/errors/{self.name}.html"


def error_page(error: yc.YcError) -> ErrorPage:
    # Most specific classes first: NotConfigured is an Unauthenticated, ServerError and
    # CallsPaused are Unavailable.
    match error:
        case CallsPaused():
            return ErrorPage(503, "Calls to Yandex Cloud are paused", "paused")
        case yc.NotFound():
            return ErrorPage(404, "Image not found", "not_found")
        case yc.PermissionDenied():
            return ErrorPage(403, "No access to this image", "permission_denied")
        case yc.NotConfigured():
            return ErrorPage(503, "No Yandex Cloud credentials configured", "not_configured")
        case yc.Unauthenticated():
            return ErrorPage(502, "Credentials rejected", "credentials_rejected")
        case yc.InvalidArgument():
            return ErrorPage(400, "Not a valid image id", "invalid_argument")
        case yc.RateLimited():
            return ErrorPage(503, "Yandex Cloud is limiting requests", "rate_limited")
        case yc.ServerError():
            return ErrorPage(502, "Yandex Cloud failed", "server_error")
        case yc.Unavailable():
            return ErrorPage(503, "Yandex Cloud is unavailable", "unavailable")
        case yc.UpstreamTimeout():
            return ErrorPage(504, "Yandex Cloud did not answer in time", "timeout")
    return ErrorPage(502, "Unreadable answer from Yandex Cloud", "bad_response")
