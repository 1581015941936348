"""Fault injection for the emulator: make it slow, broken or flooded, per image id or for all.

Faults are set over the emulator's own admin endpoint (`/emulator/faults`, which the dashboard
cannot reach: image ids never contain a slash) or from `EMULATOR_FAULTS` (JSON) at start. A fault
is a JSON object with one or more of:

- `latency`: seconds to wait before answering;
- `trickle`: seconds between single bytes of the body (a server that never quite stops talking);
- `html`: answer with this HTTP status and an HTML error page, as a proxy would;
- `empty`: answer 200 with an empty body;
- `truncated`: answer 200 with the first half of the real JSON;
- `oversized`: answer 200 with a JSON body of this many bytes (`declare_length`: send a
  Content-Length header, default false, so that only reading finds out);
- `statuses`: a list of HTTP statuses answered one per request (429, 503, 504 or 200 for the
  normal answer), after which the fault is used up;
- `reset`: close the connection without answering.
"""

from __future__ import annotations

import json
import threading
from typing import Any

ALL = "*"
_KNOWN = {
    "latency",
    "trickle",
    "html",
    "empty",
    "truncated",
    "oversized",
    "declare_length",
    "statuses",
    "reset",
}


class Faults:
    def __init__(self, initial: dict[str, dict[str, Any]] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, dict[str, Any]] = {}
        for target, fault in (initial or {}).items():
            self.set(target, fault)

    @classmethod
    def from_json(cls, text: str) -> Faults:
        return cls(json.loads(text) if text.strip() else None)

    def set(self, target: str, fault: dict[str, Any]) -> None:
        unknown = set(fault) - _KNOWN
        if unknown:
            raise ValueError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        with self._lock:
            self._faults[target] = dict(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return json.loads(json.dumps(self._faults))

    def take(self, image_id: str) -> dict[str, Any]:
        """The fault for this request (the id's own, else the global one), consuming one step
        of a `statuses` sequence."""
        with self._lock:
            target = image_id if image_id in self._faults else ALL
            fault = self._faults.get(target)
            if fault is None:
                return {}
            current = dict(fault)
            statuses = fault.get("statuses")
            if statuses:
                current["status"] = statuses[0]
                remaining = statuses[1:]
                if remaining:
                    fault["statuses"] = remaining
                else:
                    del fault["statuses"]
                    if not fault:
                        del self._faults[target]
            current.pop("statuses", None)
            return current
