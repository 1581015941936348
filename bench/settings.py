"""The project's settings plus a bare view to measure against (same middleware, same server)."""

from imagedash.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
