"""Short-lived DuckDB write transactions that wait for a lock instead of failing.

DuckDB admits one writer process and no reader beside it, so a connection is held only for
one batch (open → write → commit → close), never across API calls. When another process
holds the file we wait with backoff and say who holds it, so two runs interleave by batch.
"""

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from intercom_assets.storage.schema import ensure_schema

# The file is attached under this alias: a file named `intercom.duckdb` would otherwise make
# `intercom.conversations` ambiguous between its catalog and the `intercom` schema.
CATALOG = "mirror"
# DuckDB's default is 80% of RAM for its caches; a sync needs little, and the cap keeps a
# 10^6-message backfill's process small (673 -> 564 MiB peak RSS in benchmarks/overhead.py).
DEFAULT_CONFIG = {"memory_limit": "128MB"}
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


def _lock_holder(error: duckdb.Error) -> str | None:
    match = _HOLDER.search(str(error))
    return f"{match['program']} (PID {match['pid']})" if match else None


def connect(
    database: str,
    log: logging.Logger,
    *,
    read_only: bool = False,
    max_wait_seconds: float = 600.0,
    config: dict | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the file, retrying while another process holds its lock (logged with the holder).

    Queries see the mirror as `intercom.<table>` whatever the file is called.
    """
    if not database.startswith("md:") and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    delay, waited = 0.05, 0.0
    while True:
        conn = duckdb.connect(config={**DEFAULT_CONFIG, **(config or {})})
        try:
            quoted = database.replace("'", "''")
            mode = " (READ_ONLY)" if read_only else ""
            conn.execute(f"ATTACH '{quoted}' AS {CATALOG}{mode}")
            conn.execute(f"USE {CATALOG}")
            conn.execute("SET TimeZone = 'UTC'")
            return conn
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            conn.close()
            holder = _lock_holder(error)
            if holder is None or waited >= max_wait_seconds:
                raise
            log.warning(
                "DuckDB file %s is locked by %s; waiting %.1fs (waited %.0fs so far)",
                database,
                holder,
                delay,
                waited,
            )
            time.sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)


@contextmanager
def transaction(
    database: str, log: logging.Logger, *, config: dict | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """One atomic batch: everything inside commits together or not at all."""
    conn = connect(database, log, config=config)
    try:
        conn.begin()
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    finally:
        conn.close()


def prepare_database(database: str, log: logging.Logger) -> None:
    """Create or migrate the schema at run start (idempotent)."""
    conn = connect(database, log)
    try:
        ensure_schema(conn)
    finally:
        conn.close()


@contextmanager
def reader(database: str, log: logging.Logger) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short read-only connection, the supported way to query between a sync's batches."""
    conn = connect(database, log, read_only=True)
    try:
        yield conn
    finally:
        conn.close()
