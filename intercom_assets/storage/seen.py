"""The ids a full refresh's search returned, kept in DuckDB instead of a Python set.

A reconcile must find the stored conversations that search no longer returns. Holding every
returned id in a Python set (and every stored id of the window) cost ~190 MiB per 10^6
conversations; a private in-memory DuckDB table stores them columnar (~20 MiB per 10^6,
spilling to disk past its cap), and the set difference is one anti join against the mirror.
Ids are buffered and inserted `FLUSH_IDS` at a time: an insert per search batch took a
quarter of the writer thread's time in a no-op re-run (`benchmarks/noop.py`).
"""

import logging
from datetime import datetime
from types import TracebackType

import duckdb
import polars as pl

from intercom_assets.storage.arrow import register
from intercom_assets.storage.connection import attach

_ALIAS = "reconciled"
FLUSH_IDS = 20_000


class SeenIds:
    """A per-run staging table of seen ids: `add` per batch, `missing` once at the end."""

    def __init__(self, memory_limit: str = "64MB", temp_directory: str | None = None) -> None:
        config = {"memory_limit": memory_limit}
        if temp_directory:
            config["temp_directory"] = temp_directory
        self._conn = duckdb.connect(config=config)
        self._conn.execute("CREATE TABLE seen (id VARCHAR)")
        self._buffer: list[pl.Series] = []
        self._buffered = 0

    def add(self, ids: pl.Series) -> None:
        self._buffer.append(ids.cast(pl.String()))
        self._buffered += ids.len()
        if self._buffered >= FLUSH_IDS:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        register(self._conn, "seen_batch", pl.DataFrame({"id": pl.concat(self._buffer)}))
        try:
            self._conn.execute("INSERT INTO seen SELECT id FROM seen_batch")
        finally:
            self._conn.unregister("seen_batch")
        self._buffer, self._buffered = [], 0

    def count(self) -> int:
        self._flush()
        return self._conn.execute("SELECT count(DISTINCT id) FROM seen").fetchone()[0]

    def missing(
        self, database: str, start: datetime, end: datetime, log: logging.Logger
    ) -> list[str]:
        """Stored conversations created in [start, end) that were not seen, by id."""
        self._flush()
        attach(self._conn, database, log, read_only=True, alias=_ALIAS)
        try:
            rows = self._conn.execute(
                f"SELECT c.id FROM {_ALIAS}.intercom.conversations c"
                " WHERE c.created_at >= ? AND c.created_at < ?"
                " AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.id = c.id) ORDER BY c.id",
                [start, end],
            ).fetchall()
        finally:
            self._conn.execute(f"DETACH {_ALIAS}")
        return [row[0] for row in rows]

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "SeenIds":
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
