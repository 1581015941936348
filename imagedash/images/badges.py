"""The live badge's HTML. A poll is the hot path (a whole team leaves tabs open), and while the
answer is cached every poll of an image shows the same thing: render it once."""

from __future__ import annotations

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse

from imagedash.images.services import StatusResult


@functools.lru_cache(maxsize=2048)
def badge_html(status: StatusResult, interval: str) -> str:
    return render_to_string(
        "images/partials/badge.html",
        {
            "status": status,
            "state": str(status.state),
            "interval": interval,
            "status_url": reverse("images:status", kwargs={"image_id": status.image_id}),
        },
    )


@receiver(setting_changed)
def _forget_rendered(**kwargs: object) -> None:
    badge_html.cache_clear()
