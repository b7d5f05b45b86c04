"""Queries that decide what a run must fetch; no API calls, short connections only."""

import itertools
from datetime import UTC, datetime

import duckdb
import polars as pl

from intercom_assets.storage.arrow import fetch_frame, register

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


# Conversations per query over `_PART_COUNTS`: its counts, sort and result are held in DuckDB's
# memory, and a whole first sync of 10^6 conversations overflowed the 48 MB cap in one query.
SCOPE_CONVERSATIONS = 50_000


def stale_conversation_ids(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> pl.Series:
    """Conversations created in [start, end) whose messages must be (re-)fetched, by day.

    Stale: not read at their current updated_at, or holding fewer parts than one GET can show
    (min(parts_reported, 500)), e.g. synced while the token could not read parts; re-syncing
    the partition then repairs them, as the `messages_complete` check advises.

    A column, not a list: 10^6 ids cost ~20 MiB as Arrow strings, ~150 MiB as fetched
    Python tuples, and a first sync of the whole history has every id stale. Read in scopes
    of whole days (`scopes`), so DuckDB's memory does not grow with the window.
    """
    query = (
        f"SELECT id FROM ({_PART_COUNTS})"
        " WHERE messages_synced_updated_at IS DISTINCT FROM updated_at"
        f" OR stored < least(reported, {PART_LIMIT}) ORDER BY day, id"
    )
    frames = [fetch_frame(conn, query, [lo, hi]) for lo, hi in scopes(conn, start, end)]
    return pl.concat(frames)["id"] if frames else pl.Series("id", [], pl.String())


def part_shortfalls(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> list[tuple[str, str, int, int]]:
    """(id, created day, reported, stored) of conversations holding fewer parts than reported."""
    query = (
        f"SELECT id, day, reported, stored FROM ({_PART_COUNTS})"
        " WHERE stored < reported ORDER BY day, id"
    )
    return [
        row
        for lo, hi in scopes(conn, start, end)
        for row in conn.execute(query, [lo, hi]).fetchall()
    ]


def scopes(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """[start, end) cut at UTC day starts into consecutive ranges of at most
    `SCOPE_CONVERSATIONS` conversations (a busier day is a range of its own); none if the
    window holds no conversation."""
    days = conn.execute(
        "SELECT date_trunc('day', created_at AT TIME ZONE 'UTC') AS day, count(*)"
        " FROM intercom.conversations WHERE created_at >= ? AND created_at < ?"
        " GROUP BY day ORDER BY day",
        [start, end],
    ).fetchall()
    cuts: list[datetime] = []
    total = 0
    for day, count in days:
        if cuts and total + count > SCOPE_CONVERSATIONS:
            cuts.append(day.replace(tzinfo=UTC))
            total = 0
        elif not cuts:
            cuts.append(start)
        total += count
    return list(itertools.pairwise([*cuts, end])) if cuts else []


def stored_versions(
    conn: duckdb.DuckDBPyConnection, versions: pl.DataFrame
) -> tuple[set[str], set[str]]:
    """(current, older): ids of `versions` the mirror already holds, and ids it holds newer.

    `versions` has (id, updated_at) and optionally payload_digest; current means stored with
    that `updated_at` (and, when given, that digest). Neither needs writing, and an older
    payload must not be written at all.
    """
    current, older, _ = version_states(conn, versions)
    return current, older


def version_states(
    conn: duckdb.DuckDBPyConnection, versions: pl.DataFrame
) -> tuple[set[str], set[str], set[str]]:
    """`stored_versions` plus the ids whose messages are not stored at the version that will
    be kept (the newer of the stored and the incoming one; every id not stored), in one join.

    A search batch needs all three: what to skip, what never to write, and which of the
    stored conversations its GETs must fetch (new rows need them all).
    """
    same_digest = (
        " AND c.payload_digest IS NOT DISTINCT FROM v.payload_digest"
        if "payload_digest" in versions.columns
        else ""
    )
    register(conn, "incoming_versions", versions)
    try:
        rows = conn.execute(
            "SELECT v.id, c.updated_at > v.updated_at,"
            f" c.updated_at = v.updated_at{same_digest},"
            " c.messages_synced_updated_at IS DISTINCT FROM greatest(c.updated_at, v.updated_at)"
            " FROM incoming_versions v JOIN intercom.conversations c ON c.id = v.id"
        ).fetchall()
    finally:
        conn.unregister("incoming_versions")
    current = {cid for cid, older, same, _ in rows if same and not older}
    unsynced = {r[0] for r in rows if r[3]} | (set(versions["id"].to_list()) - {r[0] for r in rows})
    return current, {cid for cid, older, *_ in rows if older}, unsynced


def stored_conversation_ids(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> set[str]:
    rows = conn.execute(
        "SELECT id FROM intercom.conversations WHERE created_at >= ? AND created_at < ?",
        [start, end],
    ).fetchall()
    return {row[0] for row in rows}


def current_conversation_ids(conn: duckdb.DuckDBPyConnection, versions: pl.DataFrame) -> set[str]:
    """Ids in `versions` (id, updated_at) stored at that updated_at with their messages."""
    register(conn, "incoming_versions", versions)
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


_LATEST_CONVERSATIONS = (
    "SELECT id, created_at, updated_at, state, priority, parts_reported"
    " FROM intercom.conversations ORDER BY synced_at DESC, updated_at DESC"
)


def latest_conversations_preview(conn: duckdb.DuckDBPyConnection) -> str:
    """The most recently synced conversations as markdown: a run's preview metadata."""
    return preview_markdown(conn, _LATEST_CONVERSATIONS, [])


def table_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of each mirror table, for the demo's summary."""
    return {
        table: conn.execute(f"SELECT count(*) FROM intercom.{table}").fetchone()[0]
        for table in ("conversations", "messages", "deleted_conversations")
    }


# What the demo suggests running with `intercom-assets query` next.
EXAMPLE_QUERY = (
    "SELECT part_type, count(*) AS messages FROM intercom.messages GROUP BY 1 ORDER BY 2 DESC"
)


def run_query(conn: duckdb.DuckDBPyConnection, sql: str) -> duckdb.DuckDBPyRelation | None:
    """A user's own SQL (`intercom-assets query`), on a read-only connection."""
    return conn.sql(sql)
