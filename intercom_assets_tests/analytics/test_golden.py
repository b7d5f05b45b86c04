"""The golden fixture: hand-made conversations, every column of all three metric tables
compared with values worked out by hand (golden_expected.yaml), never by the implementation.

The conversations go through the real transforms and writes into a real DuckDB file, then
the metrics are computed the way sync runs do (stale rows of a window) and from scratch.
"""

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from intercom_assets.analytics import checks, metrics
from intercom_assets.analytics.reference import reference_frame, replace_reference
from intercom_assets.analytics.schema import TABLES, metric_names
from intercom_assets.analytics.summary import kpi_lines
from intercom_assets.storage import prepare_database, transaction, write_messages
from intercom_assets.sync.transforms import conversations_frame, messages_frame

HERE = Path(__file__).parent
LOG = logging.getLogger("golden")
KEYS = {
    "conversation_metrics": "conversation_id",
    "daily_support_metrics": "day",
    "admin_metrics": "admin_id",
    "admins": "id",
    "teams": "id",
    "tags": "id",
}
WHOLE_HISTORY = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))


def _load(name: str) -> dict[str, Any]:
    return yaml.safe_load((HERE / name).read_text(encoding="utf-8"))


def _epoch(text: str, day: str) -> int:
    stamp = f"{day} {text}" if len(text) == 8 else text
    return int(datetime.fromisoformat(stamp).replace(tzinfo=UTC).timestamp())


def _payload(conversation: dict[str, Any]) -> dict[str, Any]:
    """The conversation as GET /conversations/{id} would return it."""
    day = conversation["created_at"][:10]
    created = _epoch(conversation["created_at"][11:], day)
    messages = [
        {
            "type": "conversation_part",
            "id": mid,
            "part_type": part_type,
            "body": body,
            "author": {"type": author_type, "id": author_id},
            "created_at": _epoch(at, day),
            "updated_at": _epoch(at, day),
        }
        for mid, part_type, author_type, author_id, body, at in conversation["messages"]
    ]
    source, parts = messages[0], messages[1:]
    payload: dict[str, Any] = {
        "type": "conversation",
        "id": conversation["id"],
        "created_at": created,
        "updated_at": max(m["created_at"] for m in messages),
        "state": conversation["state"],
        "open": conversation["state"] != "closed",
        "source": {"type": "conversation", **{k: source[k] for k in ("id", "body", "author")}},
        "conversation_parts": {
            "type": "conversation_part.list",
            "total_count": conversation["parts_reported"],
            "conversation_parts": parts,
        },
    }
    if "statistics" in conversation:
        payload["statistics"] = {
            **conversation["statistics"],
            "count_conversation_parts": conversation["parts_reported"] + 1,
        }
    for optional in ("conversation_rating", "sla_applied"):
        if optional in conversation:
            payload[optional] = conversation[optional]
    return payload


def _stored(database: str, table: str) -> list[dict[str, Any]]:
    columns = [name for name in metric_names(table) if name != "raw"]
    with transaction(database, LOG) as conn:
        cursor = conn.execute(
            f"SELECT {', '.join(columns)} FROM intercom.{table} ORDER BY {KEYS[table]}"
        )
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _typed(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The hand-written row with timestamps and days as DuckDB returns them."""
    kinds = {column.name: column.duckdb for column in TABLES[table].columns}
    typed = {}
    for name, value in row.items():
        kind = kinds[name]
        if value is not None and kind.startswith("TIMESTAMPTZ"):
            value = datetime.fromisoformat(value).replace(tzinfo=UTC)
        elif value is not None and kind.startswith("DATE"):
            value = date.fromisoformat(value)
        typed[name] = value
    return typed


def _compare(database: str, table: str, expected: list[dict[str, Any]]) -> None:
    defined = [name for name in metric_names(table) if name != "raw"]
    for row in expected:
        assert list(row) == defined, f"{table}: the fixture must spell out every column"
    stored = _stored(database, table)
    want = [_typed(table, row) for row in expected]
    problems = [
        f"{table} {want_row[KEYS[table]]}.{name}: stored {got_row[name]!r}, expected {value!r}"
        for got_row, want_row in zip(stored, want, strict=False)
        for name, value in want_row.items()
        if got_row[name] != value or type(got_row[name]) is not type(value)
    ]
    assert [r[KEYS[table]] for r in stored] == [r[KEYS[table]] for r in want]
    assert not problems, "\n".join(problems)


@pytest.fixture
def golden_database(tmp_path: Path) -> str:
    """The fixture's conversations and reference data, stored as a sync stores them."""
    database = str(tmp_path / "golden.duckdb")
    prepare_database(database, LOG)
    data = _load("golden_input.yaml")
    payloads = [_payload(c) for c in data["conversations"]]
    synced_at = datetime(2026, 11, 21, tzinfo=UTC)
    conversations = conversations_frame(payloads, synced_at)
    messages = messages_frame(payloads, synced_at)
    assert not conversations.rejected and not messages.rejected
    markers = conversations.frame.select(pl.col("id"), pl.col("updated_at"))
    with transaction(database, LOG) as conn:
        write_messages(conn, conversations.frame, markers, messages.frame, synced_at)
        for table in ("admins", "teams", "tags"):
            replace_reference(conn, table, reference_frame(table, data[table]))
    return database


EXPECTED = _load("golden_expected.yaml")


def test_reference_tables_hold_every_listed_object(golden_database: str) -> None:
    for table in ("admins", "teams", "tags"):
        _compare(golden_database, table, EXPECTED[table])


def test_a_sync_window_refresh_gives_the_hand_computed_rows(golden_database: str) -> None:
    with transaction(golden_database, LOG) as conn:
        change = metrics.refresh_window(conn, *WHOLE_HISTORY)
    assert change == metrics.MetricsChange(
        conversations=14,
        removed=0,
        days=[date(2026, 11, 18), date(2026, 11, 19), date(2026, 11, 20)],
        admin_metrics=True,
    )
    for table in ("conversation_metrics", "daily_support_metrics", "admin_metrics"):
        _compare(golden_database, table, EXPECTED[table])


def test_recomputing_from_scratch_or_again_changes_nothing(golden_database: str) -> None:
    with transaction(golden_database, LOG) as conn:
        metrics.recompute_all(conn)
        assert metrics.refresh_window(conn, *WHOLE_HISTORY) == metrics.MetricsChange()
        metrics.recompute_days(conn, [date(2026, 11, 19)])
        metrics.recompute_conversations(conn, ["c02", "c07"])
    for table in ("conversation_metrics", "daily_support_metrics", "admin_metrics"):
        _compare(golden_database, table, EXPECTED[table])


def test_a_changed_conversation_recomputes_only_its_day(golden_database: str) -> None:
    with transaction(golden_database, LOG) as conn:
        metrics.refresh_window(conn, *WHOLE_HISTORY)
        conn.execute(
            "UPDATE intercom.conversations SET synced_at = synced_at + INTERVAL 1 HOUR"
            " WHERE id = 'c14'"
        )
        assert metrics.refresh_days(conn, ["2026-11-18", "2026-11-19"]) == metrics.MetricsChange()
        change = metrics.refresh_days(conn, ["2026-11-20"])
        assert change == metrics.MetricsChange(1, 0, [date(2026, 11, 20)], admin_metrics=False)
        conn.execute("DELETE FROM intercom.conversations WHERE id IN ('c09', 'c14')")
        change = metrics.refresh_removed(conn)
        assert change == metrics.MetricsChange(
            0, 2, [date(2026, 11, 19), date(2026, 11, 20)], admin_metrics=True
        )
        rows = conn.execute(
            "SELECT day, conversations, conversations_closed, rated_conversations,"
            " average_rating FROM intercom.daily_support_metrics ORDER BY day"
        ).fetchall()
        admins = conn.execute("SELECT admin_id FROM intercom.admin_metrics ORDER BY 1").fetchall()
    # 11-19 without c09 (closed, rated 1); 11-20 had only c14, so it has no row any more.
    assert rows == [(date(2026, 11, 18), 8, 7, 4, 3.5), (date(2026, 11, 19), 4, 2, 2, 4.5)]
    assert admins == [("101",), ("102",), ("103",)]


def _readme_queries() -> list[str]:
    readme = (HERE.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Three example queries", 1)[1].split("\n### ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```sql\n")[1:]]


def test_the_readme_queries_answer_from_the_golden_fixture(golden_database: str) -> None:
    with transaction(golden_database, LOG) as conn:
        metrics.refresh_window(conn, *WHOLE_HISTORY)
        weekly, reopen_rate, leaderboard = (
            conn.execute(sql).fetchall() for sql in _readme_queries()
        )
    # All 14 in ISO week 47; first responses [5, 5, 5, 7, 10, 30, 40, 45, 60]: median 10.
    assert weekly == [("2026-W47", 14, 10.0)]
    assert reopen_rate == [
        (date(2026, 11, 20), 1, 0, 0.0),
        (date(2026, 11, 19), 5, 1, 20.0),
        (date(2026, 11, 18), 8, 2, 25.0),
    ]
    assert leaderboard == [
        ("Ana Díaz", ["Billing", "Support"], 4, 5.0, 20.0, 3.67),
        ("Ben Okafor", ["Billing"], 3, 30.0, 60.0, 4.5),
        ("Cy Tanaka", [], 1, 60.0, 90.0, None),
        ("admin 999", [], 1, 7.0, 15.0, 1.0),
    ]


def test_the_checks_pass_on_the_fixture_and_name_what_breaks(golden_database: str) -> None:
    queries = (checks.ONE_ROW_PER_CONVERSATION, checks.NEGATIVE_FROM_CREATED, checks.DAILY_COUNTS)
    with transaction(golden_database, LOG) as conn:
        metrics.refresh_window(conn, *WHOLE_HISTORY)
        assert [checks.find(conn, q).passed for q in queries] == [True, True, True]
        conn.execute(
            "UPDATE intercom.conversation_metrics SET time_to_first_response_minutes = -1"
            " WHERE conversation_id = 'c05'"
        )
        conn.execute(
            "INSERT INTO intercom.conversation_metrics SELECT * FROM"
            " intercom.conversation_metrics WHERE conversation_id = 'c01'"
        )
        conn.execute("DELETE FROM intercom.conversations WHERE id = 'c14'")
        found = [checks.find(conn, q) for q in queries]
    assert found == [
        checks.Findings(2, [("c01", "duplicate rows"), ("c14", "conversation not stored")]),
        checks.Findings(1, [("c05", "time_to_first_response_minutes = -1.0")]),
        checks.Findings(1, [("2026-11-20", "stored 0, daily row 1")]),
    ]


def test_the_demo_summary_prints_the_newest_days_and_top_closers(golden_database: str) -> None:
    with transaction(golden_database, LOG) as conn:
        metrics.refresh_window(conn, *WHOLE_HISTORY)
        lines = kpi_lines(conn)
    assert lines[2:] == [
        "  2026-11-20      1       0         -          -         0       -          1",
        "  2026-11-19      5       3      18.5       17.5         1    3.33          1",
        "  2026-11-18      8       7      10.0       30.0         2     3.5          0",
        "Admins who last closed the most (intercom.admin_metrics):",
        "  Ana Díaz: 4 closed, first response median 5.0 min",
        "  Ben Okafor: 3 closed, first response median 30.0 min",
        "  Cy Tanaka: 1 closed, first response median 60.0 min",
    ]  # fmt: skip


def test_chunks_of_three_conversations_give_the_hand_computed_rows(
    golden_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scope is inserted `CHUNK` conversations per statement: 14 in chunks of 3 (five
    statements, the last one partial) lose or repeat no row."""
    monkeypatch.setattr(metrics, "CHUNK", 3)
    with transaction(golden_database, LOG) as conn:
        assert metrics.refresh_window(conn, *WHOLE_HISTORY).conversations == 14
    for table in ("conversation_metrics", "daily_support_metrics", "admin_metrics"):
        _compare(golden_database, table, EXPECTED[table])
