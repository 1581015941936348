"""The process's Compute API client, built once from settings."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from imagedash.yc import ComputeClient, TokenProvider, credentials_from_env
from imagedash.yc.config import ENV_NAMES


def credentials_from_settings() -> TokenProvider:
    """The provider the YC_* settings configure (settings.py has already checked them)."""
    return credentials_from_env(
        {name: getattr(settings, name, "") for name in ENV_NAMES},
        timeout=(settings.IMAGEDASH_CONNECT_TIMEOUT_S, settings.IMAGEDASH_READ_TIMEOUT_S),
    )


@functools.cache
def compute_client() -> ComputeClient:
    return ComputeClient(
        endpoint=settings.YC_COMPUTE_ENDPOINT,
        credentials=credentials_from_settings(),
        connect_timeout=settings.IMAGEDASH_CONNECT_TIMEOUT_S,
        read_timeout=settings.IMAGEDASH_READ_TIMEOUT_S,
        deadline=settings.IMAGEDASH_DEADLINE_S,
        max_body_bytes=settings.IMAGEDASH_MAX_BODY_BYTES,
    )


@receiver(setting_changed)
def _rebuild_client(*, setting: str, **kwargs: object) -> None:
    if setting.startswith(("YC_", "IMAGEDASH_")):
        compute_client.cache_clear()
