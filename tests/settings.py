"""Settings for the test run: the project's own, with a throwaway secret key when none is set."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 50)

from imagedash.settings import *  # noqa: F403

# Fast password hashing: tests sign users in by password many times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
