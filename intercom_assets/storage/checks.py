"""Whole-mirror data-check queries: cheap, set-based, and naming the affected ids and days.

The sync evaluates them on every run, so the latest evaluation is the mirror's true state.
"""

import duckdb

from intercom_assets.storage.reads import PART_LIMIT

_DAY = "strftime(created_at, '%Y-%m-%d')"

DUPLICATE_CONVERSATIONS = f"""
SELECT id, min({_DAY}) FROM intercom.conversations GROUP BY id HAVING count(*) > 1 ORDER BY id
"""
# The stored day must be Intercom's creation day, or the conversation sits in the wrong partition.
WRONG_DAY = f"""
SELECT id, {_DAY} FROM intercom.conversations
WHERE epoch(created_at)::BIGINT
      IS DISTINCT FROM TRY_CAST(json_extract_string(raw, '$.created_at') AS BIGINT)
ORDER BY id
"""
# Grouped on their own, one slice of conversations at a time: planned beside the join to the
# conversations, 10^6 messages needed more than 32 MB, and all 8.5 * 10^6 of a
# 10^6-conversation backfill in one aggregate overflowed the checks' 96 MB now and then
# (DuckDB's peak under a cap varies from run to run); the tests hold 4 slices in 40 MB.
# The slice is spelled out: as a parameter, its filter made each slice's scan ~10x slower.
_REPEATED_MESSAGES = """
SELECT conversation_id, id FROM intercom.messages WHERE hash(conversation_id) % {slices} = {slice}
GROUP BY conversation_id, id HAVING count(*) > 1
"""
_SLICE_MESSAGES = 1_000_000
ORPHANS = """
SELECT DISTINCT m.conversation_id, NULL FROM intercom.messages m
WHERE NOT EXISTS (SELECT 1 FROM intercom.conversations c WHERE c.id = m.conversation_id)
ORDER BY 1
"""
# The fix the orphans check suggests for messages whose conversation Intercom no longer has.
REMOVE_ORPHANS = (
    "DELETE FROM intercom.messages WHERE conversation_id NOT IN "
    "(SELECT id FROM intercom.conversations)"
)
_SHORTFALLS = f"""
WITH stored AS (
    SELECT conversation_id, count(*) AS parts FROM intercom.messages
    WHERE part_type <> 'source' GROUP BY conversation_id
)
SELECT c.id, {_DAY.replace("created_at", "c.created_at")}, coalesce(c.parts_reported, 0),
       coalesce(s.parts, 0)
FROM intercom.conversations c LEFT JOIN stored s ON s.conversation_id = c.id
WHERE coalesce(s.parts, 0) < coalesce(c.parts_reported, 0)
ORDER BY 2, 1
"""


def problems(conn: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[str, str | None]]:
    """(id, created day or None) rows of one of the queries above."""
    return conn.execute(sql).fetchall()


def duplicate_messages(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    """(conversation id/message id, created day) of messages stored more than once, in order."""
    (messages,) = conn.execute("SELECT count(*) FROM intercom.messages").fetchone()
    slices = -(-messages // _SLICE_MESSAGES) or 1
    repeated = [
        row
        for i in range(slices)
        for row in conn.execute(_REPEATED_MESSAGES.format(slices=slices, slice=i)).fetchall()
    ]
    if not repeated:
        return []
    days = dict(
        conn.execute(
            f"SELECT id, min({_DAY}) FROM intercom.conversations"
            " WHERE id IN (SELECT unnest(?)) GROUP BY id",
            [sorted({cid for cid, _ in repeated})],
        ).fetchall()
    )
    return sorted((f"{cid}/{mid}", days.get(cid)) for cid, mid in repeated)


def mirror_shortfalls(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, int]]:
    """(id, day, reported, stored) of every conversation holding fewer parts than reported."""
    return conn.execute(_SHORTFALLS).fetchall()


def conversation_count(conn: duckdb.DuckDBPyConnection) -> int:
    return conn.execute("SELECT count(*) FROM intercom.conversations").fetchone()[0]


__all__ = [
    "PART_LIMIT",
    "conversation_count",
    "duplicate_messages",
    "mirror_shortfalls",
    "problems",
]
