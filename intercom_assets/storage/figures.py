"""Per-day figures of the mirror: what each daily partition holds, computed set-based.

A partition's materialization carries these, so `dagster/row_count` of day D is what DuckDB
holds for D, not a run total copied onto every day of a range.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import duckdb
import polars as pl

from intercom_assets.storage.arrow import register
from intercom_assets.storage.reads import PART_LIMIT


@dataclass(frozen=True)
class StoredDay:
    """What DuckDB holds for one created day."""

    conversations: int = 0
    messages: int = 0
    over_part_limit: int = 0


_STORED = f"""
WITH days AS MATERIALIZED (SELECT * FROM requested_days),
conv AS (
    SELECT d.day, c.id, c.parts_reported FROM days d JOIN intercom.conversations c
      ON c.created_at >= d.day_start AND c.created_at < d.day_end
), conv_counts AS (
    SELECT day, count(*) AS conversations,
           count(*) FILTER (WHERE parts_reported > {PART_LIMIT}) AS over_limit
    FROM conv GROUP BY day
), msg_counts AS (
    SELECT conv.day, count(*) AS messages FROM conv
    JOIN intercom.messages m ON m.conversation_id = conv.id GROUP BY conv.day
)
SELECT d.day, coalesce(c.conversations, 0), coalesce(m.messages, 0), coalesce(c.over_limit, 0)
FROM days d LEFT JOIN conv_counts c USING (day) LEFT JOIN msg_counts m USING (day)
"""


def _day_frame(days: list[str]) -> pl.DataFrame:
    starts = [datetime.combine(date.fromisoformat(d), datetime.min.time(), UTC) for d in days]
    return pl.DataFrame(
        {
            "day": days,
            "day_start": starts,
            "day_end": [start + timedelta(days=1) for start in starts],
        },
        schema={
            "day": pl.String(),
            "day_start": pl.Datetime("us", "UTC"),
            "day_end": pl.Datetime("us", "UTC"),
        },
    )


def stored_by_day(conn: duckdb.DuckDBPyConnection, days: list[str]) -> dict[str, StoredDay]:
    """Conversations, messages and conversations over Intercom's part limit, per day."""
    if not days:
        return {}
    register(conn, "requested_days", _day_frame(sorted(set(days))))
    try:
        rows = conn.execute(_STORED).fetchall()
    finally:
        conn.unregister("requested_days")
    return {day: StoredDay(conv, msgs, over) for day, conv, msgs, over in rows}


def days_of(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, int]:
    """How many of the stored conversations `ids` were created on each day."""
    if not ids:
        return {}
    rows = conn.execute(
        "SELECT strftime(created_at, '%Y-%m-%d') AS day, count(*)"
        " FROM intercom.conversations WHERE list_contains(?, id) GROUP BY day",
        [list(ids)],
    ).fetchall()
    return {day: count for day, count in rows}


def created_days(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, str]:
    """id -> created day of the stored conversations among `ids`."""
    if not ids:
        return {}
    rows = conn.execute(
        "SELECT id, strftime(created_at, '%Y-%m-%d') FROM intercom.conversations"
        " WHERE list_contains(?, id)",
        [list(ids)],
    ).fetchall()
    return dict(rows)
