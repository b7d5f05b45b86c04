"""Queries that decide what a run must fetch; no API calls, short connections only."""

from datetime import datetime

import duckdb
import polars as pl

# What one GET can show of a conversation: Intercom returns only its newest parts.
PART_LIMIT = 500

# Per conversation created in [?, ?): its marker, parts Intercom reports and parts stored
# (the opening message excluded). Shared by the messages step and `messages_complete`.
_PART_COUNTS = """
WITH scope AS (
    SELECT id, created_at, updated_at, messages_synced_updated_at,
           coalesce(parts_reported, 0) AS reported
    FROM intercom.conversations WHERE created_at >= ? AND created_at < ?
), stored AS (
    SELECT conversation_id, count(*) AS parts FROM intercom.messages
    WHERE part_type <> 'source' AND conversation_id IN (SELECT id FROM scope)
    GROUP BY conversation_id
)
SELECT s.id, strftime(s.created_at, '%Y-%m-%d') AS day, s.reported,
       coalesce(p.parts, 0) AS stored, s.messages_synced_updated_at, s.updated_at
FROM scope s LEFT JOIN stored p ON p.conversation_id = s.id
"""


def stale_conversations(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> list[tuple[str, str]]:
    """(id, created day) of conversations created in [start, end) whose messages must be
    (re-)fetched.

    Stale: not read at their current updated_at, or holding fewer parts than one GET can show
    (min(parts_reported, 500)), e.g. synced while the token could not read parts; re-syncing
    the partition then repairs them, as the `messages_complete` check advises.
    """
    return conn.execute(
        f"SELECT id, day FROM ({_PART_COUNTS})"
        " WHERE messages_synced_updated_at IS DISTINCT FROM updated_at"
        f" OR stored < least(reported, {PART_LIMIT}) ORDER BY day, id",
        [start, end],
    ).fetchall()


def stale_conversation_ids(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> list[str]:
    """Ids of `stale_conversations`."""
    return [cid for cid, _ in stale_conversations(conn, start, end)]


def part_shortfalls(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> list[tuple[str, str, int, int]]:
    """(id, created day, reported, stored) of conversations holding fewer parts than reported."""
    return conn.execute(
        f"SELECT id, day, reported, stored FROM ({_PART_COUNTS})"
        " WHERE stored < reported ORDER BY day, id",
        [start, end],
    ).fetchall()


def unchanged_conversation_ids(conn: duckdb.DuckDBPyConnection, versions: pl.DataFrame) -> set[str]:
    """Ids in `versions` (id, updated_at) stored with exactly that updated_at."""
    conn.register("incoming_versions", versions)
    try:
        rows = conn.execute(
            "SELECT v.id FROM incoming_versions v JOIN intercom.conversations c"
            " ON c.id = v.id AND c.updated_at = v.updated_at"
        ).fetchall()
    finally:
        conn.unregister("incoming_versions")
    return {row[0] for row in rows}


def stored_conversation_ids(
    conn: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    skip_days: list[str] | None = None,
) -> set[str]:
    """Ids created in [start, end), except on `skip_days` (YYYY-MM-DD)."""
    rows = conn.execute(
        "SELECT id FROM intercom.conversations WHERE created_at >= ? AND created_at < ?"
        " AND NOT list_contains(?, strftime(created_at, '%Y-%m-%d'))",
        [start, end, list(skip_days or [])],
    ).fetchall()
    return {row[0] for row in rows}


def current_conversation_ids(conn: duckdb.DuckDBPyConnection, versions: pl.DataFrame) -> set[str]:
    """Ids in `versions` (id, updated_at) stored at that updated_at with their messages."""
    conn.register("incoming_versions", versions)
    try:
        rows = conn.execute(
            "SELECT v.id FROM incoming_versions v JOIN intercom.conversations c"
            " ON c.id = v.id AND c.updated_at = v.updated_at"
            " AND c.messages_synced_updated_at = v.updated_at"
        ).fetchall()
    finally:
        conn.unregister("incoming_versions")
    return {row[0] for row in rows}


def stored_ids_among(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    """Which of `ids` the mirror holds."""
    if not ids:
        return set()
    rows = conn.execute(
        "SELECT id FROM intercom.conversations WHERE list_contains(?, id)", [ids]
    ).fetchall()
    return {row[0] for row in rows}


def preview_markdown(
    conn: duckdb.DuckDBPyConnection, sql: str, params: list, limit: int = 5
) -> str:
    """A small markdown table of what a run wrote, for the materialization's metadata."""
    cursor = conn.execute(f"{sql} LIMIT {int(limit)}", params)
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    for row in rows:
        cells = ("" if v is None else str(v).replace("|", "\\|")[:60] for v in row)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
