"""HTML fragments rendered once and reused.

A status poll is the hot path (a whole team leaves tabs open) and, while the answer is cached,
every poll of an image shows the same badge. An image page shown again for the same lookup (a
double click, or a reload within the repeat window) shows the same article."""

from __future__ import annotations

import functools

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.urls import reverse

from imagedash.images.services import LookupResult, StatusResult

_ARTICLES: dict[tuple[object, ...], str] = {}


def badge_html(status: StatusResult, interval: float) -> str:
    # Only settled answers repeat: one with an error has a time and an exception of its own.
    if status.error is None:
        return _badge_html_memo(status, interval)
    return _badge_html(status, interval)


def _badge_html(status: StatusResult, interval: float) -> str:
    return render_to_string(
        "images/partials/badge.html",
        {
            "status": status,
            "state": str(status.state),
            "interval": f"{interval:g}",
            "status_url": reverse("images:status", kwargs={"image_id": status.image_id}),
        },
    )


_badge_html_memo = functools.lru_cache(maxsize=2048)(_badge_html)


def image_article_html(result: LookupResult, badge: str) -> str:
    """The image page's article for a found (or stale) lookup."""
    key = (
        result.lookup.pk,
        result.image.content_hash,
        result.stale_since,
        result.request_id,
        badge,
    )
    html = _ARTICLES.get(key)
    if html is None:
        context = {"result": result, "image": result.image, "badge_html": badge}
        html = render_to_string("images/partials/image_article.html", context)
        if len(_ARTICLES) >= 1024:
            _ARTICLES.clear()
        _ARTICLES[key] = html
    return html


@receiver(setting_changed)
def _forget_rendered(**kwargs: object) -> None:
    _badge_html_memo.cache_clear()
    _ARTICLES.clear()
