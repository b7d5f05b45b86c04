"""A few KPIs in plain text, for the demo and anyone at a terminal."""

import duckdb

_DAYS = """
SELECT day, conversations, conversations_closed, median_time_to_first_response_minutes,
       median_time_to_last_close_minutes, reopened_conversations, average_rating,
       truncated_conversations
FROM intercom.daily_support_metrics ORDER BY day DESC LIMIT ?
"""
_ADMINS = """
SELECT coalesce(admin_name, 'admin ' || admin_id), conversations_closed,
       median_time_to_first_response_minutes
FROM intercom.admin_metrics ORDER BY conversations_closed DESC, 1 LIMIT ?
"""


def _value(value: object) -> str:
    return "-" if value is None else str(value)


def kpi_lines(conn: duckdb.DuckDBPyConnection, days: int = 3, admins: int = 3) -> list[str]:
    """The newest days' KPIs and the admins who closed the most conversations."""
    lines = [
        "Support KPIs (intercom.daily_support_metrics), newest days:",
        "  day         convs  closed  resp-med  close-med  reopened  rating  truncated"
        "   (medians in minutes)",
    ]
    for day, convs, closed, response, close, reopened, rating, truncated in conn.execute(
        _DAYS, [days]
    ).fetchall():
        lines.append(
            f"  {day}  {convs:>5}  {closed:>6}  {_value(response):>8}  {_value(close):>9}"
            f"  {reopened:>8}  {_value(rating):>6}  {truncated:>9}"
        )
    leaders = conn.execute(_ADMINS, [admins]).fetchall()
    if leaders:
        lines.append("Admins who last closed the most (intercom.admin_metrics):")
        lines.extend(
            f"  {name}: {closed} closed, first response median {_value(response)} min"
            for name, closed, response in leaders
        )
    return lines
