"""A single background writer so API fetching never waits for a DuckDB commit."""

import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

Batch = TypeVar("Batch")
_STOP = object()


def _nothing() -> None:
    return None


class BackgroundWriter(Generic[Batch]):
    """Applies `write` to submitted batches in order, on one thread, at most `depth` queued.

    The bounded queue keeps memory flat: when DuckDB is slower than the API, `submit` blocks.
    `on_idle` runs on the writer thread whenever the queue runs dry (and at exit), which is
    when a held DuckDB connection should be let go. A write error is re-raised to the
    producer at its next `submit` or at exit, so a failed batch stops the run instead of
    being skipped.
    """

    def __init__(
        self,
        write: Callable[[Batch], None],
        *,
        on_idle: Callable[[], None] = _nothing,
        depth: int = 2,
    ) -> None:
        self._write, self._on_idle = write, on_idle
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="duckdb-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (batch := self._queue.get()) is not _STOP:
            if self._error is None:
                try:
                    self._write(batch)  # type: ignore[arg-type]
                    if self._queue.empty():
                        self._on_idle()
                except BaseException as error:
                    self._error = error
        try:
            self._on_idle()
        except BaseException as error:
            self._error = self._error or error

    @property
    def error(self) -> BaseException | None:
        """The write error that stopped the writer, if any (it skips every later batch)."""
        return self._error

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
