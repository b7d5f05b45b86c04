"""Faults, kills and revoked tokens lose nothing: the mirror ends identical to a clean run."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from intercom_assets.mirror.resources import IntercomResource
from intercom_assets_tests.support import mirror_state, query, sync, with_database

INCOMPLETE = (
    "SELECT count(*) FROM intercom.conversations"
    " WHERE messages_synced_updated_at IS NOT DISTINCT FROM updated_at"
    " AND coalesce(parts_reported, 0) + 1 > (SELECT count(*) FROM intercom.messages m"
    "   WHERE m.conversation_id = conversations.id)"
    " AND coalesce(parts_reported, 0) < 500"
)


@pytest.fixture
def clean_state(emulator, sync_resources, tmp_path) -> dict:
    """What a fault-free backfill of the same emulator produces."""
    clean = with_database(sync_resources, str(tmp_path / "clean.duckdb"))
    sync(clean)
    emulator.reset_counters()
    return mirror_state(clean)


def test_backfill_under_transient_faults_is_identical_to_a_clean_run(
    emulator, sync_resources, clean_state
):
    faults = emulator.config.faults
    faults.html_503_rate, faults.json_500_rate, faults.drop_rate = 0.10, 0.05, 0.03
    faults.rate_limit_storm_every, faults.latency_ms = 25, 5

    result = sync(sync_resources)

    assert result.success
    assert emulator.status_counts[503] > 0 and emulator.status_counts[500] > 0
    assert emulator.status_counts[429] > 0
    assert mirror_state(sync_resources) == clean_state


KILLABLE_RUN = """
import sys
from dagster_duckdb import DuckDBResource
from intercom_assets.mirror.resources import IntercomResource
from intercom_assets_tests.support import sync

base_url, token, database = sys.argv[1:4]
sync(
    {"intercom": IntercomResource(access_token=token, base_url=base_url, max_concurrency=2),
     "duckdb": DuckDBResource(database=database)},
    run_config={"ops": {"intercom__sync": {"config": {"batch_conversations": 2}}}},
)
"""


def test_run_killed_mid_way_resumes_without_refetching_and_ends_identical(
    emulator, sync_resources, clean_state
):
    emulator.config.faults.latency_ms = 100
    total = len(emulator.conversation_ids())
    run = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLABLE_RUN,
            emulator.base_url,
            emulator.token,
            sync_resources["duckdb"].database,
        ],
        cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    deadline = time.monotonic() + 120
    while emulator.requests["get"] < total // 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert run.returncode == -signal.SIGKILL

    assert query(sync_resources, INCOMPLETE) == [(0,)]  # no marker without its messages
    synced = query(
        sync_resources,
        "SELECT count(*) FROM intercom.conversations WHERE messages_synced_updated_at = updated_at",
    )[0][0]
    assert 0 < synced < total
    emulator.config.faults.latency_ms = 0
    emulator.reset_counters()

    sync(sync_resources)

    assert emulator.requests["get"] == total - synced  # completed conversations are not re-fetched
    assert mirror_state(sync_resources) == clean_state


def test_token_revoked_mid_run_stops_at_once_and_the_next_run_completes(
    emulator, sync_resources, clean_state
):
    emulator.config.faults.latency_ms = 30
    resources = {
        **sync_resources,
        "intercom": IntercomResource(
            access_token=emulator.token, base_url=emulator.base_url, max_concurrency=2
        ),
    }

    def revoke_after_some_gets() -> None:
        while emulator.requests["get"] < 6:
            time.sleep(0.005)
        emulator.set_token(emulator.token, "revoked")

    revoker = threading.Thread(target=revoke_after_some_gets, daemon=True)
    revoker.start()
    failed = sync(
        resources,
        run_config={"ops": {"intercom__sync": {"config": {"batch_conversations": 2}}}},
        raise_on_error=False,
    )
    revoker.join(timeout=30)

    assert not failed.success
    failure = next(e for e in failed.all_events if e.event_type_value == "STEP_FAILURE")
    assert "token_revoked" in failure.event_specific_data.error.message
    assert emulator.status_counts[401] <= 4  # only requests already in flight (max_concurrency + 2)
    assert query(sync_resources, INCOMPLETE) == [(0,)]

    emulator.set_token(emulator.token, "valid")
    emulator.config.faults.latency_ms = 0
    sync(sync_resources)
    assert mirror_state(sync_resources) == clean_state


HOLD_LOCK = """
import duckdb, sys, time
conn = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(2)
"""


def test_run_facing_a_briefly_held_lock_waits_instead_of_failing(
    emulator, sync_resources, clean_state, _isolated_instance
):
    database = sync_resources["duckdb"].database
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, database], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"

    instance = _isolated_instance
    result = sync(sync_resources, instance=instance)

    holder.wait()
    assert result.success
    logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    waits = [message for message in logs if "is locked by" in message]
    assert waits and f"(PID {holder.pid})" in waits[0]
    assert mirror_state(sync_resources) == clean_state
