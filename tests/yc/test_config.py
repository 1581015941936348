"""Which provider the environment configures, and a clear error for every conflict or mistake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from imagedash.yc import CredentialsConfigError, NoCredentials, StaticToken, credentials_from_env
from imagedash.yc.config import is_iam_token
from imagedash.yc.iam import DEFAULT_IAM_ENDPOINT, METADATA_TOKEN_PATH
from tests.yc.keys import authorized_key, key_json, pem_body

ROOT = Path(__file__).resolve().parents[2]
KEY = "YC_SERVICE_ACCOUNT_KEY_FILE"
NOT_A_KEY = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"


def with_key(**changes: object) -> str:
    data = dict(authorized_key())
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None})


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("t1.9euelZqQ.abcDEF", True),
        ("t1.a.b", True),
        ("t1.a.b.c", False),
        ("t1.ab", False),
        ("y0_AgAAAAB.x.y", False),
        ("AQAAAAA", False),
    ],
)
def test_iam_tokens_are_told_apart_as_terraform_does(token, expected):
    assert is_iam_token(token) is expected


def test_nothing_configured_is_no_credentials():
    assert isinstance(credentials_from_env({}), NoCredentials)
    assert isinstance(credentials_from_env({"YC_USE_METADATA": "0"}), NoCredentials)
    assert isinstance(credentials_from_env({"YC_USE_METADATA": ""}), NoCredentials)


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({"YC_TOKEN": "t1.a.b"}, "iam_token"),
        ({"YC_TOKEN": "anything", "YC_TOKEN_TYPE": "iam"}, "iam_token"),
        ({"YC_TOKEN": "y0_AgAAAA"}, "oauth_token"),
        ({"YC_TOKEN": "t1.a.b", "YC_TOKEN_TYPE": "OAuth"}, "oauth_token"),
        ({"YC_SERVICE_ACCOUNT_KEY_FILE": "  " + key_json()}, "service_account_key"),
        ({"YC_USE_METADATA": "true"}, "metadata"),
        ({"YC_USE_METADATA": "YES", "YC_TOKEN": ""}, "metadata"),
        ({"YC_TOKEN": "t1.a.b", "YC_USE_METADATA": "no"}, "iam_token"),
    ],
)
def test_the_configured_provider_is_chosen(env, kind):
    provider = credentials_from_env(env)
    assert provider.kind == kind
    if kind == "iam_token":
        assert isinstance(provider, StaticToken)


def test_default_endpoints():
    assert (
        credentials_from_env({"YC_TOKEN": "y0_x"}).endpoint
        == f"{DEFAULT_IAM_ENDPOINT}/iam/v1/tokens"
        == "https://iam.api.cloud.yandex.net/iam/v1/tokens"
    )
    assert (
        credentials_from_env({"YC_USE_METADATA": "1"}).endpoint
        == f"http://169.254.169.254{METADATA_TOKEN_PATH}"
    )


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"YC_TOKEN": "t1.a.b", KEY: "/k.json"}, ["YC_TOKEN", KEY]),
        ({"YC_TOKEN": "y0_x", "YC_USE_METADATA": "1"}, ["YC_TOKEN", "YC_USE_METADATA"]),
        ({KEY: "/k.json", "YC_USE_METADATA": "yes"}, [KEY, "YC_USE_METADATA"]),
        (
            {"YC_TOKEN": "y0_x", KEY: "/k.json", "YC_USE_METADATA": "true"},
            ["YC_TOKEN", KEY, "YC_USE_METADATA"],
        ),
        ({"YC_TOKEN_TYPE": "bearer", "YC_TOKEN": "y0_x"}, ["YC_TOKEN_TYPE", "'bearer'"]),
        ({"YC_TOKEN_TYPE": "iam"}, ["YC_TOKEN_TYPE", "YC_TOKEN"]),
        ({"YC_USE_METADATA": "maybe"}, ["YC_USE_METADATA", "'maybe'"]),
        ({"YC_USE_METADATA": "on"}, ["YC_USE_METADATA"]),
        (
            {"YC_USE_METADATA": "1", "YC_METADATA_ADDR": "http://169.254.169.254/"},
            ["YC_METADATA_ADDR"],
        ),
        ({"YC_USE_METADATA": "1", "YC_METADATA_ADDR": "host:port"}, ["YC_METADATA_ADDR"]),
        ({"YC_TOKEN": "y0_x", "YC_IAM_ENDPOINT": "iam.api.cloud.yandex.net"}, ["YC_IAM_ENDPOINT"]),
    ],
)
def test_conflicting_or_invalid_configuration_is_a_clear_error(env, names):
    with pytest.raises(CredentialsConfigError) as caught:
        credentials_from_env(env)
    for name in names:
        assert name in str(caught.value)


def test_metadata_addresses_may_have_a_port():
    for addr in ("169.254.169.254", "127.0.0.1:8080", "metadata.internal", "[fd00::1]:80"):
        provider = credentials_from_env({"YC_USE_METADATA": "1", "YC_METADATA_ADDR": addr})
        assert provider.endpoint.startswith(f"http://{addr}/")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"id": "x", ', "not valid JSON"),
        ("{}", "id, service_account_id, private_key"),
        (with_key(id=None), "id"),
        (with_key(service_account_id=""), "service_account_id"),
        (with_key(private_key=None), "private_key"),
        (with_key(private_key=12), "private_key"),
        (with_key(private_key=NOT_A_KEY), "private_key"),
        (with_key(private_key=authorized_key()["private_key"][:-200]), "private_key"),
    ],
)
def test_a_malformed_inline_key_names_the_problem_not_the_key(value, problem):
    with pytest.raises(CredentialsConfigError) as caught:
        credentials_from_env({"YC_SERVICE_ACCOUNT_KEY_FILE": value})
    message = str(caught.value)
    assert "YC_SERVICE_ACCOUNT_KEY_FILE" in message
    assert problem in message
    assert pem_body(authorized_key())[:40] not in message
    assert "BEGIN" not in message


def test_a_key_file_that_is_missing_or_broken(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(
        CredentialsConfigError, match=r"YC_SERVICE_ACCOUNT_KEY_FILE.*cannot be read"
    ):
        credentials_from_env({"YC_SERVICE_ACCOUNT_KEY_FILE": str(missing)})
    broken = tmp_path / "key.json"
    broken.write_text(key_json()[:-5])
    with pytest.raises(CredentialsConfigError) as caught:
        credentials_from_env({"YC_SERVICE_ACCOUNT_KEY_FILE": str(broken)})
    assert "not valid JSON" in str(caught.value) and str(broken) in str(caught.value)
    assert pem_body(authorized_key())[:40] not in str(caught.value)


def test_a_key_file_is_read_from_its_path(tmp_path):
    path = tmp_path / "key.json"
    path.write_text(key_json())
    provider = credentials_from_env({"YC_SERVICE_ACCOUNT_KEY_FILE": str(path)})
    assert provider.kind == "service_account_key"
    assert pem_body(authorized_key())[:40] not in repr(provider)


def run_django(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("YC_")}
    clean.update(DJANGO_DEBUG="1", DJANGO_SETTINGS_MODULE="imagedash.settings", **env)
    return subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    "command",
    [["manage.py", "check"], ["manage.py", "migrate", "--plan"], ["-c", "import imagedash.wsgi"]],
)
def test_every_command_and_the_wsgi_app_refuse_to_start_on_a_conflict(command):
    done = run_django(command, YC_TOKEN="y0_secret-oauth-value", YC_USE_METADATA="1")
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert "YC_TOKEN and YC_USE_METADATA are both set" in done.stderr
    assert "y0_secret-oauth-value" not in done.stderr + done.stdout


def test_a_malformed_key_stops_start_up_without_printing_it():
    broken = with_key(private_key=authorized_key()["private_key"].replace("MII", "xx", 1))
    done = run_django(["manage.py", "check"], YC_SERVICE_ACCOUNT_KEY_FILE=broken)
    assert done.returncode != 0
    assert "YC_SERVICE_ACCOUNT_KEY_FILE" in done.stderr and "private_key" in done.stderr
    body = pem_body(authorized_key())
    output = done.stderr + done.stdout
    assert not any(body[i : i + 24] in output for i in range(0, len(body) - 24, 24))


def test_a_valid_configuration_starts():
    done = run_django(["manage.py", "check"], YC_SERVICE_ACCOUNT_KEY_FILE=key_json())
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("wrap", ["'{}'", '"{}"'])
def test_a_quoted_inline_key_is_refused_without_printing_the_key(wrap):
    with pytest.raises(CredentialsConfigError) as caught:
        credentials_from_env({"YC_SERVICE_ACCOUNT_KEY_FILE": wrap.replace("{}", key_json())})
    message = str(caught.value)
    assert "YC_SERVICE_ACCOUNT_KEY_FILE" in message
    assert pem_body(authorized_key()) not in message and "PRIVATE KEY" not in message


@pytest.mark.parametrize("wrap", ["\ufeff{}", "  \n{}"])
def test_an_inline_key_after_a_bom_or_blank_lines_is_read_as_the_json(wrap):
    provider = credentials_from_env({"YC_SERVICE_ACCOUNT_KEY_FILE": wrap.replace("{}", key_json())})
    assert provider.kind == "service_account_key"
