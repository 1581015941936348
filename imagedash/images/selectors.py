"""Reads of the lookup history."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from imagedash.images.models import ImageSnapshot, Lookup


def lookup_list() -> QuerySet[Lookup]:
    """Lookups, newest first, with what a list shows and without the raw JSON."""
    return (
        Lookup.objects.select_related("snapshot", "user")
        .defer("snapshot__raw")
        .order_by("-created_at", "-id")
    )


def lookup_recent_duplicate(*, image_id: str, browser_key: str, since: datetime) -> Lookup | None:
    return (
        Lookup.objects.filter(image_id=image_id, browser_key=browser_key, created_at__gte=since)
        .order_by("-created_at")
        .first()
    )


def snapshot_newest(*, image_id: str, with_raw: bool = False) -> ImageSnapshot | None:
    snapshots = ImageSnapshot.objects.filter(image_id=image_id)
    if not with_raw:
        snapshots = snapshots.defer("raw")
    return snapshots.order_by("-last_seen_at", "-id").first()
