"""Tables of the reference data and the support metrics, one column list each.

The lists drive the DDL, the column metadata Dagster shows, and the golden test's comparison,
so a column is added in exactly one place. Metrics tables are derived data: recomputing them
from `intercom.conversations` / `intercom.messages` always gives the same rows.
"""

import duckdb

Columns = tuple[tuple[str, str, str], ...]  # (name, DuckDB type, description)

ADMINS: Columns = (
    ("id", "VARCHAR NOT NULL", "Intercom admin id"),
    ("name", "VARCHAR", "display name"),
    ("email", "VARCHAR", "email address"),
    ("job_title", "VARCHAR", "job title, null when not set"),
    ("away_mode_enabled", "BOOLEAN", "whether the admin is away"),
    ("team_ids", "VARCHAR[]", "ids of the teams the admin belongs to"),
    ("raw", "JSON", "the admin object exactly as GET /admins returned it"),
)
TEAMS: Columns = (
    ("id", "VARCHAR NOT NULL", "Intercom team id"),
    ("name", "VARCHAR", "team name"),
    ("admin_ids", "VARCHAR[]", "ids of the team's admins"),
    ("raw", "JSON", "the team object exactly as GET /teams returned it"),
)
TAGS: Columns = (
    ("id", "VARCHAR NOT NULL", "Intercom tag id"),
    ("name", "VARCHAR", "tag name (what intercom.conversations.tags holds)"),
    ("raw", "JSON", "the tag object exactly as GET /tags returned it"),
)

_MINUTES = "DOUBLE"
CONVERSATION_METRICS: Columns = (
    ("conversation_id", "VARCHAR NOT NULL", "intercom.conversations.id"),
    ("conversation_created_at", "TIMESTAMPTZ NOT NULL", "when the conversation was created"),
    ("conversation_state", "VARCHAR", "stored current state (open, closed, snoozed)"),
    ("count_total_parts", "BIGINT NOT NULL", "parts stored (the opening message excluded)"),
    ("count_assignments", "BIGINT NOT NULL", "parts whose part_type contains 'assign'"),
    ("count_reopens", "BIGINT NOT NULL", "parts of type 'open' or containing 'reopen'"),
    ("first_contact_reply_at", "TIMESTAMPTZ", "earliest contact message, opening one included"),
    ("first_assignment_at", "TIMESTAMPTZ", "earliest assignment part"),
    ("last_assignment_at", "TIMESTAMPTZ", "latest assignment part"),
    ("first_admin_response_at", "TIMESTAMPTZ", "earliest admin comment/assignment with a body"),
    ("first_bot_response_at", "TIMESTAMPTZ", "earliest bot comment with a body"),
    ("first_close_at", "TIMESTAMPTZ", "earliest 'close' part, any author"),
    ("last_close_at", "TIMESTAMPTZ", "latest 'close' part, any author"),
    ("first_admin_close_at", "TIMESTAMPTZ", "earliest admin-authored 'close' part"),
    ("last_admin_close_at", "TIMESTAMPTZ", "latest admin-authored 'close' part"),
    ("first_close_by_admin_id", "VARCHAR", "author of the earliest admin close"),
    ("last_close_by_admin_id", "VARCHAR", "author of the latest admin close"),
    ("time_to_first_assignment_minutes", _MINUTES, "created -> first assignment"),
    ("time_to_first_response_minutes", _MINUTES, "created -> first admin response"),
    ("time_to_first_bot_response_minutes", _MINUTES, "created -> first bot response"),
    ("time_to_first_close_minutes", _MINUTES, "first contact reply -> first close"),
    ("time_to_admin_first_close_minutes", _MINUTES, "first contact reply -> first admin close"),
    ("time_to_last_close_minutes", _MINUTES, "first contact reply -> last close"),
    ("time_to_admin_last_close_minutes", _MINUTES, "first contact reply -> last admin close"),
    ("conversation_rating", "INTEGER", "conversation_rating.rating (1-5), null when unrated"),
    ("conversation_remark", "VARCHAR", "conversation_rating.remark as sent"),
    ("sla_name", "VARCHAR", "sla_applied.sla_name"),
    ("sla_status", "VARCHAR", "sla_applied.sla_status"),
    ("intercom_time_to_assignment_seconds", "BIGINT", "statistics.time_to_assignment"),
    ("intercom_time_to_admin_reply_seconds", "BIGINT", "statistics.time_to_admin_reply"),
    ("intercom_time_to_first_close_seconds", "BIGINT", "statistics.time_to_first_close"),
    ("intercom_time_to_last_close_seconds", "BIGINT", "statistics.time_to_last_close"),
    ("intercom_median_time_to_reply_seconds", "BIGINT", "statistics.median_time_to_reply"),
    ("is_truncated", "BOOLEAN NOT NULL", "parts_reported > count_total_parts: history missing"),
    (
        "source_synced_at",
        "TIMESTAMPTZ",
        "bookkeeping: the conversation's last sync the row was computed from",
    ),
)
DAILY_SUPPORT_METRICS: Columns = (
    ("day", "DATE NOT NULL", "UTC day of conversation_created_at"),
    ("conversations", "BIGINT NOT NULL", "conversations created that day"),
    ("conversations_closed", "BIGINT NOT NULL", "of those, stored state 'closed' now"),
    ("median_time_to_first_response_minutes", _MINUTES, "median over the day's conversations"),
    ("p90_time_to_first_response_minutes", _MINUTES, "90th percentile (continuous)"),
    ("median_time_to_last_close_minutes", _MINUTES, "median time to last close"),
    ("reopened_conversations", "BIGINT NOT NULL", "conversations with count_reopens > 0"),
    ("rated_conversations", "BIGINT NOT NULL", "conversations with a rating"),
    ("average_rating", "DOUBLE", "average rating of the rated ones"),
    ("truncated_conversations", "BIGINT NOT NULL", "conversations with is_truncated"),
)
ADMIN_METRICS: Columns = (
    ("admin_id", "VARCHAR NOT NULL", "last_close_by_admin_id of the conversations"),
    ("admin_name", "VARCHAR", "from intercom.admins; null when unknown there"),
    ("team_names", "VARCHAR[] NOT NULL", "sorted names of the admin's teams"),
    ("conversations_closed", "BIGINT NOT NULL", "of those, stored state 'closed'"),
    ("average_conversation_parts", "DOUBLE", "over every conversation the admin last closed"),
    ("average_conversation_rating", "DOUBLE", "over the rated ones of those"),
    ("median_count_reopens", "DOUBLE", "median reopens"),
    ("median_count_assignments", "DOUBLE", "median assignments"),
    ("median_time_to_first_response_minutes", _MINUTES, "median first response time"),
    ("median_time_to_last_close_minutes", _MINUTES, "median time to last close"),
)

TABLES: dict[str, Columns] = {
    "admins": ADMINS,
    "teams": TEAMS,
    "tags": TAGS,
    "conversation_metrics": CONVERSATION_METRICS,
    "daily_support_metrics": DAILY_SUPPORT_METRICS,
    "admin_metrics": ADMIN_METRICS,
}
# Columns a metric's definition fixes; `source_synced_at` is bookkeeping, not a metric.
BOOKKEEPING = frozenset({"source_synced_at"})


def names(columns: Columns) -> list[str]:
    return [name for name, _, _ in columns]


def metric_names(table: str) -> list[str]:
    """The defined columns of a table, in order, without bookkeeping."""
    return [name for name in names(TABLES[table]) if name not in BOOKKEEPING]


def ensure_analytics_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the tables if missing (idempotent); the `intercom` schema must exist."""
    for table, columns in TABLES.items():
        body = ", ".join(f"{name} {kind}" for name, kind, _ in columns)
        conn.execute(f"CREATE TABLE IF NOT EXISTS intercom.{table} ({body})")
