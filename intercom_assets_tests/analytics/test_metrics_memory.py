"""The metrics refresh of a whole backfill fits the DuckDB cap every mirror runs with."""

import logging
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from intercom_assets.emulator import Emulator, EmulatorConfig
from intercom_assets.mirror.checks.integrity import INTEGRITY_CHECKS
from intercom_assets.mirror.metrics import refresh_metrics
from intercom_assets.storage import prepare_database, reader, transaction, write_messages
from intercom_assets.storage.connection import SCAN_CONFIG
from intercom_assets.sync.transforms import conversations_frame, messages_frame

LOG = logging.getLogger("metrics-memory")
TEMPLATES, DOUBLINGS = 500, 8
EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def _mirror(database: str) -> None:
    """500 emulator conversations stored as a sync stores them, then doubled 8 times under
    new ids (each doubling committed on its own): 128,000 with the emulator's mix."""
    emulator = Emulator(EmulatorConfig(seed=5, days=5, conversations_per_day=100))
    try:
        payloads = [emulator.snapshot(cid) for cid in emulator.conversation_ids()[:TEMPLATES]]
    finally:
        emulator.stop()
    synced_at = datetime(2026, 11, 30, tzinfo=UTC)
    conversations = conversations_frame(payloads, synced_at).frame
    markers = conversations.select(pl.col("id"), pl.col("updated_at"))
    prepare_database(database, LOG)
    with transaction(database, LOG) as conn:
        write_messages(
            conn, conversations, markers, messages_frame(payloads, synced_at).frame, synced_at
        )
    for copy in range(DOUBLINGS):
        with transaction(database, LOG) as conn:
            for table, key in (("conversations", "id"), ("messages", "conversation_id")):
                conn.execute(
                    f"INSERT INTO intercom.{table} SELECT t.* REPLACE ({key} || '-{copy}' AS {key})"
                    f" FROM intercom.{table} t"
                )


def test_a_backfill_of_128000_conversations_recomputes_its_metrics_in_one_refresh(
    tmp_path: Path,
) -> None:
    """One INSERT over 20,000 overflowed the cap (the sync of that backfill failed after its
    last batch), chunks of `metrics.CHUNK` do not. 10^5 overflowed 48 MB in the refresh and
    in the data checks after it; both run at `SCAN_MEMORY_LIMIT` (the checks on one thread:
    with two, the wrong-day check over ZSTD-compressed raw text overflowed it)."""
    database = str(tmp_path / "mirror.duckdb")
    _mirror(database)
    change = refresh_metrics(database, LOG, window=EVERYTHING)
    with reader(database, LOG, config=SCAN_CONFIG) as conn:
        # The data checks the sync step runs next, over the same whole mirror: none fails.
        assert [check.find(conn) for check in INTEGRITY_CHECKS] == [[] for _ in INTEGRITY_CHECKS]
        (rows,) = conn.execute("SELECT count(*) FROM intercom.conversation_metrics").fetchone()
        (days,) = conn.execute(
            "SELECT sum(conversations) FROM intercom.daily_support_metrics"
        ).fetchone()
    assert change.conversations == rows == days == TEMPLATES * 2**DOUBLINGS
