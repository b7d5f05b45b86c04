"""Crashes a production deployment survives: a run worker killed with SIGKILL, the daemon
killed in the middle of a backfill. Each ends with an exact mirror."""

import os
import re
import signal
import time
from pathlib import Path

import pytest
from dagster import EventLogEntry
from dagster._serdes import deserialize_value

from intercom_assets.emulator import Emulator
from intercom_assets_tests.production.operations import (
    RUN_ENDED,
    backfill,
    history,
    launch_backfill,
    launch_sync_run,
    run,
    run_times,
    run_worker_pid,
    runs,
    slow_emulator,
    sync_exactly,
    wait_for_backfill,
    wait_for_requests,
    wait_for_run,
    wait_for_status,
)
from intercom_assets_tests.production.postgres import Cluster
from intercom_assets_tests.production.processes import Deployment, wait_for
from intercom_assets_tests.support import differences

pytestmark = pytest.mark.production


def _touch(emulator: Emulator, count: int = 6) -> None:
    """Give every day of history work: replies on a few conversations per day."""
    for conversation_id in emulator.conversation_ids()[:count]:
        emulator.add_parts(conversation_id, 2)


def _event_log(cluster: Cluster, run_id: str) -> str:
    """The messages of the run's event log as stored in PostgreSQL, one a line."""
    rows = cluster.query("SELECT event FROM event_logs WHERE run_id = %s ORDER BY id", (run_id,))
    entries = [deserialize_value(event, EventLogEntry) for (event,) in rows]
    return "\n".join(
        entry.dagster_event.message or "" if entry.dagster_event else entry.user_message
        for entry in entries
    )


def test_killed_run_worker_is_marked_failed_and_retried_to_an_exact_mirror(
    deployment: Deployment, cluster: Cluster, live_emulator: Emulator, mirror_path: Path
) -> None:
    sync_exactly(deployment, live_emulator, mirror_path)
    _touch(live_emulator)
    first, last = history()
    with slow_emulator(live_emulator, 2_000):
        gets = live_emulator.requests["get"]
        run_id = launch_sync_run(deployment, first, last)
        pid = run_worker_pid(cluster, run_id)
        wait_for_requests(live_emulator, "get", gets)  # conversations written, messages pending
        os.kill(pid, signal.SIGKILL)
        # No launcher health check: the code server notices its child died and fails the run.
        assert wait_for_run(deployment, run_id, timeout=60) == "FAILURE"
    assert re.search(
        r"Run execution process for \S+ was terminated by signal 9",
        _event_log(cluster, run_id),
    )
    assert differences(live_emulator, mirror_path)  # the kill left the mirror behind

    def retry() -> dict | None:
        children = runs(deployment, tags=[{"key": "dagster/parent_run_id", "value": run_id}])
        return children[0] if children else None

    child = wait_for(retry, "run_retries to re-execute the failed run", 60)
    assert child["tags"]["dagster/retry_number"] == "1"
    assert wait_for_run(deployment, child["runId"]) == "SUCCESS"
    assert differences(live_emulator, mirror_path) == []


def test_daemon_killed_mid_backfill_resumes_it_after_restart(
    deployment: Deployment, cluster: Cluster, live_emulator: Emulator, mirror_path: Path
) -> None:
    sync_exactly(deployment, live_emulator, mirror_path)
    _touch(live_emulator)
    first, last = history()
    with slow_emulator(live_emulator, 1_500):
        backfill_id = launch_backfill(deployment, first, last)
        runs_of = lambda: backfill(deployment, backfill_id)["runs"]  # noqa: E731
        (started,) = wait_for(runs_of, "the daemon to submit the backfill's run", 90)
        wait_for_status(deployment, started["runId"], "STARTED")
        deployment.daemon.kill()
    # The run worker belongs to the code server, so the run finishes without the daemon;
    # only the backfill's bookkeeping waits for it.
    assert wait_for_run(deployment, started["runId"]) == "SUCCESS"
    assert backfill(deployment, backfill_id)["status"] == "REQUESTED"
    deployment.daemon.start()
    assert wait_for_backfill(deployment, backfill_id, timeout=120) == "COMPLETED_SUCCESS"
    assert [r["runId"] for r in backfill(deployment, backfill_id)["runs"]] == [started["runId"]]
    ((status,),) = cluster.query("SELECT status FROM bulk_actions WHERE key = %s", (backfill_id,))
    assert status == "COMPLETED_SUCCESS"
    assert differences(live_emulator, mirror_path) == []


def _peak_overlap(intervals: list[tuple[float, float]]) -> int:
    """The most runs that were executing at one moment."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    peak = current = 0
    for _, step in edges:  # an end sorts before a start at the same instant
        current += step
        peak = max(peak, current)
    return peak


def test_run_queue_holds_a_second_reconcile_and_at_most_three_runs(
    deployment: Deployment, cluster: Cluster, live_emulator: Emulator, mirror_path: Path
) -> None:
    sync_exactly(deployment, live_emulator, mirror_path)
    _touch(live_emulator)
    first, last = history()
    reconcile = {"intercom/trigger": "reconcile"}
    with slow_emulator(live_emulator, 2_000):
        one = launch_sync_run(deployment, first, last, tags=reconcile)
        two = launch_sync_run(deployment, first, last, tags=reconcile)
        others = [launch_sync_run(deployment, first, last) for _ in range(3)]
        wait_for_status(deployment, one, "STARTED")
        waited = 0
        while True:
            second = run(deployment, two)["status"]  # read before the first: no false alarm
            if run(deployment, one)["status"] in RUN_ENDED:
                break
            assert second == "QUEUED", "a second reconcile started beside the first"
            waited += 1
            time.sleep(0.5)
    assert waited >= 3  # several dequeue passes (1 s apart here) held it back
    everything = [one, two, *others]
    assert [wait_for_run(deployment, run_id) for run_id in everything] == ["SUCCESS"] * 5
    times = {run_id: run_times(cluster, run_id) for run_id in everything}
    assert times[two][0] >= times[one][1]
    # Five runs launched at once: max_concurrent_runs (3) was reached and never exceeded.
    assert _peak_overlap(list(times.values())) == 3
    assert differences(live_emulator, mirror_path) == []


def test_run_orphaned_by_a_dead_code_server_is_failed_by_its_max_runtime(
    deployment: Deployment, cluster: Cluster, live_emulator: Emulator, mirror_path: Path
) -> None:
    """The code server is what notices a dead run worker; when both die (a lost node, a
    container stop), nothing checks the worker's health and only `max_runtime_seconds` (or
    the `dagster/max_runtime` tag) ends the run. Here the tag is 20 s."""
    sync_exactly(deployment, live_emulator, mirror_path)
    _touch(live_emulator)
    first, last = history()
    with slow_emulator(live_emulator, 2_000):
        run_id = launch_sync_run(deployment, first, last, tags={"dagster/max_runtime": "20"})
        run_worker_pid(cluster, run_id)
        wait_for_status(deployment, run_id, "STARTED")
        deployment.restart_code_server()  # SIGKILL of its process group, run worker included
    assert run(deployment, run_id)["status"] == "STARTED"  # an orphan nobody watches
    assert wait_for_run(deployment, run_id, timeout=90) == "FAILURE"
    log = _event_log(cluster, run_id)
    assert "Canceling due to exceeding maximum runtime of 20 seconds." in log
    assert "This job is being forcibly marked as failed." in log
