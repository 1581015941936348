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
    """'N days ago' (whole days: '0 days ago' the first day)."""
    if moment is None:
        return ""
    seconds = (timezone.now() - moment).total_seconds()
    if seconds < 0:
        return "in the future"
    days = int(seconds // 86400)
    return "1 day ago" if days == 1 else f"{days} days ago"


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(thaw(value), indent=2, ensure_ascii=False, sort_keys=False)


@register.filter
def os_name(os_type: str | None) -> str:
    return {"LINUX": "Linux", "WINDOWS": "Windows"}.get(os_type or "", os_type or "—")


# The API's statuses as the API (and the team) writes them; the dashboard's own states in words.
_BADGE_TEXT = {
    "deleted": "deleted",
    "not_found": "not found",
    "unknown": "status unknown",
    "": "no status",
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
