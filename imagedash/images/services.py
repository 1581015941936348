"""What the views call: look an image up (and record it), refresh its status."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from imagedash.images import selectors
from imagedash.images.caching import cache_call
from imagedash.images.fetch import Fetch, image_fetcher
from imagedash.images.ids import InvalidImageId, parse_image_id
from imagedash.images.models import ImageSnapshot, Lookup, Outcome
from imagedash.yc import Image, ImageStatus, NotFound, YcError, parse_image
from imagedash.yc.images import thaw


@dataclass(frozen=True)
class LookupResult:
    image_id: str
    outcome: Outcome
    lookup: Lookup
    image: Image | None = None
    error: YcError | None = None
    request_id: str = ""
    # Set when Yandex Cloud did not answer and `image` is the newest snapshot stored instead.
    stale_since: datetime | None = None
    # When Yandex Cloud was asked (this request, or the call whose cached answer it got).
    checked_at: datetime | None = None

    @property
    def status(self) -> StatusResult:
        """What the page's badge starts from."""
        return StatusResult(
            image_id=self.image_id,
            state=(self.image.status or "") if self.image else "unknown",
            checked_at=self.checked_at or self.lookup.created_at,
            error=self.error,
            stale_since=self.stale_since,
        )

    @property
    def refused_by_rate_limit(self) -> bool:
        """The user's own lookup limit, not Yandex Cloud's (that one has an error)."""
        return self.outcome == Outcome.RATE_LIMITED and self.error is None

    @property
    def refused_as_invalid_id(self) -> bool:
        """The dashboard's own validator refused the id (nothing was sent)."""
        return self.outcome == Outcome.INVALID_ID and self.error is None


@dataclass(frozen=True)
class StatusResult:
    image_id: str
    # An ImageStatus, the API's own text for a status this code does not know, or one of
    # "deleted", "not_found" and "unknown" (the API did not answer usefully).
    state: ImageStatus | str
    checked_at: datetime
    error: YcError | None = None
    # Set when Yandex Cloud did not answer and `state` is the newest snapshot's.
    stale_since: datetime | None = None

    @property
    def keeps_polling(self) -> bool:
        moving = self.state in (ImageStatus.CREATING, ImageStatus.DELETING)
        return moving or self.state == "unknown" or self.stale_since is not None


User = AbstractBaseUser | AnonymousUser | None


def image_lookup(*, image_id: str, user: User = None, browser_key: str = "") -> LookupResult:
    """Validate `image_id`, fetch the image and record the lookup (with what it looked like).

    A repeat of the same lookup from the same browser within a couple of seconds (a double
    click) is folded into the row already recorded. A signed-in user past
    IMAGEDASH_LOOKUPS_PER_MINUTE is refused before any upstream request (recorded as
    `rate_limited`). The row is written before the upstream call, under a per-user lock, so that
    lookups sent all at once cannot slip past the limit together.
    """
    who = user if user is not None and user.is_authenticated else None
    text = image_id
    try:
        image_id = parse_image_id(text)
    except InvalidImageId:
        # PostgreSQL text cannot hold NUL characters; nor need the history.
        recorded = text[:100].replace("\x00", "\ufffd")
        lookup, _ = _lookup_reserve(
            image_id=recorded, user=who, browser_key=browser_key, outcome=Outcome.INVALID_ID
        )
        return LookupResult(image_id=text, outcome=Outcome(lookup.outcome), lookup=lookup)
    since = timezone.now() - timedelta(seconds=settings.IMAGEDASH_DUPLICATE_LOOKUP_WINDOW_S)
    lookup = _repeat_of(image_id=image_id, browser_key=browser_key, since=since)
    reserved = False
    if lookup is None:
        # Outcome "timeout" until the call returns: what it stays if this process dies mid-call.
        lookup, reserved = _lookup_reserve(
            image_id=image_id, user=who, browser_key=browser_key, outcome=Outcome.TIMEOUT
        )
        if lookup.outcome == Outcome.RATE_LIMITED:
            return LookupResult(image_id=image_id, outcome=Outcome.RATE_LIMITED, lookup=lookup)

    fetch = image_fetcher.get(image_id)
    image = fetch.fetched.image if fetch.fetched else None
    outcome = Outcome.FOUND if image else Outcome(fetch.error.kind)
    stale = None
    if fetch.error is not None and fetch.error.is_outage:
        stale = selectors.snapshot_newest(image_id=image_id, with_raw=True)
    if reserved:
        _lookup_complete(lookup=lookup, outcome=outcome, fetch=fetch, image=image, stale=stale)
        if browser_key:
            timeout = settings.IMAGEDASH_DUPLICATE_LOOKUP_WINDOW_S
            cache_call(cache.set, _repeat_key(browser_key, image_id), lookup, timeout=timeout)
    return LookupResult(
        image_id=image_id,
        outcome=outcome,
        lookup=lookup,
        image=image or (parse_image(stale.raw) if stale else None),
        error=fetch.error,
        request_id=fetch.request_id,
        stale_since=stale.last_seen_at if stale else None,
        checked_at=fetch.at,
    )


def _repeat_of(*, image_id: str, browser_key: str, since: datetime) -> Lookup | None:
    """The lookup this one repeats (same browser and id, within the window), if any: from the
    cache when this process (or Redis) has it, else by a plain read that takes no write lock."""
    if not browser_key:
        return None
    key = _repeat_key(browser_key, image_id)
    repeat = cache_call(cache.get, key)
    if not isinstance(repeat, Lookup) or repeat.created_at < since:
        repeat = selectors.lookup_recent_duplicate(
            image_id=image_id, browser_key=browser_key, since=since
        )
        if repeat is not None and repeat.duration_ms:  # complete: worth keeping at hand
            left = (repeat.created_at - since).total_seconds()
            cache_call(cache.set, key, repeat, timeout=max(left, 0.1))
    return repeat


def _repeat_key(browser_key: str, image_id: str) -> str:
    return f"lookup-repeat:{browser_key}:{image_id}"


def _over_rate_limit(*, user: AbstractBaseUser) -> bool:
    """Whether `user` already made IMAGEDASH_LOOKUPS_PER_MINUTE lookups in the last 60 s."""
    since = timezone.now() - timedelta(seconds=60)
    return selectors.lookup_count_since(user=user, since=since) >= (
        settings.IMAGEDASH_LOOKUPS_PER_MINUTE
    )


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
    newest = selectors.snapshot_newest(image_id=image_id)
    if isinstance(fetch.error, NotFound):
        deleted = newest is not None and newest.status == ImageStatus.DELETING
        return StatusResult(
            image_id=image_id, state="deleted" if deleted else "not_found", checked_at=fetch.at
        )
    if fetch.error.is_outage and newest is not None:
        return StatusResult(
            image_id=image_id,
            state=newest.status,
            checked_at=fetch.at,
            error=fetch.error,
            stale_since=newest.last_seen_at,
        )
    return StatusResult(image_id=image_id, state="unknown", checked_at=fetch.at, error=fetch.error)


def _lookup_reserve(
    *, image_id: str, user: AbstractBaseUser | None, browser_key: str, outcome: Outcome
) -> tuple[Lookup, bool]:
    """Record a lookup with `outcome`, or as refused for the user's rate limit, or find the one
    it repeats: (the row, whether this call wrote it). Counting and writing share one lock."""
    now = timezone.now()
    since = now - timedelta(seconds=settings.IMAGEDASH_DUPLICATE_LOOKUP_WINDOW_S)
    with transaction.atomic():
        _lock_for(f"lookups:{user.pk}" if user is not None else f"lookups:{browser_key}")
        if browser_key:
            recent = selectors.lookup_recent_duplicate(
                image_id=image_id, browser_key=browser_key, since=since
            )
            if recent is not None:
                return recent, False
        refused = user is not None and _over_rate_limit(user=user)
        lookup = Lookup.objects.create(
            image_id=image_id,
            created_at=now,
            user=user,
            browser_key=browser_key,
            outcome=Outcome.RATE_LIMITED if refused else outcome,
        )
        return lookup, True


def _lookup_complete(
    *,
    lookup: Lookup,
    outcome: Outcome,
    fetch: Fetch,
    image: Image | None,
    stale: ImageSnapshot | None,
) -> None:
    """Fill in a reserved lookup with what the upstream call gave."""
    lookup.outcome = outcome
    lookup.upstream_status = fetch.http_status
    lookup.upstream_request_id = fetch.request_id[:100]
    lookup.duration_ms = max(1, fetch.duration_ms)
    with transaction.atomic():
        lookup.snapshot = _snapshot_store(image=image, seen_at=fetch.at) if image else stale
        lookup.save(
            update_fields=[
                "outcome",
                "upstream_status",
                "upstream_request_id",
                "duration_ms",
                "snapshot",
            ]
        )


def _snapshot_store(*, image: Image, seen_at: datetime) -> ImageSnapshot:
    snapshot, created = ImageSnapshot.objects.get_or_create(
        image_id=image.id,
        content_hash=image.content_hash,
        defaults={
            "raw": thaw(image.raw),
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
