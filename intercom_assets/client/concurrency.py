"""How many requests to keep in flight, and how many response bytes the client may hold.

A fixed pool of N threads caps a sync at N / latency requests per second (16 threads at
1 s: 16/s of a 166/s budget). By Little's law the budget needs about rate x latency requests
in flight, so the controller sets its limit to that (with head-room) from the latency it
observes, within a ceiling that protects the process. It backs off when the server says
the budget is short: a 429 halves the limit until the window resets, and while a request
sent now would still count in the current window, no more requests are in flight than
`X-RateLimit-Remaining` leaves. Requests are gated here, in the transport, so GETs and
search windows share one limit.

Latency means more requests in flight, and each answered one holds a payload until the
consumer takes it, so memory is bounded by bytes, not counts: `PayloadBudget`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from intercom_assets.client.ratelimit import RateHeaders

DEFAULT_MAX_CONCURRENCY = 256  # 1.5 x what the 166/s budget needs at 1 s latency
# Decoded, a held body takes ~3x its bytes (tracemalloc in benchmarks/bound.py: 87 MiB of
# JSON trees for 30 MiB held), and the search of a backfill outruns its writer: at 32 MiB the
# job's peak RSS was that burst. 16 MiB keeps ~38 search pages (428 KiB each) or ~450
# 10x-body GETs (35 KiB) in flight.
DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024**2
# Before any latency is known: what a fixed pool used to run.
INITIAL_LIMIT = 16
# In flight = rate x latency x HEADROOM: latency jitter and pacing waits hold slots too.
HEADROOM = 1.3
# Weight of the newest latency sample in the moving average.
ALPHA = 0.1


class ConcurrencyController:
    """Call `acquire()` before a request and `release()` after it, whatever the outcome.

    `rate` returns the requests per second the budget allows (our ceiling or the server's).
    """

    def __init__(self, ceiling: int, rate: Callable[[], float]) -> None:
        if ceiling < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {ceiling}")
        self.ceiling = ceiling
        self._rate = rate
        self._cond = threading.Condition()
        self._in_flight = 0
        self.peak_in_flight = 0
        self.latency: float | None = None  # moving average, seconds
        self._target = min(INITIAL_LIMIT, ceiling)
        self._token = 0
        self._sent: dict[int, float] = {}  # token -> monotonic send time, for requests in flight
        self._halved: int | None = None  # limit after a 429, until `_halved_until`
        self._halved_until = 0.0  # epoch seconds
        self._remaining: int | None = None  # lowest X-RateLimit-Remaining of the window
        self._reset = 0.0  # epoch seconds at which that window ends

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def limit(self) -> int:
        """Requests allowed in flight right now."""
        with self._cond:
            return self._limit(time.time())

    def acquire(self) -> int:
        """Wait for a slot; returns a token for `sent` and `release`."""
        with self._cond:
            while self._in_flight >= self._limit(time.time()):
                # Re-evaluate at least every 50 ms: a window reset lifts the caps by itself,
                # and requests outstanding longer than the latency believed raise it.
                self._cond.wait(0.05)
                self._notice_slow_answers()
            self._in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
            self._token += 1
            return self._token

    def sent(self, token: int) -> None:
        """The request holding `token` leaves now, after the rate limiter's pacing.

        Only from here does its age say anything about latency: counted from `acquire`, the
        wait for a pacing slot or a window reset (seconds, when the budget is spent) looked
        like slow answers and swung the limit, and the threads behind it, to the ceiling.
        """
        with self._cond:
            self._sent[token] = time.monotonic()

    def release(
        self,
        token: int,
        latency: float | None,
        rate: RateHeaders | None,
        *,
        exhausted: bool = False,
    ) -> None:
        """Record a finished request; `latency` is None when there was no response."""
        now = time.time()
        with self._cond:
            self._in_flight -= 1
            self._sent.pop(token, None)
            if latency is not None and not exhausted:
                self._observe(latency)
            if rate is not None and rate.reset is not None:
                self._follow(rate, now, exhausted)
            self._cond.notify_all()

    def _observe(self, latency: float) -> None:
        average = latency if self.latency is None else self.latency
        self.latency = average + ALPHA * (latency - average)
        self._target = self._needed(self.latency)

    def _notice_slow_answers(self) -> None:
        """The oldest request in flight is a lower bound on latency, known before any answer:
        at 1 s the limit grows during the first second instead of after it."""
        if self._sent:
            oldest = time.monotonic() - min(self._sent.values())
            if oldest > (self.latency or 0.0):
                self._target = max(self._target, self._needed(oldest))

    def _needed(self, latency: float) -> int:
        """Little's law with head-room, within [1, ceiling]."""
        return max(1, min(self.ceiling, math.ceil(self._rate() * latency * HEADROOM) + 1))

    def _follow(self, rate: RateHeaders, now: float, exhausted: bool) -> None:
        reset = rate.reset or 0.0
        if exhausted:
            current = self._limit(now)
            self._halved = max(1, current // 2)
            self._halved_until = max(reset, now + 1.0)
            return
        if rate.remaining is None:
            return
        if reset > self._reset:
            self._reset, self._remaining = reset, rate.remaining
        elif reset == self._reset and self._remaining is not None:
            self._remaining = min(self._remaining, rate.remaining)

    def _limit(self, now: float) -> int:
        """The Little's-law target, lowered by a recent 429 and by a short window."""
        limit = self._target
        if self._halved is not None:
            if now < self._halved_until:
                limit = min(limit, self._halved)
            else:
                self._halved = None
        # Only while a request sent now would still be charged to the current window.
        if self._remaining is not None and now + (self.latency or 0.0) < self._reset:
            limit = min(limit, max(1, self._remaining))
        return limit


class PayloadBudget:
    """Response bytes in flight (estimated) and held until the consumer takes them, capped.

    One request is always let through when nothing is held, so a body larger than the cap
    cannot stall the client.
    """

    def __init__(self, cap_bytes: int) -> None:
        if cap_bytes < 1:
            raise ValueError(f"max_payload_bytes must be >= 1, got {cap_bytes}")
        self.cap = cap_bytes
        self._cond = threading.Condition()
        self._used = 0
        self.peak = 0

    @property
    def used(self) -> int:
        return self._used

    def reserve(self, estimate: int) -> None:
        with self._cond:
            while self._used > 0 and self._used + estimate > self.cap:
                self._cond.wait(0.05)
            self._used += estimate
            self.peak = max(self.peak, self._used)

    def settle(self, estimate: int, actual: int) -> None:
        """Replace a request's estimate with its body's real size (still held)."""
        with self._cond:
            self._used += actual - estimate
            self.peak = max(self.peak, self._used)
            self._cond.notify_all()

    def release(self, size: int) -> None:
        with self._cond:
            self._used -= size
            self._cond.notify_all()
