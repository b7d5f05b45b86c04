"""Metrics benchmark: compute all three metric tables over ~10^6 stored messages.

The mirror is generated straight into DuckDB (the metrics read only stored rows, so no API
is involved): conversations spread over 30 days, ~10 messages each with the emulator's mix
of part types and authors, ratings, statistics and a few truncated conversations. Then:
a full recompute (every conversation, day and admin), a no-op refresh (what a sync run
that changed nothing pays) and a one-day refresh after that day's conversations changed.

    python -m benchmarks.metrics                       # 100,000 conversations, 10^6 messages
    python -m benchmarks.metrics --conversations 10000 --messages 100000
"""

import argparse
import logging
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.common import Machine, SystemLoad, own_usage, print_table
from intercom_assets.analytics import metrics
from intercom_assets.storage import prepare_database, transaction

LOG = logging.getLogger("benchmarks.metrics")
START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
# The emulator's part mix (emulator/data.py PART_KINDS), cumulative out of 100.
_KINDS = (
    ("comment", 45), ("note", 54), ("assignment", 63), ("open", 67), ("close", 74),
    ("snoozed", 77), ("assign_and_reopen", 80), ("quick_reply", 83),
    ("conversation_attribute_updated_by_admin", 88), ("default_assignment", 92),
    ("custom_action_finished", 100),
)  # fmt: skip


def _part_type(hashed: str) -> str:
    cases = " ".join(f"WHEN {hashed} < {upper} THEN '{kind}'" for kind, upper in _KINDS)
    return f"CASE {cases} END"


def generate(database: str, conversations: int, messages: int) -> None:
    """`conversations` rows and `messages` messages (one opening message each)."""
    span = DAYS * 86_400
    per = messages // conversations
    with transaction(database, LOG) as conn:
        conn.execute(
            f"""
            INSERT INTO intercom.conversations
                (id, created_at, updated_at, state, parts_reported, raw, synced_at)
            SELECT i::VARCHAR,
                   $start + to_seconds(i * {span} // {conversations}),
                   $start + to_seconds(i * {span} // {conversations} + 86400),
                   ['closed', 'closed', 'open', 'snoozed'][1 + (hash(i, 1) % 4)::BIGINT],
                   {int(per) - 1} + CASE WHEN i % 997 = 0 THEN 600 ELSE 0 END,
                   json_object(
                       'conversation_rating', CASE WHEN (hash(i, 2) % 3)::BIGINT = 0 THEN
                           json_object('rating', 1 + (hash(i, 3) % 5)::BIGINT, 'remark', 'ok') END,
                       'statistics', json_object('time_to_admin_reply', (hash(i, 4) % 7200)::BIGINT,
                           'median_time_to_reply', (hash(i, 5) % 3600)::BIGINT)),
                   $start
            FROM range({conversations}) t(i)
            """,
            {"start": START},
        )
        hashed = "(hash(n, 6) % 100)::BIGINT"
        conn.execute(
            f"""
            INSERT INTO intercom.messages
                (conversation_id, id, part_type, body, author_type, author_id, created_at,
                 synced_at)
            SELECT c::VARCHAR, n::VARCHAR,
                   CASE WHEN first THEN 'source' ELSE {_part_type(hashed)} END,
                   CASE WHEN (hash(n, 7) % 5)::BIGINT = 0 THEN NULL ELSE '<p>Hello</p>' END,
                   CASE WHEN first OR (hash(n, 8) % 100)::BIGINT < 40 THEN 'user'
                        WHEN (hash(n, 8) % 100)::BIGINT < 50 THEN 'bot' ELSE 'admin' END,
                   (991267401 + (hash(n, 9) % 6)::BIGINT)::VARCHAR,
                   $start + to_seconds(c * {span} // {conversations} + (n - c * {per}) * 60),
                   $start
            FROM (
                SELECT n, n // {per} AS c, n % {per} = 0 AS first
                FROM range({messages}) t(n)
            )
            """,
            {"start": START},
        )


def _timed(database: str, work) -> tuple[float, object]:
    started = time.perf_counter()
    with transaction(database, LOG) as conn:
        result = work(conn)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="metrics-bench-"))
    database = str(workdir / "intercom.duckdb")
    prepare_database(database, LOG)
    generate(database, args.conversations, args.messages)
    load = SystemLoad(lambda: own_usage()[0])
    full, change = _timed(database, metrics.recompute_all)
    noop, unchanged = _timed(
        database, lambda conn: metrics.refresh_window(conn, START, START + timedelta(DAYS))
    )
    day = START + timedelta(days=7)
    with transaction(database, LOG) as conn:
        conn.execute(
            "UPDATE intercom.conversations SET synced_at = now()"
            " WHERE created_at >= ? AND created_at < ?",
            [day, day + timedelta(days=1)],
        )
    one_day, day_change = _timed(
        database, lambda conn: metrics.refresh_window(conn, day, day + timedelta(days=1))
    )
    with transaction(database, LOG) as conn:
        (stored,) = conn.execute("SELECT count(*) FROM intercom.messages").fetchone()
    print_table(
        f"Metrics over {stored:,} messages",
        [
            ("conversations", f"{args.conversations:,}"),
            ("messages", f"{stored:,}"),
            ("**full recompute** (target ≤ 10 s)", f"**{full:.2f} s**"),
            ("  rows", f"{change.conversations:,} conversations, {len(change.days)} days"),
            ("no-op refresh (nothing changed)", f"{noop:.2f} s, {unchanged.conversations} rows"),
            ("one changed day", f"{one_day:.2f} s, {day_change.conversations:,} rows"),
            ("peak RSS", f"{own_usage()[1]:.0f} MiB"),
        ],
    )
    print(f"\nmachine: {Machine.probe().line()}\nload: {load.line()}")


if __name__ == "__main__":
    main()
