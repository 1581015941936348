"""Reads of the lookup history."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from imagedash.images.models import ImageSnapshot, Lookup, Outcome


def lookup_list() -> QuerySet[Lookup]:
    """Lookups, newest first, with what a list shows and without the raw JSON."""
    return (
        Lookup.objects.select_related("snapshot", "user")
        .defer("snapshot__raw")
        .order_by("-created_at", "-id")
    )


def lookup_list_visible_to(viewer: AbstractBaseUser | AnonymousUser) -> QuerySet[Lookup]:
    """The history `viewer` may see: everyone's for staff, their own for everyone else."""
    if not viewer.is_authenticated:
        return lookup_list().none()
    if viewer.is_staff:
        return lookup_list()
    return lookup_list().filter(user=viewer)


def lookup_count_since(*, user: AbstractBaseUser, since: datetime) -> int:
    """How many lookups `user` made since `since`, not counting refused (rate-limited) ones."""
    return (
        Lookup.objects.filter(user=user, created_at__gte=since)
        .exclude(outcome=Outcome.RATE_LIMITED)
        .count()
    )


def lookup_recent_duplicate(*, image_id: str, browser_key: str, since: datetime) -> Lookup | None:
    """The lookup a new one from this browser repeats, if any (refusals are never repeated)."""
    return (
        Lookup.objects.filter(image_id=image_id, browser_key=browser_key, created_at__gte=since)
        .exclude(outcome=Outcome.RATE_LIMITED)
        .order_by("-created_at")
        .first()
    )


def snapshot_newest(*, image_id: str, with_raw: bool = False) -> ImageSnapshot | None:
    snapshots = ImageSnapshot.objects.filter(image_id=image_id)
    if not with_raw:
        snapshots = snapshots.defer("raw")
    return snapshots.order_by("-last_seen_at", "-id").first()
