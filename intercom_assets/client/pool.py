"""A thread pool whose idle threads exit, for the GETs and search windows.

`ThreadPoolExecutor` keeps every thread it ever started until shutdown. The client submits
about as many requests as the concurrency controller allows in flight, and that limit rises
for a while at the start of a run (latency not known yet) or when latency jumps: the threads
started then stayed for the whole run (~95 idle of 115 in `benchmarks/bound.py` at 80 ms,
~0.1 MiB each). Here a thread that finds no work for `idle_seconds` exits.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

IDLE_SECONDS = 2.0


class ElasticPool(Executor):
    """At most `max_workers` threads, started on demand, each exiting after `idle_seconds`
    without work."""

    def __init__(
        self, max_workers: int, thread_name_prefix: str, *, idle_seconds: float = IDLE_SECONDS
    ) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self._max, self._prefix, self._idle_seconds = max_workers, thread_name_prefix, idle_seconds
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[..., Any], tuple, dict] | None]
        self._queue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: set[threading.Thread] = set()
        self._idle = 0  # threads waiting for work (or starting)
        self._pending = 0  # items submitted that no thread has taken yet
        self._started = 0
        self._shutdown = False

    @property
    def threads(self) -> int:
        """Threads alive in the pool."""
        with self._lock:
            return len(self._threads)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot submit to a pool that was shut down")
            self._queue.put((future, fn, args, kwargs))
            self._pending += 1
            if self._pending > self._idle and len(self._threads) < self._max:
                self._started += 1
                self._idle += 1
                thread = threading.Thread(
                    target=self._work, name=f"{self._prefix}_{self._started}", daemon=True
                )
                self._threads.add(thread)
                thread.start()
        return future

    def _work(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                with self._lock:
                    if not self._pending:
                        self._idle -= 1
                        self._threads.discard(threading.current_thread())
                        return
                continue
            if item is None:
                return
            with self._lock:
                self._idle -= 1
                self._pending -= 1
            self._run(*item)
            del item  # a finished request's payload is the consumer's, not this thread's
            with self._lock:
                self._idle += 1

    @staticmethod
    def _run(future: Future[Any], fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as error:
                future.set_exception(error)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            threads = list(self._threads)
        if cancel_futures:
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is not None:
                    item[0].cancel()
        for _ in threads:
            self._queue.put(None)
        if wait:
            for thread in threads:
                thread.join()
