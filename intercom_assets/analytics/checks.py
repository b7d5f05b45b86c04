"""What the metric checks look for, over the whole mirror (each is one cheap aggregate).

Each returns the offending keys (at most `limit`, sorted) and how many there are; an empty
list means the check passes.
"""

from dataclasses import dataclass

import duckdb

from intercom_assets.analytics import sql

_FROM_CREATED = (
    "time_to_first_assignment_minutes",
    "time_to_first_response_minutes",
    "time_to_first_bot_response_minutes",
)

ONE_ROW_PER_CONVERSATION = """
SELECT id, problem FROM (
    SELECT c.id, 'no metrics row' AS problem FROM intercom.conversations c
    ANTI JOIN intercom.conversation_metrics m ON m.conversation_id = c.id
    UNION ALL
    SELECT m.conversation_id, 'conversation not stored' FROM intercom.conversation_metrics m
    ANTI JOIN intercom.conversations c ON c.id = m.conversation_id
    UNION ALL
    SELECT conversation_id, 'duplicate rows' FROM intercom.conversation_metrics
    GROUP BY conversation_id HAVING count(*) > 1
)
"""
_NEGATIVE = ", ".join(f"CASE WHEN {c} < 0 THEN '{c} = ' || {c} END" for c in _FROM_CREATED)
NEGATIVE_FROM_CREATED = f"""
SELECT conversation_id, concat_ws(', ', {_NEGATIVE}) FROM intercom.conversation_metrics
WHERE {" OR ".join(f"{c} < 0" for c in _FROM_CREATED)}
"""
DAILY_COUNTS = f"""
WITH stored AS (
    SELECT {sql.utc_day("created_at")} AS day, count(*) AS conversations
    FROM intercom.conversations GROUP BY ALL
)
SELECT coalesce(s.day, d.day)::VARCHAR,
       'stored ' || coalesce(s.conversations, 0) || ', daily row ' || coalesce(d.conversations, 0)
FROM stored s FULL JOIN intercom.daily_support_metrics d ON d.day = s.day
WHERE s.conversations IS DISTINCT FROM d.conversations
"""


@dataclass(frozen=True)
class Findings:
    count: int
    examples: list[tuple[str, str]]  # (key, what is wrong)

    @property
    def passed(self) -> bool:
        return self.count == 0


def find(conn: duckdb.DuckDBPyConnection, query: str, limit: int = 20) -> Findings:
    (count,) = conn.execute(f"SELECT count(*) FROM ({query})").fetchone()
    rows = conn.execute(f"SELECT * FROM ({query}) ORDER BY 1 LIMIT {int(limit)}").fetchall()
    return Findings(count, [(str(key), str(detail)) for key, detail in rows])
