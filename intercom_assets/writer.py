"""A single background writer so API fetching never waits for a DuckDB commit."""

import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

Batch = TypeVar("Batch")
_STOP = object()


class BackgroundWriter(Generic[Batch]):
    """Applies `write` to submitted batches in order, on one thread, at most `depth` queued.

    The bounded queue keeps memory flat: when DuckDB is slower than the API, `submit` blocks.
    A write error is re-raised to the producer at its next `submit` or at exit, so a failed
    batch stops the run instead of being skipped.
    """

    def __init__(self, write: Callable[[Batch], None], depth: int = 2) -> None:
        self._write = write
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="duckdb-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not _STOP:
            if self._error is None:
                try:
                    self._write(batch)  # type: ignore[arg-type]
                except BaseException as error:
                    self._error = error

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, batch: Batch) -> None:
        self._raise_if_failed()
        self._queue.put(batch)

    def __enter__(self) -> "BackgroundWriter[Batch]":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._queue.put(_STOP)
        self._thread.join()
        if exc is None:
            self._raise_if_failed()
