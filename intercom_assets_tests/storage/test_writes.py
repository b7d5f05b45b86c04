"""Writes are idempotent upserts: nothing duplicated, nothing lost, markers move with messages."""

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from intercom_assets.emulator import Emulator, EmulatorConfig
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
from intercom_assets.sync.batches import weigh
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


def _large_bodies(emulator: Emulator, shift: int) -> list[dict]:
    """A messages batch as the engine closes one (at its conversation or body-byte cap) of
    the emulator's payloads with 10x larger bodies, every version `shift` seconds newer."""
    payloads, size = [], 0
    for cid in emulator.conversation_ids()[:MESSAGES_BATCH_CONVERSATIONS]:
        payload = emulator.snapshot(cid)
        payload["updated_at"] += shift
        for part in payload["conversation_parts"]["conversation_parts"]:
            part["updated_at"] += shift
            if isinstance(part.get("body"), str):
                part["body"] *= 10
        payloads.append(payload)
        size += weigh(payload)[1]
        if size >= MESSAGES_BATCH_BYTES:
            break
    return payloads


def test_a_resync_of_a_batch_of_large_bodies_fits_the_write_sessions_memory_cap(db):
    """A newer version of a batch of large bodies replaces every part, inside the write
    session's DuckDB cap: the upsert joins on key columns (an anti join of the batch against
    the table hashed its bodies and failed to allocate under that cap), and appends
    `INSERT_BYTES` per statement, so even a cap below the default fits (one INSERT of the
    whole batch allocated 16 MiB at once and failed under 32 MB)."""
    emulator = Emulator(EmulatorConfig(seed=7, days=2, conversations_per_day=250))
    try:
        first, newer = _large_bodies(emulator, 0), _large_bodies(emulator, 60)
    finally:
        emulator.stop()
    with WriteSession(db, LOG, memory_limit="32MB") as session:
        for payloads in (first, newer):
            with session.transaction() as conn:
                _write_messages_in(conn, *payloads)
    key = ["conversation_id", "id", "updated_at", "body"]
    expected = messages_frame(newer, T0).frame.select(key).sort(key[:2]).rows()
    assert len(expected) > 500
    assert _query(db, f"SELECT {', '.join(key)} FROM intercom.messages ORDER BY 1, 2") == expected
