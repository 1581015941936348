"""Shared fixtures: a real emulator over HTTP on 127.0.0.1, and the database switch.

`make test` runs the suite on SQLite, then the database tests again with DATABASE_URL pointing
at PostgreSQL. Off CI a PostgreSQL run skips when no server answers; with CI=true it must run.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-" + "x" * 60)

import pytest

from imagedash.emulator.app import DEFAULT_TOKEN_LIFETIME_S, Emulator
from imagedash.emulator.demo import DemoImages
from imagedash.emulator.server import serve_in_thread
from imagedash.images.fetch import image_fetcher
from tests.fakes import RequestLog

IN_CI = os.environ.get("CI", "").lower() == "true"
DEMO_TRANSITION_S = 3.0


def _postgres_problem() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return ""
    import psycopg

    # Ask the server, not the named database: the test run creates and drops its own
    # `test_<name>` database through the `postgres` maintenance database, as Django does, so
    # the database that DATABASE_URL names need not exist.
    conninfo = url.replace("postgres://", "postgresql://", 1)
    try:
        psycopg.connect(conninfo, dbname="postgres", connect_timeout=3).close()
    except psycopg.Error as error:
        return f"PostgreSQL at DATABASE_URL does not answer: {error}".strip()
    return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problem = _postgres_problem()
    if not problem:
        return
    if IN_CI:
        raise pytest.UsageError(problem + " (CI=true: the PostgreSQL tests must run)")
    skip = pytest.mark.skip(reason=problem)
    for item in items:
        item.add_marker(skip)


class EmulatorServer:
    def __init__(self) -> None:
        self.app = Emulator(demo=DemoImages(transition_seconds=DEMO_TRANSITION_S))
        self.log = RequestLog(self.app)
        self.server, self.url = serve_in_thread(self.log)

    def reset(self) -> None:
        self.app.demo.reset()
        self.app.tokens = None
        self.app.faults.clear()
        self.app.image_gets = 0
        self.app.oauth_tokens = None
        self.app.service_account_keys = {}
        self.app.token_lifetime_s = DEFAULT_TOKEN_LIFETIME_S
        self.app.token_delay_s = 0.0
        self.app.reset_tokens()
        self.log.clear()

    def hits(self, path: str) -> int:
        return self.log.paths().count(path)


@pytest.fixture(scope="session")
def emulator_server() -> EmulatorServer:
    server = EmulatorServer()
    yield server
    server.server.shutdown()


@pytest.fixture
def emulator(emulator_server: EmulatorServer, settings) -> EmulatorServer:
    """The emulator, with the dashboard pointed at it and its request log empty."""
    emulator_server.reset()
    settings.YC_COMPUTE_ENDPOINT = emulator_server.url
    settings.YC_TOKEN = "t1.test.emulator-token"
    return emulator_server


@pytest.fixture(autouse=True)
def _fresh_caches():
    from django.core.cache import cache

    from imagedash.access import recent_users

    image_fetcher.clear()
    recent_users.clear()
    cache.clear()
    yield
    image_fetcher.clear()
    recent_users.clear()


PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="alice", password=PASSWORD)


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(username="sam", password=PASSWORD, is_staff=True)


@pytest.fixture
def new_browser(user):
    """Makes another browser (a session of its own) signed in as `user`."""
    from django.test import Client

    def signed_in_browser() -> Client:
        browser = Client()
        browser.force_login(user)
        return browser

    return signed_in_browser


@pytest.fixture
def client(new_browser):
    """Every page needs a signed-in user: the default test client is signed in as `user`."""
    return new_browser()


@pytest.fixture
def anonymous_client():
    from django.test import Client

    return Client()
