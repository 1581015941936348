"""The Compute `Image` resource, parsed from its REST (proto3 JSON) form.

proto3 JSON leaves out every field that holds its default and adds new fields without notice, so
every field here is optional and unknown fields survive in `raw`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from imagedash.yc.errors import BadResponse


class ImageStatus(StrEnum):
    CREATING = "CREATING"
    READY = "READY"
    ERROR = "ERROR"
    DELETING = "DELETING"

    @property
    def is_transitional(self) -> bool:
        return self in (ImageStatus.CREATING, ImageStatus.DELETING)


@dataclass(frozen=True)
class Image:
    id: str
    raw: Mapping[str, Any]
    # sha256 of the canonical JSON (sorted keys): equal for equal content, whatever key order.
    content_hash: str = ""
    folder_id: str | None = None
    created_at: datetime | None = None
    name: str | None = None
    description: str | None = None
    labels: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    family: str | None = None
    storage_size: int | None = None
    min_disk_size: int | None = None
    size: int | None = None
    product_ids: tuple[str, ...] = ()
    # An ImageStatus, or the API's text as is for a value this code does not know yet.
    status: ImageStatus | str | None = None
    os_type: str | None = None
    pooled: bool = False

    @property
    def is_transitional(self) -> bool:
        return isinstance(self.status, ImageStatus) and self.status.is_transitional


def parse_image(data: Any) -> Image:
    """Build an `Image` from decoded JSON; `BadResponse` if it is not an image at all."""
    if not isinstance(data, dict):
        raise BadResponse("the response is JSON but not an object")
    image_id = data.get("id")
    if not isinstance(image_id, str) or not image_id:
        raise BadResponse("the response is JSON but has no image id")
    os_info = data.get("os")
    return Image(
        id=image_id,
        raw=_freeze(data),
        content_hash=hashlib.sha256(canonical_json(data).encode()).hexdigest(),
        folder_id=_text(data, "folderId"),
        created_at=_timestamp(data, "createdAt"),
        name=_text(data, "name"),
        description=_text(data, "description"),
        labels=MappingProxyType(_labels(data.get("labels"))),
        family=_text(data, "family"),
        storage_size=_int64(data, "storageSize"),
        min_disk_size=_int64(data, "minDiskSize"),
        size=_int64(data, "size"),
        product_ids=tuple(p for p in data.get("productIds") or () if isinstance(p, str)),
        status=_status(data.get("status")),
        os_type=_text(os_info, "type") if isinstance(os_info, dict) else None,
        pooled=data.get("pooled") is True,
    )


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({key: _freeze(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """The plain dicts and lists behind a frozen value, for json.dumps and JSONField."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [thaw(item) for item in value]
    return value


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _labels(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(key): str(item) for key, item in value.items() if item is not None}


def _int64(data: Mapping[str, Any], key: str) -> int | None:
    # proto3 JSON writes int64 as a string; accept a bare number too, refuse anything else.
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value):
        return int(value)
    return None


def _status(value: Any) -> ImageStatus | str | None:
    if not isinstance(value, str) or not value or value == "STATUS_UNSPECIFIED":
        return None
    try:
        return ImageStatus(value)
    except ValueError:
        return value


_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}:\d{2})"
    r"(?:\.(?P<fraction>\d{1,9}))?(?P<zone>[Zz]|[+-]\d{2}:\d{2})"
)


def parse_timestamp(text: str) -> datetime | None:
    """RFC 3339 with 0 to 9 fractional digits, as an aware UTC datetime (microsecond precision)."""
    match = _RFC3339.fullmatch(text.strip())
    if not match:
        return None
    zone = match["zone"]
    offset = "+00:00" if zone in ("Z", "z") else zone
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{match['time']}{offset}")
    except ValueError:
        return None
    fraction = match["fraction"]
    if fraction:
        moment += timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
    return moment.astimezone(UTC)


def _timestamp(data: Mapping[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    return parse_timestamp(value) if isinstance(value, str) else None
