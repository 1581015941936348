"""`make bench` (`python -m bench`): start the emulator and gunicorn as in production and print,
in one run:

1. throughput of a warm status poll and a warm image page, as ratios to a bare Django view
   served by the same gunicorn settings and middleware (goals: at least 0.8 and 0.5);
2. upstream GETs while 100 clients poll one CREATING image for 20 s, without and with Redis
   (goals: at most one per cache TTL per worker process without Redis, one in total with it);
3. throughput of the history page while 8 lookups hang on a 6 s upstream, as a ratio to the same
   page with none in flight (goal: at least 0.8).

Load comes from wrk when it is installed (apt-get install wrk), else from a threaded Python
client, which is slower and makes every ratio look closer to 1: the output says which.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
GUNICORN = str(Path(PY).with_name("gunicorn"))
CREATING = "fd8demo1creating0001"
READY = "fd8tekibj7eld4eqtaed"
REDIS_URL = "redis://127.0.0.1:6379/14"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, seconds: float = 20) -> None:
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


@contextmanager
def gunicorn(app: str, options: list[str], env: dict[str, str], health_path: str):
    """`app` served by gunicorn on a free port until the block ends; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [GUNICORN, app, "-b", f"127.0.0.1:{port}", "--log-level", "warning", *options],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + health_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:  # still waiting on a hanging request
            process.kill()
            process.wait(10)


@contextmanager
def emulator(faults: dict | None = None):
    env = {**os.environ, "EMULATOR_DEMO_TRANSITION_S": "3600"}
    if faults:
        env["EMULATOR_FAULTS"] = json.dumps(faults)
    options = ["-w", "1", "--threads", "32", "-k", "gthread"]
    with gunicorn("imagedash.emulator.app:application", options, env, "/emulator/stats") as url:
        yield url


def image_gets(emulator_url: str) -> int:
    with urllib.request.urlopen(emulator_url + "/emulator/stats", timeout=5) as response:
        return json.load(response)["imageGets"]


@contextmanager
def dashboard(emulator_url: str, workdir: Path, *, redis: bool = False):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-" + "s" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "YC_COMPUTE_ENDPOINT": emulator_url,
        "YC_TOKEN": "t1.bench.token",
        "IMAGEDASH_LOG_LEVEL": "WARNING",
        # The bench signs in as a proxy would (every page needs a signed-in user).
        "IMAGEDASH_TRUSTED_USER_HEADER": "X-Forwarded-User",
        "IMAGEDASH_TRUSTED_PROXIES": "127.0.0.1",
    }
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = REDIS_URL
        subprocess.run(["redis-cli", "-n", "14", "flushdb"], check=False, capture_output=True)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    options = ["-c", "gunicorn.conf.py"]
    with gunicorn("imagedash.wsgi:application", options, env, "/bench/bare/") as url:
        yield url


SIGNED_IN = {"X-Forwarded-User": "bench"}


def session_cookie(url: str) -> str:
    """A signed-in browser session, as a teammate's open tab has."""
    request = urllib.request.Request(url + "/", headers=SIGNED_IN)
    with urllib.request.urlopen(request, timeout=10) as response:
        cookies = response.headers.get_all("Set-Cookie") or []
    return "; ".join(cookie.split(";", 1)[0] for cookie in cookies)


def throughput(url: str, *, seconds: float, connections: int, cookie: str = "") -> float:
    """Requests per second over `seconds` with `connections` clients."""
    if shutil.which("wrk"):
        command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", url]
        command[1:1] = ["-H", "X-Forwarded-User: bench"]
        if cookie:
            command[1:1] = ["-H", f"Cookie: {cookie}"]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        if errors:
            raise SystemExit(f"{url}: {errors.group(1)} error answers\n{output}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return _python_throughput(url, seconds=seconds, connections=connections, cookie=cookie)


def _python_throughput(url: str, *, seconds: float, connections: int, cookie: str) -> float:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    stop = time.monotonic() + seconds
    counts = []

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        done = 0
        while time.monotonic() < stop:
            connection.request(
                "GET", parts.path or "/", headers={"Cookie": cookie} if cookie else {}
            )
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                raise SystemExit(f"{url}: HTTP {response.status}")
            done += 1
        counts.append(done)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def section_throughput(workdir: Path, seconds: float, rounds_count: int = 5) -> None:
    print("\n1. Throughput against a bare Django view (same gunicorn settings and middleware)")
    with emulator() as emulator_url, dashboard(emulator_url, workdir) as url:
        cookie = session_cookie(url)
        targets = {
            "bare view": f"{url}/bench/bare/",
            "warm status poll": f"{url}/images/{CREATING}/status/",
            "warm image page": f"{url}/images/{READY}/",
        }
        for target in targets.values():  # warm: caches, connections, templates
            throughput(target, seconds=1, connections=8, cookie=cookie)
        # Interleaved rounds, each figure a ratio to the bare view of its own round, so that a
        # noisy moment on this shared machine hurts one round, not one figure; then the median.
        rounds: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(rounds_count):
            for name, target in targets.items():
                rounds[name].append(
                    throughput(target, seconds=seconds, connections=16, cookie=cookie)
                )
        for name, samples in rounds.items():
            ratios = [rate / bare for rate, bare in zip(samples, rounds["bare view"], strict=True)]
            print(
                f"   {name:18} {statistics.median(samples):8.0f} req/s   "
                f"{statistics.median(ratios):5.2f}x  (rounds: "
                + ", ".join(f"{ratio:.2f}" for ratio in ratios)
                + ")"
            )
        print("   goals: status poll >= 0.80x, image page >= 0.50x")


def section_upstream_calls(workdir: Path, seconds: float) -> None:
    print(f"\n2. Upstream GETs while 100 clients poll one CREATING image for {seconds:g} s")
    ttl = 2.0
    for redis in (False, True):
        if redis and subprocess.run(["redis-cli", "ping"], capture_output=True).returncode != 0:
            print("   with Redis: skipped, no Redis at 127.0.0.1:6379")
            continue
        with emulator() as emulator_url, dashboard(emulator_url, workdir, redis=redis) as url:
            before = image_gets(emulator_url)
            rate = throughput(
                f"{url}/images/{CREATING}/status/",
                seconds=seconds,
                connections=100,
                cookie=session_cookie(url),
            )
            calls = image_gets(emulator_url) - before
            windows = seconds / ttl
            label = "with Redis   " if redis else "without Redis"
            goal = windows + 1 if redis else 2 * (windows + 1)
            print(
                f"   {label} {calls:4d} upstream GETs for {rate:6.0f} polls/s "
                f"({calls / windows:.2f} per {ttl:g} s window; goal <= {goal:.0f} in all)"
            )


def section_slow_upstream(workdir: Path, seconds: float) -> None:
    print("\n3. History page throughput while 8 lookups hang on a 6 s upstream")
    slow_ids = [f"fd8slow{n:013d}" for n in range(8)]
    faults = {image_id: {"latency": 6} for image_id in slow_ids}
    with emulator(faults) as emulator_url, dashboard(emulator_url, workdir) as url:
        history = f"{url}/history/"
        cookie = session_cookie(url)
        throughput(history, seconds=1, connections=8, cookie=cookie)
        quiet = throughput(history, seconds=seconds, connections=8, cookie=cookie)
        with ThreadPoolExecutor(max_workers=8) as pool:
            hanging = [
                pool.submit(
                    urllib.request.urlopen,
                    urllib.request.Request(f"{url}/images/{image_id}/", headers=SIGNED_IN),
                    timeout=30,
                )
                for image_id in slow_ids
            ]
            time.sleep(0.5)
            loaded = throughput(history, seconds=min(seconds, 5), connections=8, cookie=cookie)
            in_flight = sum(not future.done() for future in hanging)
        print(f"   no slow lookups   {quiet:8.0f} req/s")
        print(
            f"   8 slow lookups    {loaded:8.0f} req/s   {loaded / quiet:5.2f}x "
            f"({in_flight} still hanging when measured; goal >= 0.80x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=3, help="per throughput figure")
    parser.add_argument("--poll-seconds", type=float, default=20, help="for section 2")
    parser.add_argument("--only", choices=["1", "2", "3"], action="append")
    args = parser.parse_args()
    print(
        f"load generator: {'wrk' if shutil.which('wrk') else 'threaded Python (slow)'}; "
        f"{os.cpu_count()} cores; gunicorn from gunicorn.conf.py"
    )
    with tempfile.TemporaryDirectory() as temp:
        workdir = Path(temp)
        if not args.only or "1" in args.only:
            section_throughput(workdir, args.seconds)
        if not args.only or "2" in args.only:
            section_upstream_calls(workdir, args.poll_seconds)
        if not args.only or "3" in args.only:
            section_slow_upstream(workdir, args.seconds)


if __name__ == "__main__":
    main()
