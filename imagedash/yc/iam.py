"""Renewable credentials: an OAuth token or a service-account key exchanged at IAM, or the token
of a Yandex Cloud VM's service account from the metadata service.

Each provider is a `RenewingToken` with a function that asks for a new token. A refused request
(4xx) is `Unauthenticated`; an unreachable endpoint, a timeout or a 5xx is `Unavailable` or
`UpstreamTimeout`, as for the Compute API.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from imagedash.yc.auth import RenewingToken
from imagedash.yc.errors import BadResponse, Unauthenticated, Unavailable, UpstreamTimeout
from imagedash.yc.images import parse_timestamp

DEFAULT_IAM_ENDPOINT = "https://iam.api.cloud.yandex.net"
# The JWT's audience is this URL whatever endpoint the JWT is sent to.
JWT_AUDIENCE = "https://iam.api.cloud.yandex.net/iam/v1/tokens"
JWT_LIFETIME_S = 3600
DEFAULT_METADATA_ADDR = "169.254.169.254"
METADATA_TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"  # noqa: S105

Timeout = tuple[float, float]


class KeyFileError(ValueError):
    """The authorized-key JSON cannot be used. The message never contains the key."""


@dataclass(frozen=True)
class ServiceAccountKey:
    key_id: str
    service_account_id: str
    private_key: RSAPrivateKey = field(repr=False)


def parse_key(text: str) -> ServiceAccountKey:
    """An authorized key (`yc iam key create -o key.json`) from its JSON text."""
    try:
        data = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", None)
        where = f" (line {line}, column {error.colno})" if line is not None else ""
        raise KeyFileError(f"is not valid JSON{where}") from None
    if not isinstance(data, dict):
        raise KeyFileError("is not a JSON object")
    missing = [
        name
        for name in ("id", "service_account_id", "private_key")
        if not isinstance(data.get(name), str) or not data[name].strip()
    ]
    if missing:
        raise KeyFileError(f"lacks the field(s) {', '.join(missing)}")
    pem = data["private_key"]
    # Keys made by `yc` start with a "PLEASE DO NOT REMOVE THIS LINE!" line before the PEM.
    start = pem.find("-----BEGIN")
    try:
        private_key = load_pem_private_key(pem[max(start, 0) :].encode(), password=None)
    except (ValueError, TypeError):
        raise KeyFileError("has a private_key that is not a readable PEM private key") from None
    if not isinstance(private_key, RSAPrivateKey):
        raise KeyFileError("has a private_key that is not an RSA key (PS256 needs one)")
    return ServiceAccountKey(
        key_id=data["id"].strip(),
        service_account_id=data["service_account_id"].strip(),
        private_key=private_key,
    )


def make_jwt(key: ServiceAccountKey, *, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    return jwt.encode(
        {
            "iss": key.service_account_id,
            "aud": JWT_AUDIENCE,
            "iat": issued,
            "exp": issued + JWT_LIFETIME_S,
        },
        key.private_key,
        algorithm="PS256",
        headers={"typ": "JWT", "kid": key.key_id},
    )


def oauth_token(*, oauth_token: str, endpoint: str, timeout: Timeout) -> RenewingToken:
    """An OAuth token (`YC_TOKEN`) exchanged for IAM tokens."""
    return _iam_exchange(
        kind="oauth_token",
        endpoint=endpoint,
        timeout=timeout,
        body=lambda: {"yandexPassportOauthToken": oauth_token},
    )


def service_account_key(
    *, key: ServiceAccountKey, endpoint: str, timeout: Timeout
) -> RenewingToken:
    """A service account's authorized key: a fresh signed JWT exchanged for each IAM token."""
    return _iam_exchange(
        kind="service_account_key",
        endpoint=endpoint,
        timeout=timeout,
        body=lambda: {"jwt": make_jwt(key)},
    )


def metadata_token(*, addr: str, timeout: Timeout) -> RenewingToken:
    """The token of the VM's service account, from the metadata service at `addr`."""
    url = f"http://{addr}{METADATA_TOKEN_PATH}"
    session = _session()

    def obtain() -> tuple[str, float]:
        status, data, request_id = _call(
            session, "GET", url, what="the metadata service", timeout=timeout,
            headers={"Metadata-Flavor": "Google"},
        )  # fmt: skip
        token, lifetime = data.get("access_token"), data.get("expires_in")
        if not isinstance(token, str) or not token or not _is_number(lifetime):
            raise BadResponse(
                "the metadata service's answer has no access_token and expires_in",
                http_status=status,
                request_id=request_id,
            )
        return token, float(lifetime)

    return RenewingToken(kind="metadata", endpoint=url, obtain=obtain)


def _iam_exchange(*, kind: str, endpoint: str, timeout: Timeout, body: Any) -> RenewingToken:
    url = f"{endpoint.rstrip('/')}/iam/v1/tokens"
    session = _session()

    def obtain() -> tuple[str, float]:
        sent = time.time()
        status, data, request_id = _call(
            session, "POST", url, what="the IAM endpoint", timeout=timeout, json=body()
        )
        token, expires = data.get("iamToken"), data.get("expiresAt")
        moment = parse_timestamp(expires) if isinstance(expires, str) else None
        if not isinstance(token, str) or not token or moment is None:
            raise BadResponse(
                "the IAM endpoint's answer has no iamToken and expiresAt",
                http_status=status,
                request_id=request_id,
            )
        return token, moment.timestamp() - sent

    return RenewingToken(kind=kind, endpoint=url, obtain=obtain)


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # the credential goes only where it is configured
    session.headers.update({"User-Agent": "imagedash", "Accept": "application/json"})
    return session


def _call(
    session: requests.Session, method: str, url: str, *, what: str, timeout: Timeout, **kwargs: Any
) -> tuple[int, dict[str, Any], str]:
    try:
        response = session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.Timeout:
        raise UpstreamTimeout(f"{what} did not answer in time") from None
    except requests.RequestException:
        raise Unavailable(f"could not reach {what}") from None
    request_id = response.headers.get("x-request-id", "")
    try:
        data = response.json()
    except ValueError:
        data = None
    status = response.status_code
    message = data.get("message") if isinstance(data, dict) else None
    # Only the upstream's own words, and only when short: never echo what was sent.
    sent = [value for value in (kwargs.get("json") or {}).values() if isinstance(value, str)]
    usable = isinstance(message, str) and 0 < len(message) <= 200
    detail = f": {message}" if usable and not any(value in message for value in sent) else ""
    ids = {"http_status": status, "request_id": request_id}
    if 400 <= status < 500:
        raise Unauthenticated(f"{what} refused the token request{detail}", **ids)
    if status == 504:
        raise UpstreamTimeout(f"{what} timed out{detail}", **ids)
    if status >= 500:
        raise Unavailable(f"{what} failed{detail}", **ids)
    if status != 200 or not isinstance(data, dict):
        raise BadResponse(f"{what} sent an unreadable answer (HTTP {status})", **ids)
    return status, data, request_id


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
