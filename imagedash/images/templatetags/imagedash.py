from __future__ import annotations

import json
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import template
from django.utils import timezone

from imagedash.yc.images import thaw

register = template.Library()

_BINARY_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]


@register.filter
def binary_size(value: int | None) -> str:
    """The size in the largest binary unit in which it is at least 1, with up to two decimals."""
    if value is None:
        return "—"
    number = int(value)
    if abs(number) < 1024:
        return f"{number} B"
    exponent = 0
    while exponent < len(_BINARY_UNITS) - 1 and abs(number) >= 1024 ** (exponent + 1):
        exponent += 1
    scaled = (Decimal(number) / Decimal(1024**exponent)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    text = f"{scaled:f}".rstrip("0").rstrip(".")
    return f"{text} {_BINARY_UNITS[exponent]}"


@register.filter
def age(moment: datetime | None) -> str:
    """'N days ago' (hours or minutes for the last day)."""
    if moment is None:
        return ""
    seconds = (timezone.now() - moment).total_seconds()
    if seconds < 0:
        return "in the future"
    for unit, length in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count = int(seconds // length)
        if count >= 1:
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(thaw(value), indent=2, ensure_ascii=False, sort_keys=False)


@register.filter
def os_name(os_type: str | None) -> str:
    return {"LINUX": "Linux", "WINDOWS": "Windows"}.get(os_type or "", os_type or "—")


_BADGE_TEXT = {
    "CREATING": "Creating",
    "READY": "Ready",
    "ERROR": "Error",
    "DELETING": "Deleting",
    "deleted": "Deleted",
    "not_found": "Not found",
    "unknown": "Status unknown",
    "": "No status",
}


@register.filter
def badge_text(state: str) -> str:
    return _BADGE_TEXT.get(state, state)


@register.filter
def badge_class(state: str) -> str:
    return {
        "CREATING": "moving",
        "DELETING": "moving",
        "READY": "ok",
        "ERROR": "bad",
        "deleted": "gone",
        "not_found": "gone",
        "unknown": "unknown",
    }.get(state, "other")
