"""Writes never regress: older rows, parts and markers lose to what is stored; concurrent
writers on a keyed database never store a conversation twice."""

import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from intercom_assets.storage import (
    connect,
    prepare_database,
    reader,
    retrying,
    stale_conversation_ids,
    transaction,
    upsert_conversations,
    write_messages,
)
from intercom_assets.storage.connection import CATALOG
from intercom_assets.storage.schema import is_keyed
from intercom_assets.sync.transforms import conversations_frame, messages_frame
from intercom_assets_tests.support import conversation

LOG = logging.getLogger("test")
T0 = datetime(2026, 11, 20, tzinfo=UTC)
DAY = (datetime(2024, 12, 18, tzinfo=UTC), datetime(2024, 12, 19, tzinfo=UTC))
OLD, NEW = 1_734_537_600, 1_734_537_900


def redacted(payload: dict, index: int, at: int) -> dict:
    part = payload["conversation_parts"]["conversation_parts"][index]
    part.update(body="<p><i>This message was deleted</i></p>", redacted=True, updated_at=at)
    return payload


def write(db: str, *payloads: dict) -> None:
    with transaction(db, LOG) as conn:
        frame = conversations_frame(list(payloads), T0).frame
        markers = frame.select("id", "updated_at")
        write_messages(conn, frame, markers, messages_frame(list(payloads), T0).frame, T0)


def rows(db: str, sql: str) -> list[tuple]:
    with reader(db, LOG) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(params=[False, True], ids=["unkeyed", "keyed"])
def db(request: pytest.FixtureRequest, duckdb_path: Path) -> str:
    prepare_database(str(duckdb_path), LOG, keyed=request.param)
    return str(duckdb_path)


def test_an_older_search_row_never_replaces_a_newer_one(db: str) -> None:
    with transaction(db, LOG) as conn:
        upsert_conversations(conn, conversations_frame([conversation(updated_at=NEW)], T0).frame)
        stale = conversation(updated_at=OLD)
        stale["state"] = "closed"
        changes = upsert_conversations(conn, conversations_frame([stale], T0).frame)
    assert (changes.new, changes.changed, changes.unchanged) == (0, 0, 1)
    assert rows(db, "SELECT epoch(updated_at)::BIGINT, state FROM intercom.conversations") == [
        (NEW, "open")
    ]


def test_a_same_second_change_of_the_payload_replaces_the_row(db: str) -> None:
    with transaction(db, LOG) as conn:
        upsert_conversations(conn, conversations_frame([conversation()], T0).frame)
        silent = conversation()
        silent["read"], silent["priority"] = True, "urgent"
        changes = upsert_conversations(conn, conversations_frame([silent], T0).frame)
        again = upsert_conversations(conn, conversations_frame([silent], T0).frame)
    assert (changes.changed, again.changed, again.unchanged) == (1, 0, 1)
    assert rows(db, "SELECT read, priority FROM intercom.conversations") == [(True, "urgent")]


def test_a_redaction_survives_an_older_copy_of_the_conversation(db: str) -> None:
    write(db, redacted(conversation(updated_at=NEW), 0, NEW))
    write(db, conversation(updated_at=OLD))  # e.g. a lagging replica, or a run that waited
    assert rows(db, "SELECT id, redacted, body FROM intercom.messages WHERE id = '503-p0'") == [
        ("503-p0", True, "<p><i>This message was deleted</i></p>")
    ]
    assert rows(
        db,
        "SELECT epoch(updated_at)::BIGINT, epoch(messages_synced_updated_at)::BIGINT"
        " FROM intercom.conversations",
    ) == [(NEW, NEW)]


def test_messages_read_from_an_older_version_leave_the_conversation_stale(db: str) -> None:
    with transaction(db, LOG) as conn:
        upsert_conversations(conn, conversations_frame([conversation(updated_at=NEW)], T0).frame)
    write(db, conversation(updated_at=OLD))
    with transaction(db, LOG) as conn:
        assert stale_conversation_ids(conn, *DAY).to_list() == ["503"]
    assert rows(
        db,
        "SELECT epoch(updated_at)::BIGINT, messages_synced_updated_at FROM intercom.conversations",
    ) == [(NEW, None)]
    write(db, redacted(conversation(updated_at=NEW), 1, NEW))
    with transaction(db, LOG) as conn:
        assert stale_conversation_ids(conn, *DAY).to_list() == []
    assert rows(db, "SELECT id, redacted FROM intercom.messages ORDER BY id") == [
        ("503-p0", False),
        ("503-p1", True),
        ("src-503", False),
    ]


def test_a_batch_writes_and_marks_only_its_conversations_stored_at_the_version_read(
    db: str,
) -> None:
    """One batch, markers only (rows stored by the search): 601 is stored newer than its GET,
    so its messages are left out; 602's are written once, and again once on a re-read."""
    with transaction(db, LOG) as conn:
        stored = [conversation("601", updated_at=NEW), conversation("602", updated_at=OLD)]
        upsert_conversations(conn, conversations_frame(stored, T0).frame)
    read = [conversation("601", updated_at=OLD), conversation("602", updated_at=OLD)]
    empty = conversations_frame([], T0).frame
    markers = conversations_frame(read, T0).frame.select("id", "updated_at")
    for _ in range(2):
        with transaction(db, LOG) as conn:
            write_messages(conn, empty, markers, messages_frame(read, T0).frame, T0)
        assert rows(db, "SELECT conversation_id, count(*) FROM intercom.messages GROUP BY 1") == [
            ("602", 3)
        ]
    assert rows(
        db,
        "SELECT id, epoch(messages_synced_updated_at)::BIGINT FROM intercom.conversations"
        " ORDER BY id",
    ) == [("601", None), ("602", OLD)]


def test_an_older_part_never_overwrites_a_newer_one_within_one_version(db: str) -> None:
    write(db, redacted(conversation(updated_at=NEW), 0, NEW))
    same_version = conversation(updated_at=NEW)  # same updated_at, part 0 not redacted
    write(db, same_version)
    assert rows(db, "SELECT redacted FROM intercom.messages WHERE id = '503-p0'") == [(True,)]


def test_a_batch_seeing_a_conversation_twice_keeps_its_newest_version(db: str) -> None:
    newer = conversation(updated_at=NEW)
    newer["state"] = "closed"
    with transaction(db, LOG) as conn:
        frame = conversations_frame([newer, conversation(updated_at=OLD)], T0).frame
        upsert_conversations(conn, frame)
    assert rows(db, "SELECT id, epoch(updated_at)::BIGINT, state FROM intercom.conversations") == [
        ("503", NEW, "closed")
    ]


def _cursor(conn: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to the same database instance: its own transaction."""
    cursor = conn.cursor()
    cursor.execute(f"USE {CATALOG}")
    return cursor


def test_concurrent_writers_never_store_a_conversation_twice(duckdb_path: Path) -> None:
    """Two transactions insert overlapping conversations at once (as two writers of one
    MotherDuck database do); the loser of the conflict retries and the newest version wins."""
    database = str(duckdb_path)
    prepare_database(database, LOG, keyed=True)
    first = [conversation(str(n), updated_at=OLD) for n in (1, 2, 3)]
    second = [conversation(str(n), updated_at=NEW) for n in (2, 3, 4)]
    conn = connect(database, LOG)
    try:
        assert is_keyed(conn, "conversations") and is_keyed(conn, "messages")
        a, b = _cursor(conn), _cursor(conn)
        a.begin()
        b.begin()
        upsert_conversations(a, conversations_frame(first, T0).frame)
        upsert_conversations(b, conversations_frame(second, T0).frame)
        a.commit()
        attempts: list[int] = []

        def attempt_second() -> None:
            attempts.append(1)
            if len(attempts) == 1:
                b.commit()  # the conflict surfaces at commit: the same keys are committed
                return
            b.begin()
            upsert_conversations(b, conversations_frame(second, T0).frame)
            b.commit()

        retrying(attempt_second, LOG)
        assert len(attempts) == 2
        stored = conn.execute(
            "SELECT id, epoch(updated_at)::BIGINT FROM intercom.conversations ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    assert stored == [("1", OLD), ("2", NEW), ("3", NEW), ("4", NEW)]


def test_concurrent_message_writers_never_store_a_part_twice(duckdb_path: Path) -> None:
    database = str(duckdb_path)
    prepare_database(database, LOG, keyed=True)
    conn = connect(database, LOG)
    try:
        a, b = _cursor(conn), _cursor(conn)
        for cursor, updated in ((a, OLD), (b, NEW)):
            cursor.begin()
            payload = conversation(updated_at=updated)
            frame = conversations_frame([payload], T0).frame
            write_messages(
                cursor,
                frame,
                frame.select("id", "updated_at"),
                messages_frame([payload], T0).frame,
                T0,
            )
        a.commit()
        with pytest.raises(duckdb.TransactionException):
            b.commit()
        b.begin()
        payload = redacted(conversation(updated_at=NEW), 0, NEW)
        frame = conversations_frame([payload], T0).frame
        write_messages(
            b, frame, frame.select("id", "updated_at"), messages_frame([payload], T0).frame, T0
        )
        b.commit()
        parts = conn.execute(
            "SELECT id, count(*), bool_or(redacted) FROM intercom.messages GROUP BY id ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    assert parts == [("503-p0", 1, True), ("503-p1", 1, False), ("src-503", 1, False)]
