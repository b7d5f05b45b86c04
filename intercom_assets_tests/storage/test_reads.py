"""What a run must fetch is read in scopes of whole days, at any size of window."""

import logging
from datetime import UTC, datetime
from pathlib import Path

from intercom_assets.storage import reader
from intercom_assets.storage.reads import (
    SCOPE_CONVERSATIONS,
    part_shortfalls,
    scopes,
    stale_conversation_ids,
)
from intercom_assets_tests.support import bulk_mirror

LOG = logging.getLogger("reads")
EVERYTHING = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def test_a_first_sync_of_300000_conversations_reads_its_stale_ids_under_a_16_mb_cap(
    tmp_path: Path,
) -> None:
    """One query over the whole window needed more than 16 MB here (and more than the write
    session's 48 MB at 10^6 conversations: that backfill failed after its search)."""
    database = str(tmp_path / "mirror.duckdb")
    bulk_mirror(database, 300_000, days=30)
    with reader(database, LOG, config={"memory_limit": "16MB"}) as conn:
        stale = stale_conversation_ids(conn, *EVERYTHING)
    assert stale.len() == 300_000
    assert stale.to_list()[:2] == ["100000000", "100000001"]
    assert stale[-1] == "100299999"


def test_part_shortfalls_are_read_in_the_same_scopes(tmp_path: Path) -> None:
    """Read at their updated_at but holding none of their 3 parts: all stale, all short."""
    database = str(tmp_path / "mirror.duckdb")
    bulk_mirror(database, 120_000, days=12, synced=True)
    with reader(database, LOG, config={"memory_limit": "16MB"}) as conn:
        shortfalls = part_shortfalls(conn, *EVERYTHING)
        stale = stale_conversation_ids(conn, *EVERYTHING)
    assert len(shortfalls) == stale.len() == 120_000
    assert shortfalls[0] == ("100000000", "2026-08-01", 3, 0)
    assert shortfalls[-1] == ("100119999", "2026-08-12", 3, 0)


def test_scopes_cut_at_day_starts_once_they_hold_the_scope_size(tmp_path: Path) -> None:
    """10,000 a day: five days per scope of 50,000; the first and last follow the window."""
    database = str(tmp_path / "mirror.duckdb")
    bulk_mirror(database, 120_000, days=12)
    start, end = datetime(2026, 7, 30, 12, tzinfo=UTC), datetime(2026, 8, 20, tzinfo=UTC)
    with reader(database, LOG) as conn:
        cut = scopes(conn, start, end)
        empty = scopes(conn, datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC))
    assert SCOPE_CONVERSATIONS == 50_000
    assert cut == [
        (start, datetime(2026, 8, 6, tzinfo=UTC)),
        (datetime(2026, 8, 6, tzinfo=UTC), datetime(2026, 8, 11, tzinfo=UTC)),
        (datetime(2026, 8, 11, tzinfo=UTC), end),
    ]
    assert empty == []
