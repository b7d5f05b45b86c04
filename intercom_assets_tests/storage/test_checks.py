"""The whole-mirror data checks fit their memory cap as the mirror grows."""

import logging
from pathlib import Path

from intercom_assets.storage import reader, transaction
from intercom_assets.storage.checks import DUPLICATE_MESSAGES, problems
from intercom_assets_tests.support import bulk_mirror

LOG = logging.getLogger("checks")


def test_duplicate_messages_among_a_million_are_found_under_a_28_mb_cap(tmp_path: Path) -> None:
    """Joined to the conversations before grouping, 10^6 messages needed more than 32 MB here
    and 10^7 more than the checks' 96 MB (a 10^6-conversation backfill failed its checks)."""
    database = str(tmp_path / "mirror.duckdb")
    bulk_mirror(database, 100_000, days=10, parts=10)
    with transaction(database, LOG) as conn:
        conn.execute(
            "INSERT INTO intercom.messages SELECT * FROM intercom.messages"
            " WHERE id IN ('200000071', '200999999')"
        )
    with reader(database, LOG, config={"memory_limit": "28MB"}) as conn:
        found = problems(conn, DUPLICATE_MESSAGES)
    assert found == [("100000007/200000071", "2026-08-01"), ("100099999/200999999", "2026-08-10")]
