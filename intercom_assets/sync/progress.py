"""Progress lines for long runs: done/total, rate and ETA every few seconds."""

import logging
import threading
import time


class Progress:
    """Logs at most every `every_seconds`, so a 10^6-conversation run stays readable."""

    def __init__(
        self, log: logging.Logger, label: str, total: int | None, every_seconds: float = 5.0
    ) -> None:
        self._log, self._label, self.total = log, label, total
        self._every = every_seconds
        self.done = 0
        self._start = self._last = time.monotonic()
        self._lock = threading.Lock()

    def add_total(self, count: int) -> None:
        """Grow the total as parts of it become known (search windows report theirs)."""
        with self._lock:
            self.total = (self.total or 0) + count

    def summary(self, what: str) -> str:
        """The step's closing line: what it did, how long it took, at what rate."""
        elapsed = max(self.elapsed, 1e-9)
        return f"{self._label}: done, {what} in {elapsed:.1f}s ({self.done / elapsed:.1f}/s)"

    def advance(self, count: int = 1) -> None:
        self.done += count
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._log.info(self.line(now))

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.monotonic()) - self._start, 1e-9)
        rate = self.done / elapsed
        if self.total:
            remaining = max(self.total - self.done, 0)
            eta = f", ETA {remaining / rate:.0f}s" if rate > 0 else ""
            return f"{self._label}: {self.done}/{self.total} ({rate:.1f}/s{eta})"
        return f"{self._label}: {self.done} ({rate:.1f}/s)"

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start
