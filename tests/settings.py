"""Settings for the test run: the project's own, with a throwaway secret key when none is set."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 50)

from imagedash.settings import *  # noqa: F403
