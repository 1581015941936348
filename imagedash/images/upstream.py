"""The process's Compute API client, built once from settings."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from imagedash.yc import ComputeClient, NoCredentials, StaticToken, TokenProvider


def credentials_from_settings() -> TokenProvider:
    if settings.YC_TOKEN:
        return StaticToken(settings.YC_TOKEN)
    return NoCredentials()


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
