"""`manage.py ensure_demo_user --password-file .demo_password`: the demo mode's sign-in.

Idempotent: creates the user, or brings an existing one back to the file's password. Refuses to
run outside demo mode (IMAGEDASH_DEMO=1), so that no known account reaches a real deployment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Create (or reset) the demo mode's user, with the password read from a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo")
        parser.add_argument(
            "--password-file",
            required=True,
            help="A file holding the password (not an argument: those show in `ps`).",
        )

    def handle(self, *args: Any, username: str, password_file: str, **options: Any) -> None:
        if not settings.IMAGEDASH_DEMO:
            raise CommandError("ensure_demo_user only runs in demo mode (IMAGEDASH_DEMO=1).")
        try:
            password = Path(password_file).read_text().strip()
        except OSError as error:
            raise CommandError(f"cannot read {password_file}: {error}") from None
        if len(password) < 12:
            raise CommandError(f"{password_file} must hold a password of 12 characters or more.")
        user, created = get_user_model().objects.get_or_create(username=username)
        if created or not user.check_password(password) or not user.is_staff or not user.is_active:
            user.set_password(password)
            # Staff, so that the demo shows everyone's history and the operator page; not a
            # superuser, so that it cannot manage users in the admin.
            user.is_staff = True
            user.is_active = True
            user.save()
            self.stdout.write(f"Demo user {username!r} {'created' if created else 'updated'}.")
        else:
            self.stdout.write(f"Demo user {username!r} is ready.")
