"""Intercom-style fixed-window rate limiting, shared by every token of the app."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from intercom_assets.emulator.config import EmulatorConfig


@dataclass(frozen=True)
class Quota:
    """One request's standing in its window, as the X-RateLimit-* headers report it."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class FixedWindowLimiter:
    """Windows are aligned to real epoch time so `X-RateLimit-Reset` is a real timestamp."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._window = -1
        self._used = 0

    def hit(self) -> Quota:
        length = self._config.window_seconds
        limit = self._config.rate_limit_per_window
        window = math.floor(time.time() / length)
        with self._lock:
            if window != self._window:
                self._window, self._used = window, 0
            self._used += 1
            used = self._used
        return Quota(
            allowed=used <= limit,
            limit=limit,
            remaining=max(0, limit - used),
            reset=math.ceil((window + 1) * length),
        )
