"""How each upstream failure reads on a page: the HTTP status and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass

from imagedash import yc
from imagedash.images.breaker import CallsPaused


@dataclass(frozen=True)
class ErrorPage:
    status: int
    title: str
    advice: str


def error_page(error: yc.YcError) -> ErrorPage:
    # Most specific classes first: NotConfigured is an Unauthenticated, ServerError an Unavailable.
    match error:
        case CallsPaused():
            return ErrorPage(
                503,
                "Calls to Yandex Cloud are paused",
                "Yandex Cloud failed "
                "several times in a row, so the dashboard paused its calls to it "
                "for a few seconds. Try again shortly.",
            )
        case yc.NotFound():
            return ErrorPage(
                404,
                "Image not found",
                "Yandex Cloud has no image with this id: it "
                "may have been deleted, or the id is mistyped. Check the id and "
                "try again.",
            )
        case yc.PermissionDenied():
            return ErrorPage(
                403,
                "No access to this image",
                "The dashboard's credentials may "
                "not see this image or its folder. Ask the folder's owner to grant "
                "the dashboard's account the compute.viewer role, or check the id.",
            )
        case yc.NotConfigured():
            return ErrorPage(
                503,
                "No Yandex Cloud credentials configured",
                "This is an operator "
                "problem, not the image's: whoever runs imagedash needs to configure "
                "one credential: YC_TOKEN, YC_SERVICE_ACCOUNT_KEY_FILE or YC_USE_METADATA "
                "(see docs/credentials.md).",
            )
        case yc.Unauthenticated():
            return ErrorPage(
                502,
                "The dashboard's credentials were rejected",
                "The dashboard's "
                "Yandex Cloud credentials were rejected. This is an operator problem, "
                "not the image's: ask whoever runs imagedash to renew them.",
            )
        case yc.InvalidArgument():
            return ErrorPage(
                400,
                "Not a valid image id",
                "Yandex Cloud says this is not a valid image id. Check the id and try again.",
            )
        case yc.RateLimited():
            return ErrorPage(
                503,
                "Yandex Cloud is limiting requests",
                "Too many requests reached Yandex Cloud. Wait a minute, then try again.",
            )
        case yc.ServerError():
            return ErrorPage(
                502,
                "Yandex Cloud failed",
                "Yandex Cloud reported an error on its "
                "side. Try again in a minute; if it persists, give Yandex Cloud "
                "support the request id below.",
            )
        case yc.Unavailable():
            return ErrorPage(
                503,
                "Yandex Cloud is unavailable",
                "Yandex Cloud could not be "
                "reached or is unavailable right now. Try again in a few seconds.",
            )
        case yc.UpstreamTimeout():
            return ErrorPage(
                504,
                "Yandex Cloud did not answer in time",
                "Try again in a few "
                "seconds; if it keeps happening, Yandex Cloud may be having trouble.",
            )
        case yc.BadResponse():
            return ErrorPage(
                502,
                "Unreadable answer from Yandex Cloud",
                "Yandex Cloud (or a proxy "
                "in front of it) sent an answer the dashboard could not read. Try "
                "again; if it persists, give support the request id below.",
            )
    return ErrorPage(502, "Yandex Cloud request failed", "Try again in a few seconds.")
