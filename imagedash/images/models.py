from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from imagedash.images.ids import InvalidImageId, parse_image_id


class Outcome(models.TextChoices):
    FOUND = "found", "found"
    NOT_FOUND = "not_found", "not found"
    PERMISSION_DENIED = "permission_denied", "no access"
    INVALID_ID = "invalid_id", "invalid id"
    UNAUTHENTICATED = "unauthenticated", "credentials rejected"
    RATE_LIMITED = "rate_limited", "rate limited"
    UNAVAILABLE = "unavailable", "unavailable"
    BAD_RESPONSE = "bad_response", "bad response"
    TIMEOUT = "timeout", "timed out"


class ImageSnapshot(models.Model):
    """What the API returned for an image, stored once per distinct content."""

    image_id = models.CharField(max_length=50)
    content_hash = models.CharField(max_length=64)
    raw = models.JSONField()
    # Copied out of `raw` so that lists and status checks need not load and parse it.
    name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=32, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["image_id", "content_hash"], name="snapshot_unique_content"
            )
        ]
        indexes = [models.Index(fields=["image_id", "-last_seen_at"], name="snapshot_newest")]

    def __str__(self) -> str:
        return f"{self.image_id} ({self.status or 'no status'}) {self.content_hash[:12]}"


class Lookup(models.Model):
    """One user-initiated lookup: a form submission or an opened permalink."""

    image_id = models.CharField(max_length=100, help_text="As entered, cut to 100 characters.")
    created_at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    # A random id kept in the browser's session, to fold a double-click into one lookup.
    browser_key = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=32, choices=Outcome.choices)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    upstream_request_id = models.CharField(max_length=100, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    snapshot = models.ForeignKey(
        ImageSnapshot, null=True, blank=True, on_delete=models.PROTECT, related_name="lookups"
    )

    class Meta:
        indexes = [
            models.Index(fields=["-created_at"], name="lookup_latest"),
            models.Index(fields=["image_id", "-created_at"], name="lookup_by_image"),
            # A user's own history, and the per-user rate limit's count of the last minute.
            models.Index(fields=["user", "-created_at"], name="lookup_by_user"),
        ]

    def __str__(self) -> str:
        return f"{self.image_id} {self.outcome} at {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def has_permalink(self) -> bool:
        """Whether `image_id` is an id (not text refused as one) with a page to link to."""
        try:
            return parse_image_id(self.image_id) == self.image_id
        except InvalidImageId:
            return False
