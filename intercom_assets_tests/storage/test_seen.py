"""The ids a full refresh saw: staged in batches, counted once each, anti-joined with the mirror."""

import logging
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from intercom_assets.storage import SeenIds, prepare_database, transaction, upsert_conversations
from intercom_assets.storage.seen import FLUSH_IDS
from intercom_assets.sync.transforms import conversations_frame
from intercom_assets_tests.support import conversation

LOG = logging.getLogger("test")
CREATED = int(datetime(2026, 11, 2, 9, tzinfo=UTC).timestamp())


def test_ids_buffered_below_and_past_the_flush_size_are_all_counted_and_not_missing(
    duckdb_path: Path,
):
    database = str(duckdb_path)
    prepare_database(database, LOG)
    stored = [conversation(str(1_000 + n), created_at=CREATED) for n in range(6)]
    with transaction(database, LOG) as conn:
        upsert_conversations(conn, conversations_frame(stored, datetime.now(UTC)).frame)
    first = pl.Series([f"x{n}" for n in range(FLUSH_IDS - 1)])  # buffered, not yet inserted
    second = pl.Series(["1000", "1002", "x1", "x2"])  # crosses the flush size; two repeats
    third = pl.Series(["1004"])  # buffered again after the flush
    with SeenIds(temp_directory=f"{database}.tmp") as seen:
        for ids in (first, second, third):
            seen.add(ids)
        assert seen.count() == FLUSH_IDS - 1 + 3
        window = (datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC))
        assert seen.missing(database, *window, LOG) == ["1001", "1003", "1005"]
