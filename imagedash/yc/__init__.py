"""Yandex Cloud Compute API client: plain Python, no Django.

The Django app talks to Yandex Cloud only through this package, so there is one seam to
configure, to read and to replace in tests.
"""

from imagedash.yc.auth import (
    CredentialInfo,
    NoCredentials,
    RenewingToken,
    StaticToken,
    TokenProvider,
    describe,
)
from imagedash.yc.client import ComputeClient, FetchedImage
from imagedash.yc.config import CredentialsConfigError, credentials_from_env
from imagedash.yc.errors import (
    BadResponse,
    InvalidArgument,
    NotConfigured,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    Unauthenticated,
    Unavailable,
    UpstreamTimeout,
    YcError,
)
from imagedash.yc.images import Image, ImageStatus, parse_image

__all__ = [
    "BadResponse",
    "ComputeClient",
    "CredentialInfo",
    "CredentialsConfigError",
    "FetchedImage",
    "Image",
    "ImageStatus",
    "InvalidArgument",
    "NoCredentials",
    "NotConfigured",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "RenewingToken",
    "ServerError",
    "StaticToken",
    "TokenProvider",
    "Unauthenticated",
    "Unavailable",
    "UpstreamTimeout",
    "YcError",
    "credentials_from_env",
    "describe",
    "parse_image",
]
