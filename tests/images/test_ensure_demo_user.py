"""The demo mode's user: created once, idempotent, refused outside demo mode."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / ".demo_password"
    path.write_text("a-random-demo-password\n")
    return path


def test_creates_a_demo_user_who_can_sign_in(settings, password_file):
    settings.IMAGEDASH_DEMO = True
    call_command("ensure_demo_user", password_file=str(password_file))
    user = get_user_model().objects.get(username="demo")
    assert user.is_staff and not user.is_superuser
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": "demo", "password": "a-random-demo-password"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_is_idempotent_and_writes_nothing_when_ready(
    settings, password_file, django_assert_max_num_queries
):
    settings.IMAGEDASH_DEMO = True
    call_command("ensure_demo_user", password_file=str(password_file))
    with django_assert_max_num_queries(1):
        call_command("ensure_demo_user", password_file=str(password_file))
    assert get_user_model().objects.filter(username="demo").count() == 1


def test_a_changed_file_resets_the_password(settings, password_file):
    settings.IMAGEDASH_DEMO = True
    call_command("ensure_demo_user", password_file=str(password_file))
    password_file.write_text("another-random-password")
    call_command("ensure_demo_user", password_file=str(password_file))
    assert get_user_model().objects.get(username="demo").check_password("another-random-password")


def test_refused_outside_demo_mode(settings, password_file):
    settings.IMAGEDASH_DEMO = False
    with pytest.raises(CommandError, match="demo mode"):
        call_command("ensure_demo_user", password_file=str(password_file))
    assert not get_user_model().objects.exists()


def test_refuses_a_short_password(settings, tmp_path):
    settings.IMAGEDASH_DEMO = True
    short = tmp_path / "short"
    short.write_text("demo")
    with pytest.raises(CommandError, match="12 characters"):
        call_command("ensure_demo_user", password_file=str(short))
