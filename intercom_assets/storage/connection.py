"""Short-lived DuckDB write transactions that wait for a lock instead of failing.

DuckDB admits one writer process and no reader beside it, so a connection is never held
across API calls: only for one batch, or for back-to-back batches for a few seconds (see
`WriteSession`). When another process holds the file we wait with backoff and say who holds
it, so two runs interleave by batch.
"""

import logging
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

from intercom_assets.storage.schema import ensure_schema, wants_keys

T = TypeVar("T")
# A write that conflicts with a concurrent writer's commit (same key, same row) is retried
# this many times in a fresh transaction; each attempt re-reads what it decides on.
CONFLICT_ATTEMPTS = 8

# The file is attached under this alias: a file named `intercom.duckdb` would otherwise make
# `intercom.conversations` ambiguous between its catalog and the `intercom` schema.
CATALOG = "mirror"
# DuckDB's default is 80% of RAM for its caches; a sync needs little, and each connection is
# its own database instance whose pool the process keeps while it is open. Measured in the job
# (benchmarks/bound.py, 20,000 conversations), at 96 MB the metrics refresh added 131 MiB of
# RSS and the data checks 88; at 48 MB about half. The write path fits because `upsert_messages`
# joins on key columns only and appends `INSERT_BYTES` per statement (one INSERT of a 10x-body
# batch allocated 16 MiB at once). Data over the cap spills to `<database>.tmp`.
DEFAULT_CONFIG = {"memory_limit": "48MB"}
# The write session's: it is open through most of a sync, and its pool filled to the cap was
# the job's RSS peaks (WriteSession closes rose by up to 100 MiB at 96 MB, 54 at 48 MB in
# benchmarks/bound.py). 32 MB also fits, but its transactions took ~5x longer (spilling).
# Statements over a whole backfill or mirror (the metrics refresh's one transaction, the data
# checks' aggregates) hold memory in proportion to it: at 10^5 conversations both overflowed
# 48 MB and failed the sync step (`test_metrics_memory`, 128,000 conversations).
SCAN_MEMORY_LIMIT = "96MB"
# The reads after a sync (day events, data checks) at that cap, on one DuckDB thread: over the
# ZSTD-compressed raw text of v1.2.0 files, the wrong-day check's json_extract overflowed
# 96 MB at once with two threads at 128,000 conversations, and took 0.5 s with one.
SCAN_CONFIG = {"memory_limit": SCAN_MEMORY_LIMIT, "threads": 1}
WRITE_MEMORY_LIMIT = "48MB"
# The write session's other settings. One DuckDB thread: the session's statements are small
# (a batch of ~2,500 messages) and share 2 cores with the fetching thread and the decoding
# helper, where a second DuckDB thread mostly spins. A checkpoint each time the WAL reaches
# 16 MB (DuckDB's default): the rows a checkpoint compresses are then still in memory, where
# at 1 GB (checkpoint only when the session closes) the 48 MB cap spilled them to the temp
# file first. Micro benchmark (300,000 messages in 2,500-row transactions, a close every 6):
# 7-10 s of CPU before, 2.8 s with both and 8,192-row groups.
WRITE_CONFIG = {"threads": 1, "checkpoint_threshold": "16MB"}
# Rows per row group of what this package writes (DuckDB's default is 122,880). A checkpoint
# stores the trailing, partly filled row group and later appends start a new one; DuckDB then
# merges such neighbours at the next checkpoint whenever they fit in fewer row groups, which
# rewrites them. With 122,880 rows that rewrote every stored message several times
# (`benchmarks/overhead.py` at 10^5: 7.0 GB written for a 2.1 GB file, 4.5 GB at 32,768,
# no merge at all); smaller groups merge what is left over in one small rewrite. At 32,768 the
# merges were still most of a checkpoint's CPU (py-spy: `VacuumTask`, re-reading and
# re-compressing the previous checkpoint's trailing group); the micro benchmark above spent
# ~40 % less CPU in checkpoints at 8,192.
ROW_GROUP_ROWS = 8_192
# Storage format of a file this package creates: the oldest with ZSTD for strings (the long
# text columns, see `columns.TEXT`), readable by DuckDB >= 1.2. A stored message took ~1.9 KB
# in the default format (v0.10, uncompressed text). An existing file keeps its own format: the
# option would upgrade an older one and fails on a newer one.
STORAGE_VERSION = "v1.2.0"
_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


def _lock_holder(error: duckdb.Error) -> str | None:
    match = _HOLDER.search(str(error))
    return f"{match['program']} (PID {match['pid']})" if match else None


def attach(
    conn: duckdb.DuckDBPyConnection,
    database: str,
    log: logging.Logger,
    *,
    read_only: bool = False,
    max_wait_seconds: float = 600.0,
    alias: str = CATALOG,
) -> None:
    """ATTACH the mirror as `alias`, retrying while another process holds its lock.

    A writable local file gets `ROW_GROUP_ROWS`: the setting belongs to the attach (not the
    file), and a connection with the default would merge this package's row groups. A file
    created here gets `STORAGE_VERSION`.
    """
    quoted = database.replace("'", "''")
    if read_only:
        mode = " (READ_ONLY)"
    elif database.startswith("md:"):
        mode = ""
    elif database == ":memory:" or Path(database).exists():
        mode = f" (ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
    else:
        mode = f" (ROW_GROUP_SIZE {ROW_GROUP_ROWS}, STORAGE_VERSION '{STORAGE_VERSION}')"
    delay, waited = 0.05, 0.0
    while True:
        try:
            conn.execute(f"ATTACH '{quoted}' AS {alias}{mode}")
            return
        except (duckdb.IOException, duckdb.ConnectionException) as error:
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
    settings = {**DEFAULT_CONFIG, **(config or {})}
    if not database.startswith("md:") and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Beside the file, not in whatever directory the process runs in.
        settings.setdefault("temp_directory", f"{database}.tmp")
    conn = duckdb.connect(config=settings)
    try:
        attach(conn, database, log, read_only=read_only, max_wait_seconds=max_wait_seconds)
        conn.execute(f"USE {CATALOG}")
        conn.execute("SET TimeZone = 'UTC'")
    except BaseException:
        conn.close()
        raise
    return conn


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


def retrying(attempt: Callable[[], T], log: logging.Logger, attempts: int = CONFLICT_ATTEMPTS) -> T:
    """Run `attempt` (one whole transaction) again when it lost a write-write conflict.

    DuckDB's optimistic concurrency lets two writers of one database (MotherDuck, or two
    connections of one process) run at once; the second to commit a row both touched fails
    with a TransactionException and must redo its transaction against the newer state.
    """
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except duckdb.TransactionException as error:
            if number == attempts:
                raise
            log.warning("Write conflict with a concurrent writer (%s); retry %d", error, number)
            time.sleep(0.01 * 2**number)
    raise AssertionError("unreachable")


class WriteSession:
    """Write transactions that share one connection while batches arrive back to back.

    Opening a connection costs ~10 ms and closing it checkpoints the file (~70 ms), which
    would dominate small batches when the API is fast. A session keeps its connection only
    while the caller has more work queued (`release` when idle) and for at most
    `hold_seconds`, then pauses briefly so a waiting reader or another run gets the lock.
    """

    def __init__(
        self,
        database: str,
        log: logging.Logger,
        *,
        hold_seconds: float = 3.0,
        pause_seconds: float = 0.1,
        memory_limit: str = WRITE_MEMORY_LIMIT,
    ) -> None:
        self._database, self._log = database, log
        self._hold, self._pause = hold_seconds, pause_seconds
        self._memory_limit = memory_limit
        self._conn: duckdb.DuckDBPyConnection | None = None
        self._opened = 0.0

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._conn is not None and time.monotonic() - self._opened > self._hold:
            self.release()
            time.sleep(self._pause)
        if self._conn is None:
            config = {**WRITE_CONFIG, "memory_limit": self._memory_limit}
            self._conn = connect(self._database, self._log, config=config)
            self._opened = time.monotonic()
        return self._conn

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One atomic batch; a failed batch rolls back and drops the connection."""
        conn = self._connection()
        try:
            conn.begin()
            yield conn
            conn.commit()
        except BaseException:
            self.release()  # closing rolls back the open transaction
            raise

    def release(self) -> None:
        """Close the connection (checkpointing the file) so other processes can open it."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> "WriteSession":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def prepare_database(database: str, log: logging.Logger, *, keyed: bool | None = None) -> None:
    """Create or migrate the schema at run start (idempotent).

    `keyed` (default: only for `md:` databases, where writers can be concurrent) gives the
    tables primary keys; see `schema.py` for why single files go without.
    """
    conn = connect(database, log)
    try:
        ensure_schema(conn, wants_keys(database) if keyed is None else keyed)
    finally:
        conn.close()


@contextmanager
def reader(
    database: str, log: logging.Logger, *, config: dict | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short read-only connection, the supported way to query between a sync's batches."""
    conn = connect(database, log, read_only=True, config=config)
    try:
        yield conn
    finally:
        conn.close()
