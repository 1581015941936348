"""Choose the one credential provider the environment configures (the Terraform provider's
variables): `YC_TOKEN` (an IAM or OAuth token), `YC_SERVICE_ACCOUNT_KEY_FILE` or
`YC_USE_METADATA`. Two at once, or a value that makes no sense, is a `CredentialsConfigError`
whose message names the variables and never contains a secret.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from imagedash.yc import iam
from imagedash.yc.auth import NoCredentials, StaticToken, TokenProvider

ENV_NAMES = (
    "YC_TOKEN",
    "YC_TOKEN_TYPE",
    "YC_SERVICE_ACCOUNT_KEY_FILE",
    "YC_USE_METADATA",
    "YC_METADATA_ADDR",
    "YC_IAM_ENDPOINT",
)
_ON = {"1", "true", "yes"}
_OFF = {"0", "false", "no", ""}
_HOST_PORT = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")


class CredentialsConfigError(ValueError):
    pass


def is_iam_token(token: str) -> bool:
    """Terraform's rule: an IAM token starts with `t1.` and has exactly two dots."""
    return token.startswith("t1.") and token.count(".") == 2


def credentials_from_env(
    environ: Mapping[str, str], *, timeout: tuple[float, float] = (3.0, 10.0)
) -> TokenProvider:
    """The provider configured in `environ`; `NoCredentials` when none is."""
    value = {name: (environ.get(name) or "").strip() for name in ENV_NAMES}
    token, token_type = value["YC_TOKEN"], value["YC_TOKEN_TYPE"].lower()
    key_file = value["YC_SERVICE_ACCOUNT_KEY_FILE"]
    use_metadata = _metadata_switch(value["YC_USE_METADATA"])

    if token_type not in ("", "iam", "oauth"):
        raise CredentialsConfigError(
            f"YC_TOKEN_TYPE must be iam or oauth, not {value['YC_TOKEN_TYPE']!r}"
        )
    if token_type and not token:
        raise CredentialsConfigError("YC_TOKEN_TYPE is set but YC_TOKEN is not")
    configured = [
        name
        for name, on in (
            ("YC_TOKEN", bool(token)),
            ("YC_SERVICE_ACCOUNT_KEY_FILE", bool(key_file)),
            ("YC_USE_METADATA", use_metadata),
        )
        if on
    ]
    if len(configured) > 1:
        raise CredentialsConfigError(
            f"{' and '.join(configured)} are {'both' if len(configured) == 2 else 'all'} set: "
            "configure exactly one Yandex Cloud credential"
        )
    endpoint = _iam_endpoint(value["YC_IAM_ENDPOINT"])

    if token:
        if token_type == "iam" or (not token_type and is_iam_token(token)):  # noqa: S105
            return StaticToken(token)
        return iam.oauth_token(oauth_token=token, endpoint=endpoint, timeout=timeout)
    if key_file:
        return iam.service_account_key(key=_read_key(key_file), endpoint=endpoint, timeout=timeout)
    if use_metadata:
        addr = value["YC_METADATA_ADDR"] or iam.DEFAULT_METADATA_ADDR
        if not _HOST_PORT.fullmatch(addr):
            raise CredentialsConfigError(
                f"YC_METADATA_ADDR must be a host or host:port, not {addr!r}"
            )
        return iam.metadata_token(addr=addr, timeout=timeout)
    return NoCredentials()


def _metadata_switch(text: str) -> bool:
    if text.lower() in _ON:
        return True
    if text.lower() in _OFF:
        return False
    raise CredentialsConfigError(f"YC_USE_METADATA must be 1/true/yes or 0/false/no, not {text!r}")


def _iam_endpoint(text: str) -> str:
    endpoint = (text or iam.DEFAULT_IAM_ENDPOINT).rstrip("/")
    if not re.fullmatch(r"https?://[^/\s]+(/\S*)?", endpoint):
        raise CredentialsConfigError(
            f"YC_IAM_ENDPOINT must be an http:// or https:// URL, not {text!r}"
        )
    return endpoint


def _read_key(value: str) -> iam.ServiceAccountKey:
    """The key from the JSON itself (a value starting with `{`) or from the file it names."""
    value = value.lstrip("\ufeff \t\r\n")
    if value.startswith("{"):
        source, text = "YC_SERVICE_ACCOUNT_KEY_FILE (the JSON given inline)", value
    else:
        # Name the path, unless the value is something else (quoted JSON, a pasted key...),
        # which must not be printed.
        looks_like_path = len(value) <= 255 and not any(c in value for c in "{}\n\"'")
        named = f" ({value})" if looks_like_path else " (neither JSON starting with '{' nor a path)"
        source = f"YC_SERVICE_ACCOUNT_KEY_FILE{named}"
        try:
            text = Path(value).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "not a UTF-8 text file"
            raise CredentialsConfigError(f"{source} cannot be read: {reason}") from None
    try:
        return iam.parse_key(text)
    except iam.KeyFileError as error:
        raise CredentialsConfigError(f"{source} {error}") from None
