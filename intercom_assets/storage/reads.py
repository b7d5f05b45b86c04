"""Queries that decide what a run must fetch; no API calls, short connections only."""

from datetime import datetime

import duckdb


def stale_conversation_ids(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> list[str]:
    """Conversations created in [start, end) whose messages were not read at their updated_at."""
    rows = conn.execute(
        """
        SELECT id FROM intercom.conversations
        WHERE created_at >= ? AND created_at < ?
          AND messages_synced_updated_at IS DISTINCT FROM updated_at
        ORDER BY created_at, id
        """,
        [start, end],
    ).fetchall()
    return [row[0] for row in rows]


def stored_conversation_ids(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> set[str]:
    rows = conn.execute(
        "SELECT id FROM intercom.conversations WHERE created_at >= ? AND created_at < ?",
        [start, end],
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
