"""The whole-mirror data checks fit their memory cap as the mirror grows."""

import logging
from pathlib import Path

from intercom_assets.storage import reader, transaction
from intercom_assets.storage.checks import duplicate_messages
from intercom_assets_tests.support import bulk_mirror

LOG = logging.getLogger("checks")


def test_duplicate_messages_among_four_million_are_found_under_a_40_mb_cap(
    tmp_path: Path,
) -> None:
    """Joined to the conversations before grouping, 10^6 messages needed more than 32 MB; in
    one aggregate, 8.5 * 10^6 overflowed the checks' 96 MB in some runs (a 10^6-conversation
    backfill failed its checks): grouped a slice of the conversations at a time, 4 * 10^6 fit
    40 MB (one aggregate did not)."""
    database = str(tmp_path / "mirror.duckdb")
    bulk_mirror(database, 400_000, days=40, parts=10)
    with transaction(database, LOG) as conn:
        conn.execute(
            "INSERT INTO intercom.messages SELECT * FROM intercom.messages"
            " WHERE id IN ('2000000000000071', '2000000003999999')"
        )
    with reader(database, LOG, config={"memory_limit": "40MB"}) as conn:
        found = duplicate_messages(conn)
    assert found == [
        ("100000007/2000000000000071", "2026-08-01"),
        ("100399999/2000000003999999", "2026-09-09"),
    ]
