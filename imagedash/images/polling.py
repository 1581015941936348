"""How often a live badge asks again: every few seconds while the status moves, backing off
while nothing changes. The badge sends back what it showed and its interval."""

from __future__ import annotations

import math

from django.conf import settings


def next_interval(*, shown: str, current: str, interval: str | None) -> float:
    base = settings.IMAGEDASH_POLL_INTERVAL_S
    cap = settings.IMAGEDASH_POLL_INTERVAL_MAX_S
    if shown != current:
        return base
    try:
        previous = float(interval or base)
    except ValueError:
        previous = base
    if math.isnan(previous):
        previous = base
    return min(max(previous, base) * 2, cap)
