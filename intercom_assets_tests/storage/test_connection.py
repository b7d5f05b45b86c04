"""A writer facing a briefly held lock waits, names the holder, and then succeeds."""

import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from intercom_assets.storage import prepare_database, reader, transaction

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
