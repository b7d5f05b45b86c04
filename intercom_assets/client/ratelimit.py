"""One rate limiter shared by every thread of a client.

Two rules, both needed:
- our own ceiling: requests are paced evenly at `max_requests_per_minute`, so no 10-second
  window ever sees more than max_rpm / 6 (+1) of our requests;
- the server's view: Intercom's budget is per app (or workspace), so another process may be
  spending it too. Every response reports what is left in the current window; we spread that
  over the time to `X-RateLimit-Reset`, and when it gets low relative to the requests we have
  in flight (plus head-room for another client's), all threads wait for the reset.
  This is what lets two runs share one budget with almost no 429s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

# Never trust a reset further away than this (clock skew, or a bogus header).
MAX_WAIT_SECONDS = 60.0
# Wake a little after the reset so the server's window has surely rolled over.
RESET_MARGIN_SECONDS = 0.05


@dataclass(frozen=True)
class RateHeaders:
    """The X-RateLimit-* headers of one response (None when absent or unparseable)."""

    limit: int | None
    remaining: int | None
    reset: float | None

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> RateHeaders:
        def number(name: str) -> float | None:
            try:
                return float(headers[name])
            except (KeyError, TypeError, ValueError):
                return None

        limit, remaining = number("X-RateLimit-Limit"), number("X-RateLimit-Remaining")
        return cls(
            limit=int(limit) if limit is not None else None,
            remaining=int(remaining) if remaining is not None else None,
            reset=number("X-RateLimit-Reset"),
        )


class RateLimiter:
    """Call `acquire()` before each request and `release()` after it, whatever the outcome."""

    def __init__(self, max_requests_per_minute: int, *, concurrency: int) -> None:
        self._interval = 60.0 / max_requests_per_minute
        self._concurrency = concurrency
        self._lock = threading.Lock()
        self._next_slot = time.monotonic()
        self._in_flight = 0
        self._limit: int | None = None
        self._reset_at = 0.0  # epoch seconds at which the server window we know of ends
        self._remaining: int | None = None  # lowest remaining reported in that window

    def acquire(self) -> None:
        """Block until the server window has room and our pacing slot has come."""
        while True:
            with self._lock:
                now_wall, now = time.time(), time.monotonic()
                slot = max(now, self._next_slot)
                wait, spacing = self._server_pace(now_wall, now_wall + slot - now)
                if wait <= 0:
                    self._next_slot = slot + max(self._interval, spacing)
                    self._in_flight += 1
                    break
            time.sleep(wait)
        if slot > now:
            time.sleep(slot - now)

    def release(self, rate: RateHeaders | None, *, exhausted: bool = False) -> None:
        """Record a finished request. `exhausted` (a 429) closes the window until its reset."""
        with self._lock:
            self._in_flight -= 1
            if rate is None or rate.reset is None:
                return
            remaining = 0 if exhausted else rate.remaining
            if remaining is None:
                return
            if rate.limit is not None:
                self._limit = rate.limit
            reset = min(rate.reset, time.time() + MAX_WAIT_SECONDS)
            if reset > self._reset_at:
                self._reset_at, self._remaining = reset, remaining
            elif reset == self._reset_at:
                current = self._remaining if self._remaining is not None else remaining
                self._remaining = min(current, remaining)

    def _server_pace(self, now: float, start: float) -> tuple[float, float]:
        """(seconds to wait for the next window, spacing after a request sent at `start`).

        Epoch seconds; lock held. Spreading what is left of the window over the time left
        after the requests already scheduled keeps clients that share one budget from draining
        it early: each slows down as the server's `remaining` falls, whoever spent it.
        """
        if self._remaining is None or start >= self._reset_at:
            return 0.0, 0.0
        budget = self._remaining - self._in_flight - self._reserve()
        if budget <= 0:
            return self._reset_at - now + RESET_MARGIN_SECONDS, 0.0
        return 0.0, (self._reset_at - start) / budget

    def _reserve(self) -> int:
        """Head-room for other clients' in-flight requests (at most a quarter of the window)."""
        if self._limit is None:
            return 0
        return min(self._concurrency, self._limit // 4)
