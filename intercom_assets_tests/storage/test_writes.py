"""Writes are idempotent upserts: nothing duplicated, nothing lost, markers move with messages."""

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intercom_assets.storage import (
    WriteSession,
    prepare_database,
    reader,
    remove_conversations,
    stale_conversation_ids,
    transaction,
    upsert_conversations,
    write_messages,
)
from intercom_assets.sync.messages import MESSAGES_BATCH_BYTES, MESSAGES_BATCH_CONVERSATIONS
from intercom_assets.sync.transforms import conversations_frame, messages_frame
from intercom_assets_tests.support import conversation

LOG = logging.getLogger("test")
T0 = datetime(2026, 11, 20, tzinfo=UTC)
DAY = (datetime(2024, 12, 18, tzinfo=UTC), datetime(2024, 12, 19, tzinfo=UTC))


@pytest.fixture
def db(duckdb_path: Path) -> str:
    prepare_database(str(duckdb_path), LOG)
    return str(duckdb_path)


def _upsert(db: str, *payloads: dict):
    with transaction(db, LOG) as conn:
        return upsert_conversations(conn, conversations_frame(list(payloads), T0).frame)


def _write_messages_in(conn, *payloads: dict) -> None:
    conversations = conversations_frame(list(payloads), T0).frame
    markers = conversations.select("id", "updated_at")
    write_messages(conn, conversations, markers, messages_frame(list(payloads), T0).frame, T0)


def _write_messages(db: str, *payloads: dict) -> None:
    with transaction(db, LOG) as conn:
        _write_messages_in(conn, *payloads)


def _query(db: str, sql: str) -> list[tuple]:
    with reader(db, LOG) as conn:
        return conn.execute(sql).fetchall()


def test_upsert_counts_new_changed_and_unchanged(db):
    first = _upsert(db, conversation("1"), conversation("2"))
    again = _upsert(db, conversation("1"), conversation("2", updated_at=1_734_540_000))
    assert (first.new, first.changed, first.unchanged) == (2, 0, 0)
    assert (again.new, again.changed, again.unchanged) == (0, 1, 1)
    assert _query(
        db, "SELECT id, epoch(updated_at)::BIGINT FROM intercom.conversations ORDER BY id"
    ) == [
        ("1", 1_734_537_600),
        ("2", 1_734_540_000),
    ]


def test_conversations_become_stale_until_their_messages_are_written(db):
    _upsert(db, conversation("1"), conversation("2"))
    with reader(db, LOG) as conn:
        assert stale_conversation_ids(conn, *DAY).to_list() == ["1", "2"]
    _write_messages(db, conversation("1", parts=3))
    with reader(db, LOG) as conn:
        assert stale_conversation_ids(conn, *DAY).to_list() == ["2"]
    _upsert(db, conversation("1", updated_at=1_734_541_000))
    with reader(db, LOG) as conn:
        assert stale_conversation_ids(conn, *DAY).to_list() == ["1", "2"]


def test_messages_are_upserted_and_parts_outside_the_api_window_are_kept(db):
    _write_messages(db, conversation("1", parts=3))
    shrunk = conversation("1", parts=3, updated_at=1_734_541_000)
    parts = shrunk["conversation_parts"]["conversation_parts"]
    parts[2]["body"] = "<p><i>This message was deleted</i></p>"
    parts[2]["redacted"] = True
    del parts[0]  # the API's newest-500 window no longer shows the oldest part
    _write_messages(db, shrunk)
    rows = _query(
        db, "SELECT id, body, redacted FROM intercom.messages ORDER BY created_at NULLS FIRST, id"
    )
    assert rows == [
        ("src-1", "<p>Hello — مرحبا 👋</p>", False),
        ("1-p0", "<p>reply 0</p>", False),
        ("1-p1", None, False),
        ("1-p2", "<p><i>This message was deleted</i></p>", True),
    ]


def test_removing_conversations_deletes_messages_and_records_why(db):
    _write_messages(db, conversation("1", parts=2), conversation("2", parts=1))
    with transaction(db, LOG) as conn:
        assert remove_conversations(conn, ["1", "1", "404-never-stored"], T0, "404") == 2
    assert _query(db, "SELECT id FROM intercom.conversations") == [("2",)]
    assert _query(db, "SELECT DISTINCT conversation_id FROM intercom.messages") == [("2",)]
    assert _query(
        db, "SELECT id, detected_via FROM intercom.deleted_conversations ORDER BY id"
    ) == [
        ("1", "404"),
        ("404-never-stored", "404"),
    ]


def test_a_failed_batch_leaves_nothing_behind(db):
    with pytest.raises(RuntimeError), transaction(db, LOG) as conn:
        _write_messages_in(conn, conversation("1"))
        raise RuntimeError("killed mid-batch")
    assert _query(db, "SELECT count(*) FROM intercom.messages") == [(0,)]
    assert _query(db, "SELECT count(*) FROM intercom.conversations") == [(0,)]


def test_a_batch_mixing_new_changed_and_unchanged_rows_stores_each_id_once(db):
    _upsert(db, conversation("1"), conversation("2"))
    first_new = _upsert(db, conversation("3"), conversation("4"))
    mixed = _upsert(
        db,
        conversation("1", updated_at=1_734_540_000),
        conversation("2"),
        conversation("5"),
    )
    assert (first_new.new, first_new.changed, first_new.unchanged) == (2, 0, 0)
    assert (mixed.new, mixed.changed, mixed.unchanged) == (1, 1, 1)
    assert _query(
        db,
        "SELECT id, count(*), max(epoch(updated_at))::BIGINT FROM intercom.conversations"
        " GROUP BY id ORDER BY id",
    ) == [
        ("1", 1, 1_734_540_000),
        ("2", 1, 1_734_537_600),
        ("3", 1, 1_734_537_600),
        ("4", 1, 1_734_537_600),
        ("5", 1, 1_734_537_600),
    ]


def _large_bodies(updated_at: int, letter: str) -> list[dict]:
    """A batch at the engine's caps (conversations and body bytes): 10x the emulator's bodies."""
    parts = 20
    size = MESSAGES_BATCH_BYTES // (MESSAGES_BATCH_CONVERSATIONS * parts)
    payloads = []
    for n in range(MESSAGES_BATCH_CONVERSATIONS):
        payload = conversation(str(n), parts=parts, updated_at=updated_at)
        for part in payload["conversation_parts"]["conversation_parts"]:
            part["body"] = letter * size
        payloads.append(payload)
    return payloads


def test_a_resync_of_a_batch_of_large_bodies_fits_the_write_sessions_memory_cap(db):
    """Every part of a newer version replaces the stored one, except one copy older than the
    stored part, inside the session's DuckDB cap: the upsert joins on key columns, never on
    the batch's bodies (an anti join on the batch failed to allocate under that cap)."""
    newer = _large_bodies(1_734_540_000, "n")
    older_copy = newer[7]["conversation_parts"]["conversation_parts"][3]
    older_copy["updated_at"] -= 5
    older_copy["body"] = "stale"
    with WriteSession(db, LOG) as session:
        for payloads in (_large_bodies(1_734_537_600, "o"), newer):
            with session.transaction() as conn:
                _write_messages_in(conn, *payloads)
    assert _query(
        db,
        "SELECT left(body, 1), count(*), count(DISTINCT (conversation_id, id))"
        " FROM intercom.messages WHERE id NOT LIKE 'src-%' GROUP BY ALL ORDER BY ALL",
    ) == [("n", 4_999, 4_999), ("o", 1, 1)]
    assert _query(db, "SELECT id FROM intercom.messages WHERE body LIKE 'o%'") == [("7-p3",)]
