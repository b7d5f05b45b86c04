"""One rate limiter shared by every thread of a client.

Two rules, both needed:
- our own ceiling: requests are paced evenly at `max_requests_per_minute`, so no 10-second
  window ever sees more than max_rpm / 6 (+1) of our requests;
- the server's view: Intercom's budget is per app (or workspace), so another process may be
  spending it too. Every response reports what is left in the current window; what is left
  after our requests in flight is spread over the part of the window a request sent now is
  charged to, and when nothing is left all threads wait for `X-RateLimit-Reset`. Once the
  server's use shows another client, head-room for its in-flight requests is kept too. This
  is what lets two runs share one budget with almost no 429s, without talking to each other.

With hundreds of milliseconds of latency it matters *when* the server charges a request: on
arrival (then requests sent in the last moments of a window count in it) or when it answers
(then they count in the next window, and stopping early would waste a latency's worth of
every window: 10 % at 1 s). That cannot be configured away, so it is measured: a request
sent before a window's reset and answered after it carries the old reset if it was charged
on arrival and the new one if it was charged later. The fraction that carry the new one,
times the latency, is how long after sending a request is charged.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# Never trust a reset further away than this (clock skew, or a bogus header).
MAX_WAIT_SECONDS = 60.0
# Wake a little after the reset so the server's window has surely rolled over.
RESET_MARGIN_SECONDS = 0.05
# How far ahead a pacing slot is taken; waits longer than this re-check the budget.
POLL_SECONDS = 0.05
# How much later than its slot a request may really leave (a busy GIL, connection setup).
SEND_SLACK_SECONDS = 0.02
# Intercom's window, assumed until two successive resets tell the real one.
DEFAULT_WINDOW_SECONDS = 10.0
# Share of the average latency a request surely takes (jitter of up to 50 %).
LATENCY_SAFETY = 0.5


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


@dataclass(frozen=True)
class Ticket:
    """When a request was let through, and the end of the window known at that moment."""

    sent: float  # epoch seconds
    window_end: float


class RateLimiter:
    """Call `acquire()` before each request and `release()` with its ticket after it.

    `latency` returns the observed request latency in seconds (0 while unknown).
    """

    def __init__(
        self, max_requests_per_minute: int, *, latency: Callable[[], float] = lambda: 0.0
    ) -> None:
        self._interval = 60.0 / max_requests_per_minute
        self._latency = latency
        self._lock = threading.Lock()
        self._last_slot = time.monotonic() - self._interval
        self._in_flight = 0
        self._sent: list[float] = []  # send times (epoch) of requests in flight, ascending
        self._limit: int | None = None
        self._window_seconds: float | None = None  # from successive X-RateLimit-Reset values
        self._reset_at = 0.0  # epoch seconds at which the server window we know of ends
        self._remaining: int | None = None  # lowest remaining reported in that window
        self._remaining_sent = 0.0  # when the request that reported it was sent
        self._answered = 0  # our responses charged to that window
        self._shared_until = 0.0  # another client was seen spending the budget
        self._rejected_at = 0.0  # the window end of the last 429
        # Fraction of a latency after sending at which the server charges a request; 0
        # (on arrival, the safe assumption) until requests straddling a reset tell.
        self.charge_delay = 0.0

    def rate(self) -> float:
        """Requests per second allowed: our ceiling, or the server's budget when lower."""
        ours = 1.0 / self._interval
        with self._lock:
            if self._limit is None or not self._window_seconds:
                return ours
            return min(ours, self._limit / self._window_seconds)

    @property
    def shared(self) -> bool:
        """Whether the budget recently showed another client's requests."""
        return time.time() < self._shared_until

    def acquire(self) -> Ticket:
        """Block until the server window has room and our pacing slot has come.

        The spacing is recomputed from the newest answers while waiting (a slot is taken at
        most POLL_SECONDS ahead), so one pessimistic estimate cannot push every later
        request far into the future.
        """
        while True:
            with self._lock:
                now_wall, now = time.time(), time.monotonic()
                earliest = max(now, self._last_slot + self._interval)
                wait, spacing = self._server_pace(now_wall, now_wall + earliest - now)
                if wait <= 0:
                    slot = max(earliest, self._last_slot + spacing)
                    if slot - now <= POLL_SECONDS:
                        self._last_slot = slot
                        self._in_flight += 1
                        ticket = Ticket(now_wall + slot - now, self._reset_at)
                        bisect.insort(self._sent, ticket.sent)
                        break
                    wait = POLL_SECONDS
            time.sleep(min(wait, POLL_SECONDS))
        if slot > now:
            time.sleep(slot - now)
        return ticket

    def release(self, ticket: Ticket, rate: RateHeaders | None, *, exhausted: bool = False) -> None:
        """Record a finished request. `exhausted` (a 429) closes the window until its reset."""
        with self._lock:
            self._in_flight -= 1
            del self._sent[bisect.bisect_left(self._sent, ticket.sent)]
            if rate is None or rate.reset is None:
                return
            now = time.time()
            if ticket.window_end and ticket.sent < ticket.window_end <= now:
                charged_later = 1.0 if rate.reset > ticket.window_end else 0.0
                self.charge_delay += 0.1 * (charged_later - self.charge_delay)
            remaining = 0 if exhausted else rate.remaining
            if remaining is None:
                return
            if rate.limit is not None:
                self._limit = rate.limit
            reset = min(rate.reset, now + MAX_WAIT_SECONDS)
            if exhausted:
                self._rejected_at = max(self._rejected_at, reset)
            if reset > self._reset_at:
                if self._reset_at and reset - self._reset_at <= MAX_WAIT_SECONDS:
                    gap = reset - self._reset_at
                    self._window_seconds = min(self._window_seconds or gap, gap)
                self._reset_at, self._remaining, self._answered = reset, remaining, 0
                self._remaining_sent = ticket.sent
            elif reset == self._reset_at:
                if self._remaining is None or remaining < self._remaining:
                    self._remaining, self._remaining_sent = remaining, ticket.sent
            else:
                return  # a late answer from a window already over
            self._answered += 1
            self._notice_others()

    def _notice_others(self) -> None:
        """Mark the budget shared when the window's use exceeds what our requests explain.

        Used = limit - remaining; ours is at most our answered requests plus all those in
        flight, so anything beyond that (and a little noise) is someone else's. Sticky for two
        windows: another run does not stop between windows.
        """
        if self._limit is None or self._remaining is None:
            return
        others = self._limit - self._remaining - self._answered - self._in_flight
        if others > max(2, self._limit // 100):
            self._shared_until = self._reset_at + 2 * (self._window_seconds or 10.0)

    def _server_pace(self, now: float, start: float) -> tuple[float, float]:
        """(seconds to wait, spacing after a request sent at `start`), epoch seconds, locked.

        What is left of the window the request will be charged to, after our requests in
        flight (and head-room for another client's), is spread over the time to its reset.
        """
        if self._remaining is None:
            return 0.0, 0.0
        # Half the average latency: jittered requests can be that fast. Never after a 429.
        delay = 0.0 if self._rejected_at == self._reset_at else self.charge_delay
        lag = delay * LATENCY_SAFETY * self._latency()
        charged, reset, remaining = start + lag, self._reset_at, self._remaining
        counted_until = self._remaining_sent  # requests sent before it are in `remaining`
        if charged >= reset:
            # A window no answer has reported on yet: it starts with the full limit (every
            # client assuming it knows nothing would let them all burst at once).
            if self._limit is None:
                return 0.0, 0.0
            window = self._window_seconds or DEFAULT_WINDOW_SECONDS
            counted_until = reset + window * math.floor((charged - reset) / window)
            reset = counted_until + window
            remaining = self._limit
        left = remaining - self._uncounted(counted_until)
        if now < self._shared_until:
            left -= self._reserve()
        if left <= 0:  # until a request sent then is charged to the next window
            return max(reset - lag - now, 0.0) + RESET_MARGIN_SECONDS, 0.0
        return 0.0, (reset - charged) / left

    def _uncounted(self, counted_until: float) -> int:
        """Our requests in flight that `remaining` does not include yet.

        Charged on arrival, those sent before the request that reported it are already in it
        (subtracting them again stops every window early by up to a latency with jitter);
        charged when answered, none are.
        """
        if self.charge_delay >= 0.5:
            return self._in_flight
        # A request let through slightly earlier may still have arrived later.
        slack = SEND_SLACK_SECONDS + 0.02 * self._latency()
        return len(self._sent) - bisect.bisect_right(self._sent, counted_until - slack)

    def _reserve(self) -> int:
        """Head-room for another client's in-flight requests: as many as ours (<= 1/4 window)."""
        if self._limit is None:
            return 0
        return min(self._in_flight, self._limit // 4)
