"""The production run of the README, no Makefile involved: collectstatic, migrate, gunicorn with
DJANGO_DEBUG=0 on the default SQLite file, against the emulator over HTTP."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def production_site(tmp_path_factory, emulator_server):
    work = tmp_path_factory.mktemp("production")
    database = work / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "imagedash.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "production-run-test-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"sqlite:///{database}",
        "YC_COMPUTE_ENDPOINT": emulator_server.url,
        "YC_TOKEN": "t1.test.production-run",
        # Teammates sign in through a company proxy (here: this test, from 127.0.0.1).
        "IMAGEDASH_TRUSTED_USER_HEADER": "X-Forwarded-User",
        "IMAGEDASH_TRUSTED_PROXIES": "127.0.0.1",
        "IMAGEDASH_LOOKUPS_PER_MINUTE": "10",
    }
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    # collectstatic writes into STATIC_ROOT inside the checkout; leave the checkout as it was.
    had_static = (ROOT / "staticfiles").exists()
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
    port = free_port()
    server = subprocess.Popen(
        [
            str(GUNICORN),
            "imagedash.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(base + "/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base, database
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
        if not had_static:
            shutil.rmtree(ROOT / "staticfiles", ignore_errors=True)
        assert "Traceback" not in output, output


def test_the_site_and_its_static_files_are_served(production_site):
    base, _ = production_site
    home = requests.get(base + "/", timeout=5, allow_redirects=False)
    assert home.status_code in (200, 302)
    page = requests.get(base + "/", timeout=5)
    assert page.status_code == 200
    for path in (
        "/static/django_htmx/htmx-2.min.js",
        "/static/js/imagedash.js",
        "/static/css/imagedash.css",
    ):
        response = requests.get(base + path, timeout=5)
        assert response.status_code == 200, path


def test_forty_simultaneous_lookups_all_answer_and_all_are_recorded(production_site):
    base, database = production_site
    ids = [
        "fd85u0rct32prepgjlv0",
        "fd89ls0nj4oqmlhhi568",
        "fd8iv792kirahcnqnt0q",
        "fd85s1nlcavgdpc16hj3",
        "fd81d2d9ifd50gmvc03g",
        "fd864gbboths76r8gm5f",
        "fd89ovh4ticpo40dkbvd",
        "fd8dpupkt886ut5m0j2o",
        "fd8doesnotexist00000",
        "fd8tekibj7eld4eqtaed",
    ]
    before = sqlite3.connect(database).execute("select count(*) from images_lookup").fetchone()[0]

    def look_up(n: int) -> int:
        # Forty teammates, each signed in by the proxy on first sight, none double-clicking.
        headers = {"X-Forwarded-User": f"teammate{n}"}
        url = f"{base}/images/{ids[n % len(ids)]}/"
        return requests.get(url, headers=headers, timeout=30, allow_redirects=False).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(look_up, range(40)))
    assert sorted(set(statuses)) == [200, 404]
    assert statuses.count(404) == 4
    with sqlite3.connect(database) as connection:
        after = connection.execute("select count(*) from images_lookup").fetchone()[0]
        journal = connection.execute("pragma journal_mode").fetchone()[0]
    assert after - before == 40
    assert journal == "wal"
    with sqlite3.connect(database) as connection:
        users = connection.execute(
            "select count(distinct user_id) from images_lookup where user_id is not null"
        ).fetchone()[0]
    assert users == 40


def test_lookups_sent_all_at_once_do_not_slip_past_the_rate_limit(production_site):
    base, database = production_site

    def look_up(n: int) -> int:
        url = f"{base}/images/fd8burst{n:012d}/"
        headers = {"X-Forwarded-User": "burster"}
        return requests.get(url, headers=headers, timeout=30, allow_redirects=False).status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(look_up, range(25)))
    assert statuses.count(404) == 10 and statuses.count(429) == 15
    with sqlite3.connect(database) as connection:
        outcomes = dict(
            connection.execute(
                "select outcome, count(*) from images_lookup join auth_user"
                " on auth_user.id = images_lookup.user_id where username = 'burster'"
                " group by outcome"
            ).fetchall()
        )
    assert outcomes == {"not_found": 10, "rate_limited": 15}
