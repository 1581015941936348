"""Service-account authorized keys made for a test, shaped like `yc iam key create -o key.json`."""

from __future__ import annotations

import functools
import json
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def authorized_key(name: str = "main") -> dict[str, str]:
    return _authorized_key(name)


@functools.cache
def _authorized_key(name: str) -> dict[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_id = "aje" + secrets.token_hex(8) + name[:3]
    return {
        "id": key_id,
        "service_account_id": "ajesa" + secrets.token_hex(7),
        "created_at": "2026-11-30T10:00:00.000000000Z",
        "key_algorithm": "RSA_2048",
        "public_key": public_pem,
        # As `yc` writes it: a line before the PEM itself.
        "private_key": f"PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <{key_id}>\n"
        + private_pem,
    }


def key_json(name: str = "main") -> str:
    return json.dumps(authorized_key(name), indent=2)


def pem_body(key: dict[str, str]) -> str:
    """The base64 lines of the private key, to search output for."""
    lines = key["private_key"].splitlines()
    return "".join(line for line in lines if line and not line.startswith(("-----", "PLEASE")))
