"""Thread-safe request counters, reported as Dagster metadata so every run shows its API cost."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

ENDPOINTS = ("me", "search", "list", "get", "deleted")


@dataclass
class RequestStats:
    """Counts of HTTP attempts (retries included) and of the notable responses."""

    requests: Counter[str] = field(default_factory=Counter)
    rate_limited: int = 0
    retries: int = 0
    not_found: int = 0
    server_errors: int = 0
    foreign_404s: int = 0  # 404s without Intercom's JSON not_found: retried, never "gone"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count_request(self, endpoint: str) -> None:
        with self._lock:
            self.requests[endpoint] += 1

    def count(self, name: str) -> None:
        """Increment one of the scalar counters (`rate_limited`, `retries`, ...)."""
        with self._lock:
            setattr(self, name, getattr(self, name) + 1)

    def as_metadata(self) -> dict[str, int]:
        with self._lock:
            flat = {"api_requests": sum(self.requests.values())}
            flat.update({f"api_requests_{ep}": self.requests[ep] for ep in ENDPOINTS})
            flat.update(
                {
                    "api_429s": self.rate_limited,
                    "api_retries": self.retries,
                    "api_404s": self.not_found,
                    "api_5xx": self.server_errors,
                    "api_foreign_404s": self.foreign_404s,
                }
            )
            return flat
