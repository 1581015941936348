"""Demo images whose status moves, so that the live badge has something to follow.

Their clock starts when the emulator is first asked for them, so a newcomer who opens one sees it
move whenever they start; `replay_after` seconds after it settled, the story starts again.
They are marked with the label `imagedash-demo` and are not real records.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

CREATING_ID = "fd8demo1creating0001"
DELETING_ID = "fd8demo2deleting0001"
ERROR_ID = "fd8demo3error0000001"

_BASE = {
    "folderId": "standard-images",
    "family": "ubuntu-2404-lts",
    "storageSize": "3535798272",
    "minDiskSize": "10737418240",
    "productIds": ["f2etcm6v6bqt8iho5pu3"],
    "os": {"type": "LINUX"},
    "labels": {"imagedash-demo": "true"},
    "description": "Demo image served by the imagedash emulator; its status changes over time.",
}


class DemoImages:
    def __init__(
        self,
        *,
        transition_seconds: float = 20.0,
        replay_after: float = 300.0,
        clock: Callable[[], float] = time.time,
    ):
        self.transition_seconds = transition_seconds
        self.replay_after = replay_after
        self._clock = clock
        self._first_seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def ids(self) -> list[str]:
        return [CREATING_ID, DELETING_ID, ERROR_ID]

    def get(self, image_id: str) -> dict[str, Any] | None:
        """The image as it is now, or None if there is no such demo image (any more)."""
        if image_id not in (CREATING_ID, DELETING_ID, ERROR_ID):
            return None
        now = self._clock()
        with self._lock:
            started = self._first_seen.setdefault(image_id, now)
            if now - started >= self.transition_seconds + self.replay_after:
                started = self._first_seen[image_id] = now
        settled = now - started >= self.transition_seconds
        image = copy.deepcopy(_BASE)
        image["id"] = image_id
        image["createdAt"] = _rfc3339(started)
        if image_id == CREATING_ID:
            image["name"] = "demo-ubuntu-2404-building"
            image["status"] = "READY" if settled else "CREATING"
        elif image_id == DELETING_ID:
            if settled:
                return None
            image["name"] = "demo-ubuntu-2404-being-deleted"
            image["status"] = "DELETING"
        else:
            image["name"] = "demo-ubuntu-2404-broken"
            image["status"] = "ERROR"
        return image

    def reset(self) -> None:
        with self._lock:
            self._first_seen.clear()


def _rfc3339(moment: float) -> str:
    return (
        datetime.fromtimestamp(moment, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )
