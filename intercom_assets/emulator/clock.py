"""The emulator's data clock: what "now" means for generated history and mutations."""

from __future__ import annotations

import threading
import time


class Clock:
    """A pinned clock when a start time is given (reproducible tests), else real time.

    Either way `set_now` / `advance` move it, so tests can make `updated_at` jump forward.
    """

    def __init__(self, start: int | None) -> None:
        self._lock = threading.Lock()
        self._follow_real_time = start is None
        self._offset = 0 if start is None else start

    def now(self) -> int:
        with self._lock:
            return self._offset + (int(time.time()) if self._follow_real_time else 0)

    def set_now(self, ts: int) -> None:
        with self._lock:
            self._offset = ts - (int(time.time()) if self._follow_real_time else 0)

    def advance(self, seconds: int) -> int:
        with self._lock:
            self._offset += seconds
        return self.now()
