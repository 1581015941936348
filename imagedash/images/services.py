"""What the views call: look an image up (and record it), refresh its status."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.utils import timezone

from imagedash.images import selectors
from imagedash.images.fetch import Fetch, image_fetcher
from imagedash.images.ids import INVALID_IMAGE_ID_MESSAGE, InvalidImageId, parse_image_id
from imagedash.images.models import ImageSnapshot, Lookup, Outcome
from imagedash.yc import Image, ImageStatus, NotFound, YcError
from imagedash.yc.images import thaw


@dataclass(frozen=True)
class LookupResult:
    image_id: str
    outcome: Outcome
    lookup: Lookup
    image: Image | None = None
    error: YcError | None = None
    request_id: str = ""

    @property
    def invalid_id_message(self) -> str:
        return INVALID_IMAGE_ID_MESSAGE if self.outcome == Outcome.INVALID_ID else ""


@dataclass(frozen=True)
class StatusResult:
    image_id: str
    # An ImageStatus, the API's own text for a status this code does not know, or one of
    # "deleted", "not_found" and "unknown" (the API did not answer usefully).
    state: ImageStatus | str
    checked_at: datetime
    error: YcError | None = None

    @property
    def is_transitional(self) -> bool:
        return isinstance(self.state, ImageStatus) and self.state.is_transitional

    @property
    def keeps_polling(self) -> bool:
        return self.is_transitional or self.state == "unknown"


User = AbstractBaseUser | AnonymousUser | None


def image_lookup(*, image_id: str, user: User = None, browser_key: str = "") -> LookupResult:
    """Validate `image_id`, fetch the image and record the lookup (with what it looked like).

    A repeat of the same lookup from the same browser within a couple of seconds (a double
    click) is folded into the row already recorded. A signed-in user past
    IMAGEDASH_LOOKUPS_PER_MINUTE is refused before any upstream request (recorded as
    `rate_limited`).
    """
    who = user if user is not None and user.is_authenticated else None
    try:
        image_id = parse_image_id(image_id)
    except InvalidImageId:
        lookup = _lookup_record(
            image_id=image_id[:100], user=who, browser_key=browser_key, outcome=Outcome.INVALID_ID
        )
        return LookupResult(image_id=image_id, outcome=Outcome.INVALID_ID, lookup=lookup)
    if who is not None and _over_rate_limit(user=who, image_id=image_id, browser_key=browser_key):
        lookup = _lookup_record(
            image_id=image_id, user=who, browser_key=browser_key, outcome=Outcome.RATE_LIMITED
        )
        return LookupResult(image_id=image_id, outcome=Outcome.RATE_LIMITED, lookup=lookup)

    fetch = image_fetcher.get(image_id)
    image = fetch.fetched.image if fetch.fetched else None
    outcome = Outcome.FOUND if image else Outcome(fetch.error.kind)
    lookup = _lookup_record(
        image_id=image_id,
        user=who,
        browser_key=browser_key,
        outcome=outcome,
        fetch=fetch,
        image=image,
    )
    return LookupResult(
        image_id=image_id,
        outcome=outcome,
        lookup=lookup,
        image=image,
        error=fetch.error,
        request_id=fetch.request_id,
    )


def _over_rate_limit(*, user: AbstractBaseUser, image_id: str, browser_key: str) -> bool:
    """Whether `user` already made IMAGEDASH_LOOKUPS_PER_MINUTE lookups in the last 60 s.
    A repeat that will fold into a lookup just recorded (a double click) is not refused."""
    now = timezone.now()
    since = now - timedelta(seconds=60)
    if selectors.lookup_count_since(user=user, since=since) < settings.IMAGEDASH_LOOKUPS_PER_MINUTE:
        return False
    if browser_key:
        duplicate = selectors.lookup_recent_duplicate(
            image_id=image_id,
            browser_key=browser_key,
            since=now - timedelta(seconds=settings.IMAGEDASH_DUPLICATE_LOOKUP_WINDOW_S),
        )
        if duplicate is not None and duplicate.outcome != Outcome.RATE_LIMITED:
            return False
    return True


def image_status(*, image_id: str) -> StatusResult:
    """The image's current status for the live badge. Never records a lookup; stores a snapshot
    only when the status differs from the newest one stored for the id."""
    image_id = parse_image_id(image_id)
    fetch = image_fetcher.get(image_id)
    if fetch.fetched is not None:
        image = fetch.fetched.image
        if fetch.fresh:
            _snapshot_store_if_status_changed(image=image, seen_at=fetch.at)
        return StatusResult(image_id=image_id, state=image.status or "", checked_at=fetch.at)
    if isinstance(fetch.error, NotFound):
        newest = selectors.snapshot_newest(image_id=image_id)
        state = (
            "deleted"
            if newest is not None and newest.status == ImageStatus.DELETING
            else "not_found"
        )
        return StatusResult(image_id=image_id, state=state, checked_at=fetch.at)
    return StatusResult(image_id=image_id, state="unknown", checked_at=fetch.at, error=fetch.error)


def _lookup_record(
    *,
    image_id: str,
    user: AbstractBaseUser | None,
    browser_key: str,
    outcome: Outcome,
    fetch: Fetch | None = None,
    image: Image | None = None,
) -> Lookup:
    now = timezone.now()
    with transaction.atomic():
        if browser_key:
            _lock_for(f"lookup:{browser_key}:{image_id}")
            recent = selectors.lookup_recent_duplicate(
                image_id=image_id,
                browser_key=browser_key,
                since=now - timedelta(seconds=settings.IMAGEDASH_DUPLICATE_LOOKUP_WINDOW_S),
            )
            if recent is not None:
                return recent
        snapshot = _snapshot_store(image=image, seen_at=fetch.at) if image and fetch else None
        return Lookup.objects.create(
            image_id=image_id,
            created_at=now,
            user=user,
            browser_key=browser_key,
            outcome=outcome,
            upstream_status=fetch.http_status if fetch else None,
            upstream_request_id=fetch.request_id[:100] if fetch else "",
            duration_ms=fetch.duration_ms if fetch else 0,
            snapshot=snapshot,
        )


def _snapshot_store(*, image: Image, seen_at: datetime) -> ImageSnapshot:
    raw = thaw(image.raw)
    content = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    content_hash = hashlib.sha256(content.encode()).hexdigest()
    snapshot, created = ImageSnapshot.objects.get_or_create(
        image_id=image.id,
        content_hash=content_hash,
        defaults={
            "raw": raw,
            "name": (image.name or "")[:255],
            "status": str(image.status or "")[:32],
            "first_seen_at": seen_at,
            "last_seen_at": seen_at,
        },
    )
    if not created and snapshot.last_seen_at < seen_at:
        ImageSnapshot.objects.filter(pk=snapshot.pk, last_seen_at__lt=seen_at).update(
            last_seen_at=seen_at
        )
        snapshot.last_seen_at = seen_at
    return snapshot


def _snapshot_store_if_status_changed(*, image: Image, seen_at: datetime) -> None:
    newest = selectors.snapshot_newest(image_id=image.id)
    if newest is not None and newest.status == str(image.status or ""):
        return
    with transaction.atomic():
        _snapshot_store(image=image, seen_at=seen_at)


def _lock_for(key: str) -> None:
    """Serialise writers of one key until the transaction ends. SQLite needs nothing: its
    IMMEDIATE transactions already take the one write lock at BEGIN."""
    if connection.vendor == "postgresql":
        digest = int.from_bytes(
            hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [digest])
