"""A writer facing a briefly held lock waits, names the holder, and then succeeds."""

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intercom_assets.storage import WriteSession, prepare_database, reader, transaction

HOLD = """
import duckdb, sys, time
conn = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.close()
"""


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_writer_waits_for_a_briefly_held_lock(duckdb_path, caplog):
    log = logging.getLogger("lock-test")
    prepare_database(str(duckdb_path), log)
    holder = _hold_lock(duckdb_path, 1.5)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), transaction(str(duckdb_path), log) as conn:
        conn.execute("INSERT INTO intercom.deleted_conversations VALUES ('9', now(), '404')")
    holder.wait()
    assert time.monotonic() - started > 0.5  # it really waited for the holder to go
    assert any(f"(PID {holder.pid})" in r.getMessage() for r in caplog.records)
    with reader(str(duckdb_path), log) as conn:
        assert conn.execute("SELECT id FROM intercom.deleted_conversations").fetchall() == [("9",)]


def test_reader_between_batches_sees_committed_data(duckdb_path):
    log = logging.getLogger("reader-test")
    prepare_database(str(duckdb_path), log)
    with transaction(str(duckdb_path), log) as conn:
        conn.execute("INSERT INTO intercom.deleted_conversations VALUES ('1', now(), 'reconcile')")
    with reader(str(duckdb_path), log) as conn:
        assert conn.execute(
            "SELECT detected_via FROM intercom.deleted_conversations"
        ).fetchone() == ("reconcile",)
        with pytest.raises(Exception, match="read-only"):
            conn.execute("DELETE FROM intercom.deleted_conversations")


READ_COUNT = """
import logging, sys
from intercom_assets.storage import reader
logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(message)s")
with reader(sys.argv[1], logging.getLogger("reader")) as conn:
    print(conn.execute("SELECT count(*) FROM intercom.deleted_conversations").fetchone()[0])
"""


def _insert(conn, cid: str) -> None:
    conn.execute("INSERT INTO intercom.deleted_conversations VALUES (?, now(), '404')", [cid])


def test_a_session_keeps_one_connection_for_back_to_back_batches_until_released(duckdb_path):
    log = logging.getLogger("session-test")
    prepare_database(str(duckdb_path), log)
    with WriteSession(str(duckdb_path), log, hold_seconds=60) as session:
        with session.transaction() as first:
            _insert(first, "1")
        with session.transaction() as second:
            _insert(second, "2")
        assert second is first
        other = subprocess.Popen(
            [sys.executable, "-c", READ_COUNT, str(duckdb_path)], stdout=subprocess.PIPE, text=True
        )
        assert "is locked by" in other.stdout.readline()  # it waits for the session...
        session.release()
        output, _ = other.communicate(timeout=30)
    assert output.splitlines()[-1] == "2"  # ...and then reads both committed batches


def test_a_session_reopens_after_its_hold_time(duckdb_path):
    log = logging.getLogger("session-test")
    prepare_database(str(duckdb_path), log)
    with WriteSession(str(duckdb_path), log, hold_seconds=0, pause_seconds=0) as session:
        with session.transaction() as first:
            _insert(first, "1")
        with session.transaction() as second:
            _insert(second, "2")
        assert second is not first
    with reader(str(duckdb_path), log) as conn:
        assert conn.execute("SELECT count(*) FROM intercom.deleted_conversations").fetchone() == (
            2,
        )


def test_a_failed_batch_in_a_session_rolls_back_and_the_next_one_commits(duckdb_path):
    log = logging.getLogger("session-test")
    prepare_database(str(duckdb_path), log)
    with WriteSession(str(duckdb_path), log) as session:
        with pytest.raises(RuntimeError), session.transaction() as conn:
            _insert(conn, "lost")
            raise RuntimeError("killed mid-batch")
        with session.transaction() as conn:
            _insert(conn, "kept")
    with reader(str(duckdb_path), log) as conn:
        assert conn.execute("SELECT id FROM intercom.deleted_conversations").fetchall() == [
            ("kept",)
        ]


def _row_groups(path: Path) -> list[tuple[int, int]]:
    """(row group, first block) of the messages' `conversation_id` column: a rewrite moves the
    block (`raw` is ZSTD, whose segments name no block here)."""
    with reader(str(path), logging.getLogger("row-groups")) as conn:
        return conn.execute(
            "SELECT row_group_id, min(block_id) FROM pragma_storage_info('intercom.messages')"
            " WHERE column_name = 'conversation_id' AND segment_type = 'VARCHAR'"
            " GROUP BY 1 ORDER BY 1"
        ).fetchall()


def _append_sessions(path: Path, rows: int, sessions: int) -> list[list[tuple[int, int]]]:
    """Row groups after each of `sessions` write sessions appending `rows` messages."""
    log = logging.getLogger("row-group-test")
    prepare_database(str(path), log)
    insert = (
        "INSERT INTO intercom.messages (conversation_id, id, part_type, raw, synced_at)"
        " SELECT 'c' || (i // 10), ? || i, 'comment', '{\"n\": ' || i || '}', now()"
        f" FROM range({rows}) t(i)"
    )
    groups = []
    for session_number in range(sessions):
        with WriteSession(str(path), log) as session, session.transaction() as conn:
            conn.execute(insert, [f"s{session_number}-"])
        groups.append(_row_groups(path))
    return groups


def test_checkpoints_of_appended_batches_do_not_rewrite_the_rows_stored_before(duckdb_path):
    """Each session release checkpoints a trailing, partly filled row group, and the next
    checkpoint merges it with its neighbours when they fit in fewer groups: with DuckDB's
    default of 122,880 rows (and still at 32,768) that rewrote every row stored since."""
    first, second = _append_sessions(duckdb_path, 20_000, 2)
    assert len(first) == 3  # 8,192 + 8,192 + 3,616 rows
    # The first session's full groups stay where they were written; only its trailing group
    # is filled up by the next one.
    assert second[:2] == first[:2]
    assert len(second) == 5
    small = _append_sessions(duckdb_path.with_name("small.duckdb"), 12_000, 3)
    assert small[2][0] == small[1][0] == small[0][0]


def test_a_long_write_session_checkpoints_as_its_wal_grows(duckdb_path):
    """The session's rows are compressed into the file every ~16 MB of WAL instead of piling
    up (and spilling under the memory cap) until the session closes."""
    log = logging.getLogger("wal-test")
    prepare_database(str(duckdb_path), log)
    wal = duckdb_path.with_name(duckdb_path.name + ".wal")
    insert = (
        "INSERT INTO intercom.messages (conversation_id, id, part_type, body, synced_at)"
        " SELECT 'c' || ?, i::VARCHAR, 'comment', repeat(md5(i::VARCHAR), 60), now()"
        " FROM range(1000) t(i)"
    )
    largest = 0
    with WriteSession(str(duckdb_path), log, hold_seconds=600) as session:
        for batch in range(20):  # ~2 MB of bodies per transaction, 40 MB in all
            with session.transaction() as conn:
                conn.execute(insert, [batch])
                threads = conn.execute("SELECT current_setting('threads')").fetchone()[0]
            largest = max(largest, wal.stat().st_size if wal.exists() else 0)
    assert threads == 1
    assert 0 < largest < 24 * 1024**2
    with reader(str(duckdb_path), log) as conn:
        assert conn.execute("SELECT count(*) FROM intercom.messages").fetchone() == (20_000,)
