"""Recompute the support metrics for exactly a set of conversations, days or sync window.

A conversation's metrics row records the sync write it was computed from
(`source_synced_at`), so a run finds what it changed in the data itself: conversations
whose row is missing or older than their last write, and rows whose conversation is gone.
Recomputing those, then the days they belong to, then `admin_metrics` when a close is
involved, keeps every table equal to a full recompute while a run that changed nothing
recomputes nothing. Everything here runs inside the caller's transaction.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

import duckdb

from intercom_assets.analytics import sql
from intercom_assets.analytics.schema import metric_names

# Conversations per metrics INSERT: one statement over 5,000 overflowed a 96 MB cap inside a
# long transaction, 2,000 overflow the 48 MB one (20,000 conversations: the test of
# `test_metrics_memory`); 500 leave room beside its buffers.
CHUNK = 500
KPI_COLUMNS = [name for name in metric_names("daily_support_metrics") if name != "day"]


@dataclass(frozen=True)
class MetricsChange:
    """What a refresh recomputed: nothing at all when the sync changed nothing."""

    conversations: int = 0
    removed: int = 0
    days: list[date] = field(default_factory=list)
    admin_metrics: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.days)


def _scope(conn: duckdb.DuckDBPyConnection, select: str, params: dict | list | None) -> None:
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE metrics_scope AS SELECT DISTINCT id FROM ({select}) s(id)",
        params,
    )


def _days(conn: duckdb.DuckDBPyConnection, select: str) -> None:
    conn.execute(
        f"CREATE OR REPLACE TEMP TABLE metrics_days AS SELECT DISTINCT day FROM ({select}) d(day)"
    )


def _drop(conn: duckdb.DuckDBPyConnection) -> None:
    for table in ("metrics_scope", "metrics_chunks", "metrics_chunk", "metrics_days"):
        conn.execute(f"DROP TABLE IF EXISTS temp.{table}")


def _recompute_scope(conn: duckdb.DuckDBPyConnection) -> MetricsChange:
    """Rewrite the rows of `metrics_scope`, then their days and, if needed, admin_metrics.

    The new rows go straight into the table (no staging copy): DuckDB runs with a small
    memory cap, and the days and closes they touch are known from the scope and the table.
    """
    old = "intercom.conversation_metrics m SEMI JOIN metrics_scope s ON s.id = m.conversation_id"
    _days(
        conn,
        f"SELECT {sql.DAY} FROM {old} UNION ALL SELECT {sql.utc_day('c.created_at')}"
        " FROM intercom.conversations c SEMI JOIN metrics_scope s ON s.id = c.id",
    )
    closes = f"SELECT EXISTS (SELECT 1 FROM {old} WHERE m.last_close_by_admin_id IS NOT NULL)"
    (closed_before,) = conn.execute(closes).fetchone()
    (removed,) = conn.execute(
        f"SELECT count(*) FROM {old} ANTI JOIN intercom.conversations c ON c.id = m.conversation_id"
    ).fetchone()
    conn.execute(
        "DELETE FROM intercom.conversation_metrics"
        " WHERE conversation_id IN (SELECT id FROM metrics_scope)"
    )
    computed = _insert_in_chunks(conn)
    (closed_after,) = conn.execute(closes).fetchone()
    days = _recompute_days(conn)
    if closed_before or closed_after:
        recompute_admin_metrics(conn)
    return MetricsChange(computed, removed, days, bool(closed_before or closed_after))


def _insert_in_chunks(conn: duckdb.DuckDBPyConnection) -> int:
    """Insert the metrics of `metrics_scope`, `CHUNK` conversations per statement.

    One statement over the whole scope needs memory in proportion to it (20,000
    conversations overflowed the DuckDB cap); chunks of consecutive ids keep each statement's
    hash tables small whatever the scope, and let DuckDB skip row groups of other ids. The
    chunk's table is refilled, not replaced: each replaced version kept a 256 KiB block
    until the transaction ended, and 200 chunks (10^5 conversations) overflowed the cap.
    """
    conn.execute(
        "CREATE OR REPLACE TEMP TABLE metrics_chunks AS"
        f" SELECT id, (row_number() OVER (ORDER BY id) - 1) // {CHUNK} AS chunk FROM metrics_scope"
    )
    (chunks,) = conn.execute("SELECT coalesce(max(chunk) + 1, 0) FROM metrics_chunks").fetchone()
    conn.execute("CREATE OR REPLACE TEMP TABLE metrics_chunk (id VARCHAR)")
    computed = 0
    for chunk in range(chunks):
        conn.execute("DELETE FROM metrics_chunk")
        conn.execute(
            "INSERT INTO metrics_chunk SELECT id FROM metrics_chunks WHERE chunk = $chunk",
            {"chunk": chunk},
        )
        (rows,) = conn.execute(
            f"INSERT INTO intercom.conversation_metrics {sql.CONVERSATION_METRICS}"
        ).fetchone()
        computed += rows
    return computed


def _recompute_days(conn: duckdb.DuckDBPyConnection) -> list[date]:
    """Rewrite the daily rows of `metrics_days`; a day left without conversations has none."""
    conn.execute(
        "DELETE FROM intercom.daily_support_metrics WHERE day IN (SELECT day FROM metrics_days)"
    )
    conn.execute(f"INSERT INTO intercom.daily_support_metrics {sql.DAILY_SUPPORT_METRICS}")
    rows = conn.execute("SELECT day FROM metrics_days ORDER BY day").fetchall()
    return [row[0] for row in rows]


def _run(conn: duckdb.DuckDBPyConnection, select: str, params: dict | list | None) -> MetricsChange:
    """Recompute the conversations `select` names.

    One thread: an INSERT's uncommitted rows stay in memory until a row group fills, and
    with the mirror's small DuckDB memory cap two threads' buffers do not fit beside them
    (10^5 rows overflow 96 MB with 2 threads and fit with one, at the same speed on 2 cores).
    The temp tables and the setting are undone here on success; on failure the caller's
    transaction rolls the tables back and its connection is closed.
    """
    (threads,) = conn.execute("SELECT current_setting('threads')").fetchone()
    conn.execute("SET threads = 1")
    _scope(conn, select, params)
    (count,) = conn.execute("SELECT count(*) FROM metrics_scope").fetchone()
    change = _recompute_scope(conn) if count else MetricsChange()
    _drop(conn)
    conn.execute(f"SET threads = {int(threads)}")
    return change


def refresh_window(
    conn: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> MetricsChange:
    """Bring the metrics of conversations created in [start, end) up to date with the sync."""
    return _run(conn, sql.STALE_IN_WINDOW, {"start": start, "end": end})


def refresh_days(conn: duckdb.DuckDBPyConnection, days: list[date | str]) -> MetricsChange:
    """`refresh_window` for conversations created on these UTC days (e.g. a sensor run's)."""
    if not days:
        return MetricsChange()
    return _run(conn, sql.STALE_ON_DAYS, {"days": [str(day) for day in days]})


def refresh_removed(conn: duckdb.DuckDBPyConnection) -> MetricsChange:
    """Drop the rows of conversations no longer stored and recompute their days."""
    return _run(conn, sql.ORPHANS, None)


def recompute_conversations(conn: duckdb.DuckDBPyConnection, ids: list[str]) -> MetricsChange:
    """Recompute exactly these conversations (absent ones lose their row) and their days."""
    return _run(conn, "SELECT unnest($ids::VARCHAR[])", {"ids": ids})


def recompute_days(conn: duckdb.DuckDBPyConnection, days: list[date]) -> MetricsChange:
    """Recompute every conversation created on these UTC days, and the days themselves."""
    select = (
        "SELECT id FROM intercom.conversations WHERE (created_at AT TIME ZONE 'UTC')::DATE"
        " IN (SELECT unnest($days::DATE[]))"
        f" UNION ALL SELECT conversation_id FROM intercom.conversation_metrics"
        f" WHERE {sql.DAY} IN (SELECT unnest($days::DATE[]))"
    )
    return _run(conn, select, {"days": days})


def recompute_all(conn: duckdb.DuckDBPyConnection) -> MetricsChange:
    """Every conversation, day and admin: what a repair or the benchmark runs."""
    select = (
        "SELECT id FROM intercom.conversations"
        " UNION ALL SELECT conversation_id FROM intercom.conversation_metrics"
    )
    change = _run(conn, select, None)
    if not change.admin_metrics:
        recompute_admin_metrics(conn)
    return change


def recompute_admin_metrics(conn: duckdb.DuckDBPyConnection) -> int:
    """Rewrite `admin_metrics` (one small aggregate over all conversations); returns rows."""
    conn.execute("DELETE FROM intercom.admin_metrics")
    conn.execute(f"INSERT INTO intercom.admin_metrics {sql.ADMIN_METRICS}")
    return row_count(conn, "admin_metrics")


def row_count(conn: duckdb.DuckDBPyConnection, table: str) -> int:
    (rows,) = conn.execute(f"SELECT count(*) FROM intercom.{table}").fetchone()
    return rows


def daily_kpis(
    conn: duckdb.DuckDBPyConnection, days: list[date]
) -> dict[date, dict[str, float | int | None]]:
    """Each day's stored KPIs (a day without conversations has none), for metadata."""
    columns = ", ".join(KPI_COLUMNS)
    rows = conn.execute(
        f"SELECT day, {columns} FROM intercom.daily_support_metrics"
        " WHERE day IN (SELECT unnest($days::DATE[])) ORDER BY day",
        {"days": days},
    ).fetchall()
    return {row[0]: dict(zip(KPI_COLUMNS, row[1:], strict=True)) for row in rows}


__all__ = [
    "KPI_COLUMNS",
    "MetricsChange",
    "daily_kpis",
    "recompute_admin_metrics",
    "recompute_all",
    "recompute_conversations",
    "recompute_days",
    "refresh_days",
    "refresh_removed",
    "refresh_window",
    "row_count",
]
