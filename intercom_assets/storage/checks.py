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
# Grouped before the join: joined first, 10^7 messages overflowed `SCAN_MEMORY_LIMIT`.
DUPLICATE_MESSAGES = """
WITH repeated AS (
    SELECT conversation_id, id FROM intercom.messages
    GROUP BY conversation_id, id HAVING count(*) > 1
)
SELECT r.conversation_id || '/' || r.id, min(strftime(c.created_at, '%Y-%m-%d'))
FROM repeated r LEFT JOIN intercom.conversations c ON c.id = r.conversation_id
GROUP BY r.conversation_id, r.id ORDER BY 1
"""
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


def mirror_shortfalls(conn: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int, int]]:
    """(id, day, reported, stored) of every conversation holding fewer parts than reported."""
    return conn.execute(_SHORTFALLS).fetchall()


def conversation_count(conn: duckdb.DuckDBPyConnection) -> int:
    return conn.execute("SELECT count(*) FROM intercom.conversations").fetchone()[0]


__all__ = ["PART_LIMIT", "conversation_count", "mirror_shortfalls", "problems"]
