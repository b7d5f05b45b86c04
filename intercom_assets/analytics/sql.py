"""The metric definitions as DuckDB SQL (issue 13, to the letter); set-based, no Python loops.

Every query reads the temp tables `metrics_chunk(id)` (conversations to compute, one chunk
of the scope at a time) or `metrics_days(day)` (days to aggregate), which `metrics.py` fills,
so the same SQL serves one conversation, one day, a sensor run's changes or the whole mirror.
"""

# The conversation's last write by the sync: its row (`synced_at`) or its messages
# (`messages_synced_at`). A metrics row computed from an older write is stale.
SOURCE_SYNCED_AT = "greatest(c.synced_at, coalesce(c.messages_synced_at, c.synced_at))"

_PART = "part_type <> 'source'"
_ASSIGNMENT = f"({_PART} AND part_type LIKE '%assign%')"
_REOPEN = f"({_PART} AND (part_type = 'open' OR part_type LIKE '%reopen%'))"
_CLOSE = "part_type = 'close'"
_ADMIN_CLOSE = f"({_CLOSE} AND author_type = 'admin')"
_HAS_BODY = "(body IS NOT NULL AND body <> '')"


def _minutes(later: str, earlier: str) -> str:
    return f"round((epoch({later}) - epoch({earlier})) / 60, 2)"


def _statistic(name: str) -> str:
    return f"TRY_CAST(c.statistics ->> '{name}' AS BIGINT)"


CONVERSATION_METRICS = f"""
WITH conv_raw AS (
    SELECT c.id, c.created_at, c.state, c.parts_reported,
           {SOURCE_SYNCED_AT} AS source_synced_at,
           -- one parse of `raw` per conversation: each `->` parses the whole document
           -- again, and nine of them overflowed the 96 MB cap at 2,200 conversations
           json_extract(c.raw, ['$.statistics', '$.conversation_rating', '$.sla_applied']) AS j
    FROM intercom.conversations c SEMI JOIN metrics_chunk s ON s.id = c.id
), conv AS (
    SELECT *, j[1] AS statistics, j[2] AS rating, j[3] AS sla FROM conv_raw
), parts AS (
    SELECT conversation_id, id, part_type, body, author_type, author_id, created_at,
           -- earliest / latest order by (created_at, id as text)
           struct_pack(t := created_at, i := id) AS position
    FROM intercom.messages SEMI JOIN metrics_chunk s ON s.id = conversation_id
), agg AS (
    SELECT conversation_id,
        count(*) FILTER (WHERE {_PART}) AS count_total_parts,
        count(*) FILTER (WHERE {_ASSIGNMENT}) AS count_assignments,
        count(*) FILTER (WHERE {_REOPEN}) AS count_reopens,
        min(created_at) FILTER (WHERE author_type IN ('user', 'lead', 'contact'))
            AS first_contact_reply_at,
        min(created_at) FILTER (WHERE {_ASSIGNMENT}) AS first_assignment_at,
        max(created_at) FILTER (WHERE {_ASSIGNMENT}) AS last_assignment_at,
        min(created_at) FILTER (
            WHERE author_type = 'admin' AND (part_type = 'comment' OR {_ASSIGNMENT}) AND {_HAS_BODY}
        ) AS first_admin_response_at,
        min(created_at) FILTER (
            WHERE author_type = 'bot' AND part_type = 'comment' AND {_HAS_BODY}
        ) AS first_bot_response_at,
        min(created_at) FILTER (WHERE {_CLOSE}) AS first_close_at,
        max(created_at) FILTER (WHERE {_CLOSE}) AS last_close_at,
        min(created_at) FILTER (WHERE {_ADMIN_CLOSE}) AS first_admin_close_at,
        max(created_at) FILTER (WHERE {_ADMIN_CLOSE}) AS last_admin_close_at,
        arg_min(author_id, position) FILTER (WHERE {_ADMIN_CLOSE} AND created_at IS NOT NULL)
            AS first_close_by_admin_id,
        arg_max(author_id, position) FILTER (WHERE {_ADMIN_CLOSE} AND created_at IS NOT NULL)
            AS last_close_by_admin_id
    FROM parts GROUP BY conversation_id
)
SELECT
    c.id AS conversation_id,
    c.created_at AS conversation_created_at,
    c.state AS conversation_state,
    coalesce(a.count_total_parts, 0) AS count_total_parts,
    coalesce(a.count_assignments, 0) AS count_assignments,
    coalesce(a.count_reopens, 0) AS count_reopens,
    a.first_contact_reply_at,
    a.first_assignment_at,
    a.last_assignment_at,
    a.first_admin_response_at,
    a.first_bot_response_at,
    a.first_close_at,
    a.last_close_at,
    a.first_admin_close_at,
    a.last_admin_close_at,
    a.first_close_by_admin_id,
    a.last_close_by_admin_id,
    {_minutes("a.first_assignment_at", "c.created_at")} AS time_to_first_assignment_minutes,
    {_minutes("a.first_admin_response_at", "c.created_at")} AS time_to_first_response_minutes,
    {_minutes("a.first_bot_response_at", "c.created_at")} AS time_to_first_bot_response_minutes,
    {_minutes("a.first_close_at", "a.first_contact_reply_at")} AS time_to_first_close_minutes,
    {_minutes("a.first_admin_close_at", "a.first_contact_reply_at")}
        AS time_to_admin_first_close_minutes,
    {_minutes("a.last_close_at", "a.first_contact_reply_at")} AS time_to_last_close_minutes,
    {_minutes("a.last_admin_close_at", "a.first_contact_reply_at")}
        AS time_to_admin_last_close_minutes,
    TRY_CAST(c.rating ->> 'rating' AS INTEGER) AS conversation_rating,
    c.rating ->> 'remark' AS conversation_remark,
    c.sla ->> 'sla_name' AS sla_name,
    c.sla ->> 'sla_status' AS sla_status,
    {_statistic("time_to_assignment")} AS intercom_time_to_assignment_seconds,
    {_statistic("time_to_admin_reply")} AS intercom_time_to_admin_reply_seconds,
    {_statistic("time_to_first_close")} AS intercom_time_to_first_close_seconds,
    {_statistic("time_to_last_close")} AS intercom_time_to_last_close_seconds,
    {_statistic("median_time_to_reply")} AS intercom_median_time_to_reply_seconds,
    coalesce(c.parts_reported > coalesce(a.count_total_parts, 0), false) AS is_truncated,
    c.source_synced_at
FROM conv c LEFT JOIN agg a ON a.conversation_id = c.id
"""


def utc_day(column: str) -> str:
    return f"({column} AT TIME ZONE 'UTC')::DATE"


DAY = utc_day("conversation_created_at")


def _median(column: str, fraction: float = 0.5) -> str:
    return f"round(quantile_cont({column}::DOUBLE, {fraction}), 2)"


DAILY_SUPPORT_METRICS = f"""
SELECT
    {DAY} AS day,
    count(*) AS conversations,
    count(*) FILTER (WHERE conversation_state = 'closed') AS conversations_closed,
    {_median("time_to_first_response_minutes")} AS median_time_to_first_response_minutes,
    {_median("time_to_first_response_minutes", 0.9)} AS p90_time_to_first_response_minutes,
    {_median("time_to_last_close_minutes")} AS median_time_to_last_close_minutes,
    count(*) FILTER (WHERE count_reopens > 0) AS reopened_conversations,
    count(conversation_rating) AS rated_conversations,
    round(avg(conversation_rating), 2) AS average_rating,
    count(*) FILTER (WHERE is_truncated) AS truncated_conversations
FROM intercom.conversation_metrics
WHERE {DAY} IN (SELECT day FROM metrics_days)
GROUP BY ALL
"""

ADMIN_METRICS = f"""
WITH closed_by AS (
    SELECT last_close_by_admin_id AS admin_id,
        count(*) FILTER (WHERE conversation_state = 'closed') AS conversations_closed,
        round(avg(count_total_parts), 2) AS average_conversation_parts,
        round(avg(conversation_rating), 2) AS average_conversation_rating,
        {_median("count_reopens")} AS median_count_reopens,
        {_median("count_assignments")} AS median_count_assignments,
        {_median("time_to_first_response_minutes")} AS median_time_to_first_response_minutes,
        {_median("time_to_last_close_minutes")} AS median_time_to_last_close_minutes
    FROM intercom.conversation_metrics WHERE last_close_by_admin_id IS NOT NULL
    GROUP BY ALL
), team_names AS (
    SELECT a.id AS admin_id, list_sort(list(t.name)) AS team_names
    FROM intercom.admins a JOIN intercom.teams t ON list_contains(a.team_ids, t.id)
    WHERE t.name IS NOT NULL
    GROUP BY ALL
)
SELECT b.admin_id, a.name AS admin_name,
    coalesce(n.team_names, []::VARCHAR[]) AS team_names,
    b.conversations_closed, b.average_conversation_parts, b.average_conversation_rating,
    b.median_count_reopens, b.median_count_assignments,
    b.median_time_to_first_response_minutes, b.median_time_to_last_close_minutes
FROM closed_by b
LEFT JOIN intercom.admins a ON a.id = b.admin_id
LEFT JOIN team_names n ON n.admin_id = b.admin_id
"""

# Conversations of [?, ?) whose metrics row is missing or older than their last sync, plus
# metrics rows of that window whose conversation is no longer stored.
STALE_IN_WINDOW = f"""
SELECT c.id FROM intercom.conversations c
LEFT JOIN intercom.conversation_metrics m ON m.conversation_id = c.id
WHERE c.created_at >= $start AND c.created_at < $end
  AND m.source_synced_at IS DISTINCT FROM {SOURCE_SYNCED_AT}
UNION ALL
SELECT m.conversation_id FROM intercom.conversation_metrics m
ANTI JOIN intercom.conversations c ON c.id = m.conversation_id
WHERE m.conversation_created_at >= $start AND m.conversation_created_at < $end
"""

# The same for conversations created on the days of `metrics_days`.
STALE_ON_DAYS = f"""
SELECT c.id FROM intercom.conversations c
LEFT JOIN intercom.conversation_metrics m ON m.conversation_id = c.id
WHERE {utc_day("c.created_at")} IN (SELECT unnest($days::DATE[]))
  AND m.source_synced_at IS DISTINCT FROM {SOURCE_SYNCED_AT}
UNION ALL
SELECT m.conversation_id FROM intercom.conversation_metrics m
ANTI JOIN intercom.conversations c ON c.id = m.conversation_id
WHERE {utc_day("m.conversation_created_at")} IN (SELECT unnest($days::DATE[]))
"""

ORPHANS = """
SELECT m.conversation_id FROM intercom.conversation_metrics m
ANTI JOIN intercom.conversations c ON c.id = m.conversation_id
"""
