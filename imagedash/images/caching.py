"""The shared cache (Redis with REDIS_URL, else this process's memory), as an accelerator only:
when it fails, everything works without it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


def cache_call(operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`operation(*args, **kwargs)` on the cache; None when the cache is down."""
    try:
        return operation(*args, **kwargs)
    except Exception as error:
        log.warning("shared cache unavailable: %s", type(error).__name__)
        return None
