"""Production settings: the HTTPS switch, `check --deploy`, the secret-key refusal, and the
headers every answer carries (the CSP on every HTML response)."""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IMAGE_ID = "fd8tekibj7eld4eqtaed"


def _random_key(length: int = 50) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "IMAGEDASH_"))}
    clean.update(DJANGO_SETTINGS_MODULE="imagedash.settings", **env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "example.com"}


def test_check_deploy_is_clean_under_production_settings():
    result = _run(
        ["manage.py", "check", "--deploy"],
        **PRODUCTION,
        DJANGO_SECRET_KEY=_random_key(),
        DJANGO_HTTPS="1",
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in output
    assert "WARNING" not in output


_SETTINGS_DUMP = (
    "import django, json; django.setup(); from django.conf import settings as s; print(json.dumps("
    "{n: getattr(s, n, None) for n in ['SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', "
    "'CSRF_COOKIE_SECURE', 'SECURE_PROXY_SSL_HEADER', 'SECURE_HSTS_SECONDS', "
    "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'X_FRAME_OPTIONS', "
    "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'MIDDLEWARE']}))"
)


def _settings(**env: str) -> dict:
    result = _run(["-c", _SETTINGS_DUMP], **PRODUCTION, DJANGO_SECRET_KEY=_random_key(), **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_https_switch_turns_on_the_https_settings():
    on = _settings(DJANGO_HTTPS="1")
    assert on["SECURE_SSL_REDIRECT"] is True
    assert on["SESSION_COOKIE_SECURE"] is True
    assert on["CSRF_COOKIE_SECURE"] is True
    assert on["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert on["SECURE_HSTS_SECONDS"] == 31536000
    assert on["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert on["SECURE_HSTS_PRELOAD"] is True


@pytest.mark.parametrize("env", [{}, {"DJANGO_HTTPS": "0"}, {"DJANGO_HTTPS": "1"}])
def test_always_on_whatever_the_switch(env):
    values = _settings(**env)
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"]
    for middleware in [
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.LoginRequiredMiddleware",
        "csp.middleware.CSPMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]:
        assert middleware in values["MIDDLEWARE"]


def test_plain_http_is_the_default():
    off = _settings()
    assert not off["SECURE_SSL_REDIRECT"]
    assert not off["SESSION_COOKIE_SECURE"]
    assert off["SECURE_PROXY_SSL_HEADER"] is None
    assert not off["SECURE_HSTS_SECONDS"]


@pytest.mark.parametrize(
    "key",
    [
        "",
        "   ",
        "django-insecure-imagedash-development-only-never-in-production",
        "django-insecure-" + _random_key(60),
        _random_key(49),
    ],
)
def test_start_up_refuses_a_weak_secret_key_with_debug_off(key):
    result = _run(["manage.py", "check"], **PRODUCTION, DJANGO_SECRET_KEY=key)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


# Headers on answers.

CSP_REQUIRED = [
    "default-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
]


def _assert_csp(response) -> None:
    policy = response["Content-Security-Policy"]
    for directive in CSP_REQUIRED:
        assert directive in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"]


@pytest.mark.django_db
def test_every_html_response_carries_the_csp(client, anonymous_client, user, emulator, settings):
    settings.IMAGEDASH_LOOKUPS_PER_MINUTE = 1
    responses = {
        "login": anonymous_client.get("/accounts/login/"),
        "login redirect": anonymous_client.get("/"),
        "admin login": anonymous_client.get("/admin/login/"),
        "session expired fragment": anonymous_client.get(
            f"/images/{IMAGE_ID}/status/", HTTP_HX_REQUEST="true"
        ),
        "home": client.get("/"),
        "detail": client.get(f"/images/{IMAGE_ID}/"),
        "badge": client.get(f"/images/{IMAGE_ID}/status/", HTTP_HX_REQUEST="true"),
        "history": client.get("/history/"),
        "invalid id": client.get("/images/NOT-valid/"),
        "rate limited": client.get("/images/fd85s1nlcavgdpc16hj3/"),
        "unknown page": client.get("/nowhere/"),
        "invalid form": client.get("/images/?image_id=%3Cx%3E"),
    }
    assert responses["rate limited"].status_code == 429
    for name, response in responses.items():
        assert response.get("Content-Type", "").startswith("text/html"), name
        _assert_csp(response)
