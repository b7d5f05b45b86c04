"""Ids that arrive while the GETs already run: the hand-off from a search to its GETs.

A full refresh would otherwise search every window before its first GET, leaving the budget
idle for seconds at 1 s latency (two search pages in a row per day) or minutes when search
pages take seconds. `get_conversations` takes an `IdFeed` like any iterable of ids, but never
waits on it while requests are in flight, so answered bodies are consumed (and their payload
bytes freed for the search that feeds it) even when no new id is ready.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator

# How long a waiting consumer sleeps before re-checking (a closed or abandoned feed).
_POLL_SECONDS = 0.1


class FeedAbandoned(Exception):
    """The consumer went away: whoever feeds ids should stop."""


class IdFeed:
    """A bounded, thread-safe queue of ids with one producer side and one consumer side.

    At most `capacity` ids are ever accepted (so `accepted` stays small); once an offer does
    not fit, the feed is full for good and further offers are refused: the producer's caller
    then fetches the rest another way (a query of what is still stale), and `accepted` tells
    it which ids the feed already took.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity}")
        self.capacity = capacity
        self._cond = threading.Condition()
        self._queue: deque[str] = deque()
        self._accepted: set[str] = set()
        self._full = False
        self._closed = False
        self._abandoned = False
        self._error: BaseException | None = None

    @property
    def wants(self) -> bool:
        """Whether an offer can still be accepted (callers may skip computing it)."""
        return not (self._full or self._closed)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def full(self) -> bool:
        """Whether an offer was refused for lack of room (some ids were not taken)."""
        return self._full

    @property
    def accepted(self) -> set[str]:
        """Every id the feed took (a copy; call once the producer is done)."""
        with self._cond:
            return set(self._accepted)

    def offer(self, ids: Iterable[str]) -> bool:
        """Queue `ids` if they all fit and the feed is open; raise if the consumer left."""
        with self._cond:
            batch = [cid for cid in dict.fromkeys(ids) if cid not in self._accepted]
            if self._abandoned:
                raise FeedAbandoned("the GETs stopped; stop searching")
            if not self.wants or len(self._accepted) + len(batch) > self.capacity:
                self._full = self._full or not self._closed
                return False
            self._accepted.update(batch)
            self._queue.extend(batch)
            self._cond.notify_all()
            return True

    def close(self, error: BaseException | None = None) -> None:
        """No more ids; with `error`, the consumer raises it once the queue is drained."""
        with self._cond:
            self._closed = True
            self._error = self._error or error
            self._cond.notify_all()

    def abandon(self) -> None:
        """The consumer stops: later offers raise `FeedAbandoned`."""
        with self._cond:
            self._abandoned = True
            self._cond.notify_all()

    def take(self, count: int, *, wait: bool) -> list[str] | None:
        """Up to `count` ids; [] if none is ready and not `wait`; None once closed and empty.

        With `wait`, blocks until an id is ready or the feed is closed.
        """
        with self._cond:
            while wait and not self._queue and not self._closed:
                self._cond.wait(_POLL_SECONDS)
            if self._queue:
                return [self._queue.popleft() for _ in range(min(count, len(self._queue)))]
            if self._closed:
                if self._error is not None:
                    raise self._error
                return None
            return []


class _IterableSource:
    """A plain iterable of ids seen through `IdFeed.take`: never empty until exhausted."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._ids: Iterator[str] = iter(ids)

    def take(self, count: int, *, wait: bool) -> list[str] | None:
        taken = [cid for _, cid in zip(range(count), self._ids, strict=False)]
        return taken if taken or count < 1 else None


def id_source(ids: Iterable[str] | IdFeed) -> IdFeed | _IterableSource:
    """`ids` as something with `take(count, wait=...)`."""
    return ids if isinstance(ids, IdFeed) else _IterableSource(ids)
