"""Tables of the reference data and the support metrics, one column list each.

They are `storage/columns.py` tables, so the same list drives the DDL (`storage/schema.py`),
the column metadata Dagster shows, the reference frames' polars schemas and the golden test's
comparison: a column is added in exactly one place. Metrics tables are derived data:
recomputing them from `intercom.conversations` / `intercom.messages` always gives the same
rows, so they are created when missing and never keyed (their polars dtypes are None: SQL
writes them).
"""

import polars as pl

from intercom_assets.storage.columns import Column, Table

_TEXT_LIST = pl.List(pl.String())
_MINUTES = "DOUBLE"


def _computed(name: str, duckdb: str, description: str, not_null: bool = False) -> Column:
    """A metrics column: written by SQL from the mirror, so no polars dtype."""
    return Column(name, duckdb, None, description, not_null)


ADMINS = Table(
    "admins",
    ("id",),
    (
        Column("id", "VARCHAR", pl.String(), "Intercom admin id", not_null=True),
        Column("name", "VARCHAR", pl.String(), "display name"),
        Column("email", "VARCHAR", pl.String(), "email address"),
        Column("job_title", "VARCHAR", pl.String(), "job title, null when not set"),
        Column("away_mode_enabled", "BOOLEAN", pl.Boolean(), "whether the admin is away"),
        Column("team_ids", "VARCHAR[]", _TEXT_LIST, "ids of the teams the admin belongs to"),
        Column("raw", "JSON", pl.String(), "the admin object exactly as GET /admins returned it"),
    ),
    "One row per admin, as GET /admins returns it",
)
TEAMS = Table(
    "teams",
    ("id",),
    (
        Column("id", "VARCHAR", pl.String(), "Intercom team id", not_null=True),
        Column("name", "VARCHAR", pl.String(), "team name"),
        Column("admin_ids", "VARCHAR[]", _TEXT_LIST, "ids of the team's admins"),
        Column("raw", "JSON", pl.String(), "the team object exactly as GET /teams returned it"),
    ),
    "One row per team, as GET /teams returns it",
)
TAGS = Table(
    "tags",
    ("id",),
    (
        Column("id", "VARCHAR", pl.String(), "Intercom tag id", not_null=True),
        Column("name", "VARCHAR", pl.String(), "tag name (what intercom.conversations.tags holds)"),
        Column("raw", "JSON", pl.String(), "the tag object exactly as GET /tags returned it"),
    ),
    "One row per tag, as GET /tags returns it",
)
CONVERSATION_METRICS = Table(
    "conversation_metrics",
    ("conversation_id",),
    (
        _computed("conversation_id", "VARCHAR", "intercom.conversations.id", True),
        _computed(
            "conversation_created_at", "TIMESTAMPTZ", "when the conversation was created", True
        ),
        _computed("conversation_state", "VARCHAR", "stored current state (open, closed, snoozed)"),
        _computed(
            "count_total_parts", "BIGINT", "parts stored (the opening message excluded)", True
        ),
        _computed("count_assignments", "BIGINT", "parts whose part_type contains 'assign'", True),
        _computed("count_reopens", "BIGINT", "parts of type 'open' or containing 'reopen'", True),
        _computed(
            "first_contact_reply_at",
            "TIMESTAMPTZ",
            "earliest contact message, opening one included",
        ),
        _computed("first_assignment_at", "TIMESTAMPTZ", "earliest assignment part"),
        _computed("last_assignment_at", "TIMESTAMPTZ", "latest assignment part"),
        _computed(
            "first_admin_response_at",
            "TIMESTAMPTZ",
            "earliest admin comment/assignment with a body",
        ),
        _computed("first_bot_response_at", "TIMESTAMPTZ", "earliest bot comment with a body"),
        _computed("first_close_at", "TIMESTAMPTZ", "earliest 'close' part, any author"),
        _computed("last_close_at", "TIMESTAMPTZ", "latest 'close' part, any author"),
        _computed("first_admin_close_at", "TIMESTAMPTZ", "earliest admin-authored 'close' part"),
        _computed("last_admin_close_at", "TIMESTAMPTZ", "latest admin-authored 'close' part"),
        _computed("first_close_by_admin_id", "VARCHAR", "author of the earliest admin close"),
        _computed("last_close_by_admin_id", "VARCHAR", "author of the latest admin close"),
        _computed("time_to_first_assignment_minutes", _MINUTES, "created -> first assignment"),
        _computed("time_to_first_response_minutes", _MINUTES, "created -> first admin response"),
        _computed("time_to_first_bot_response_minutes", _MINUTES, "created -> first bot response"),
        _computed("time_to_first_close_minutes", _MINUTES, "first contact reply -> first close"),
        _computed(
            "time_to_admin_first_close_minutes",
            _MINUTES,
            "first contact reply -> first admin close",
        ),
        _computed("time_to_last_close_minutes", _MINUTES, "first contact reply -> last close"),
        _computed(
            "time_to_admin_last_close_minutes", _MINUTES, "first contact reply -> last admin close"
        ),
        _computed(
            "conversation_rating", "INTEGER", "conversation_rating.rating (1-5), null when unrated"
        ),
        _computed("conversation_remark", "VARCHAR", "conversation_rating.remark as sent"),
        _computed("sla_name", "VARCHAR", "sla_applied.sla_name"),
        _computed("sla_status", "VARCHAR", "sla_applied.sla_status"),
        _computed("intercom_time_to_assignment_seconds", "BIGINT", "statistics.time_to_assignment"),
        _computed(
            "intercom_time_to_admin_reply_seconds", "BIGINT", "statistics.time_to_admin_reply"
        ),
        _computed(
            "intercom_time_to_first_close_seconds", "BIGINT", "statistics.time_to_first_close"
        ),
        _computed("intercom_time_to_last_close_seconds", "BIGINT", "statistics.time_to_last_close"),
        _computed(
            "intercom_median_time_to_reply_seconds", "BIGINT", "statistics.median_time_to_reply"
        ),
        _computed(
            "is_truncated", "BOOLEAN", "parts_reported > count_total_parts: history missing", True
        ),
        _computed(
            "source_synced_at",
            "TIMESTAMPTZ",
            "bookkeeping: the conversation's last sync the row was computed from",
        ),
    ),
    "One row per stored conversation: its response, close and rating figures",
)
DAILY_SUPPORT_METRICS = Table(
    "daily_support_metrics",
    ("day",),
    (
        _computed("day", "DATE", "UTC day of conversation_created_at", True),
        _computed("conversations", "BIGINT", "conversations created that day", True),
        _computed("conversations_closed", "BIGINT", "of those, stored state 'closed' now", True),
        _computed(
            "median_time_to_first_response_minutes", _MINUTES, "median over the day's conversations"
        ),
        _computed("p90_time_to_first_response_minutes", _MINUTES, "90th percentile (continuous)"),
        _computed("median_time_to_last_close_minutes", _MINUTES, "median time to last close"),
        _computed("reopened_conversations", "BIGINT", "conversations with count_reopens > 0", True),
        _computed("rated_conversations", "BIGINT", "conversations with a rating", True),
        _computed("average_rating", "DOUBLE", "average rating of the rated ones"),
        _computed("truncated_conversations", "BIGINT", "conversations with is_truncated", True),
    ),
    "One row per created day: that day's support KPIs",
)
ADMIN_METRICS = Table(
    "admin_metrics",
    ("admin_id",),
    (
        _computed("admin_id", "VARCHAR", "last_close_by_admin_id of the conversations", True),
        _computed("admin_name", "VARCHAR", "from intercom.admins; null when unknown there"),
        _computed("team_names", "VARCHAR[]", "sorted names of the admin's teams", True),
        _computed("conversations_closed", "BIGINT", "of those, stored state 'closed'", True),
        _computed(
            "average_conversation_parts", "DOUBLE", "over every conversation the admin last closed"
        ),
        _computed("average_conversation_rating", "DOUBLE", "over the rated ones of those"),
        _computed("median_count_reopens", "DOUBLE", "median reopens"),
        _computed("median_count_assignments", "DOUBLE", "median assignments"),
        _computed("median_time_to_first_response_minutes", _MINUTES, "median first response time"),
        _computed("median_time_to_last_close_minutes", _MINUTES, "median time to last close"),
    ),
    "One row per admin who last closed a conversation",
)


TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        ADMINS,
        TEAMS,
        TAGS,
        CONVERSATION_METRICS,
        DAILY_SUPPORT_METRICS,
        ADMIN_METRICS,
    )
}
# Columns a metric's definition fixes; `source_synced_at` is bookkeeping, not a metric.
BOOKKEEPING = frozenset({"source_synced_at"})


def metric_names(table: str) -> list[str]:
    """The defined columns of a table, in order, without bookkeeping."""
    return [name for name in TABLES[table].column_names() if name not in BOOKKEEPING]
