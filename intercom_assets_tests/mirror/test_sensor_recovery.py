"""The updates sensor never loses a change: failed, canceled and crashed runs are requested
again; changes made during the backfill are synced once it is on; unusable timestamps are
set aside, never a crash loop; deletions are found whatever order Intercom lists them in."""

import os
import signal
import subprocess
import sys
import time

import dagster as dg
from dagster._serdes import serialize_value

from intercom_assets.definitions import defs
from intercom_assets.mirror.updates.run_requests import RUN_KEY_TAG
from intercom_assets_tests.support import (
    Proxy,
    Records,
    backfill,
    differences,
    execute,
    tick,
    via,
)


def _ids(request: dg.RunRequest) -> list[str]:
    return request.run_config["ops"]["intercom__sync"]["config"]["conversation_ids"]


def _changed(emulator, mirrored, instance, updates_sensor):
    """A mirror in line with one change pending: (the request syncing it, the tick's cursor)."""
    first = tick(updates_sensor, mirrored, instance, None)
    execute(first.run_requests, mirrored, instance)
    changed = emulator.conversation_ids()[2]
    emulator.advance(30)
    emulator.add_parts(changed, count=3)
    second = tick(updates_sensor, mirrored, instance, first.cursor)
    (request,) = second.run_requests
    assert _ids(request) == [changed]
    return request, second.cursor


def _retried(result, original: dg.RunRequest, attempt: int) -> dg.RunRequest:
    (retry,) = result.run_requests
    assert retry.run_key == f"{original.run_key}#{attempt}"
    assert (retry.run_config, retry.job_name) == (original.run_config, "intercom_sync_job")
    return retry


def test_a_failed_run_is_requested_again_until_it_succeeds(
    emulator, mirrored, duckdb_path, updates_sensor, _isolated_instance
):
    request, cursor = _changed(emulator, mirrored, _isolated_instance, updates_sensor)
    emulator.set_token(emulator.token, "revoked")  # the run's GET fails: a failed run
    (failed,) = execute([request], mirrored, _isolated_instance)
    emulator.set_token(emulator.token, "valid")

    third = tick(updates_sensor, mirrored, _isolated_instance, cursor)
    retry = _retried(third, request, 2)
    (succeeded,) = execute([retry], mirrored, _isolated_instance)
    fourth = tick(updates_sensor, mirrored, _isolated_instance, third.cursor)

    assert not failed.success and succeeded.success
    assert differences(emulator, duckdb_path) == []
    assert fourth.run_requests == []  # succeeded: nothing pending any more
    assert fourth.skip_message.startswith("Nothing to sync")


def test_a_canceled_run_is_requested_again(
    emulator, mirrored, duckdb_path, updates_sensor, _isolated_instance
):
    request, cursor = _changed(emulator, mirrored, _isolated_instance, updates_sensor)
    run = _isolated_instance.create_run_for_job(
        job_def=defs.resolve_job_def("intercom_sync_job"),
        run_config=request.run_config,
        tags={**request.tags, RUN_KEY_TAG: request.run_key},
    )
    _isolated_instance.report_run_canceled(run)

    third = tick(updates_sensor, mirrored, _isolated_instance, cursor)
    execute([_retried(third, request, 2)], mirrored, _isolated_instance)

    assert differences(emulator, duckdb_path) == []


_WORKER = """
import sys
import dagster as dg
from dagster._serdes import deserialize_value
from dagster_duckdb import DuckDBResource
from intercom_assets.definitions import defs
from intercom_assets.mirror.resources import IntercomResource

ref, base_url, token, database, run_key, ids = sys.argv[1:7]
with dg.DagsterInstance.from_ref(deserialize_value(ref)) as instance:
    defs.resolve_job_def("intercom_sync_job").execute_in_process(
        run_config={"ops": {"intercom__sync": {"config": {"conversation_ids": ids.split(",")}}}},
        tags={"dagster/run_key": run_key},
        resources={
            "intercom": IntercomResource(access_token=token, base_url=base_url),
            "duckdb": DuckDBResource(database=database),
        },
        instance=instance,
    )
"""


def test_a_crashed_run_is_requested_again(
    emulator, mirrored, duckdb_path, updates_sensor, _isolated_instance
):
    """The run worker is killed mid-run; Dagster's run monitoring then marks the run FAILURE."""
    request, cursor = _changed(emulator, mirrored, _isolated_instance, updates_sensor)
    emulator.config.faults.latency_ms = 20_000  # the worker is stuck in its GET when killed
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _WORKER,
            serialize_value(_isolated_instance.get_ref()),
            emulator.base_url,
            emulator.token,
            str(duckdb_path),
            request.run_key,
            ",".join(_ids(request)),
        ],
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        for _ in range(300):
            runs = _isolated_instance.get_runs(
                dg.RunsFilter(tags={RUN_KEY_TAG: request.run_key}), limit=1
            )
            if runs and runs[0].status == dg.DagsterRunStatus.STARTED:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the worker never started its run")
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)
    emulator.config.faults.latency_ms = 0
    (crashed,) = runs
    _isolated_instance.report_run_failed(crashed, "run worker exited unexpectedly")

    third = tick(updates_sensor, mirrored, _isolated_instance, cursor)
    execute([_retried(third, request, 2)], mirrored, _isolated_instance)

    assert differences(emulator, duckdb_path) == []


def test_changes_made_during_the_backfill_are_synced_when_the_sensor_is_turned_on(
    emulator, resources, duckdb_path, updates_sensor, _isolated_instance
):
    ids = emulator.conversation_ids()
    newest_before = max(emulator.snapshot(c)["updated_at"] for c in ids)
    backfill(resources, _isolated_instance)
    # Changes to conversations the backfill had already read, while it was still running...
    emulator.advance(120)
    emulator.add_parts(ids[5])
    emulator.close(ids[6])
    # ...and a change an hour later, when the sensor is finally turned on.
    emulator.advance(3600)
    emulator.add_parts(ids[7])
    emulator.reset_counters()

    first = tick(updates_sensor, resources, _isolated_instance, None)
    execute(first.run_requests, resources, _isolated_instance)

    start = newest_before - 300  # the backfill's watermark minus the index-lag overlap
    expected = sorted(c for c in ids if emulator.snapshot(c)["updated_at"] >= start)
    (request,) = first.run_requests
    assert {ids[5], ids[6], ids[7]} <= set(_ids(request))
    assert _ids(request) == expected
    assert emulator.requests["get"] == len(expected)
    assert differences(emulator, duckdb_path) == []


def _milliseconds(conversation_id: str):
    """Search answers that give one conversation's timestamps in milliseconds."""

    def rewrite(path: str, payload: dict) -> dict:
        for item in payload.get("conversations", []):
            if path == "/conversations/search" and item.get("id") == conversation_id:
                item["created_at"] *= 1000
                item["updated_at"] *= 1000
        return payload

    return rewrite


def test_a_millisecond_timestamp_is_set_aside_and_the_cursor_moves_on(
    emulator, mirrored, duckdb_path, updates_sensor, _isolated_instance
):
    first = tick(updates_sensor, mirrored, _isolated_instance, None)
    execute(first.run_requests, mirrored, _isolated_instance)
    ids = emulator.conversation_ids()
    emulator.advance(30)
    emulator.add_parts(ids[1])
    emulator.add_parts(ids[3])

    with Proxy(emulator, rewrite=_milliseconds(ids[1])) as gateway:
        resources = via(gateway, mirrored)
        records = Records()
        bad = tick(updates_sensor, resources, _isolated_instance, first.cursor, log=records)
        execute(bad.run_requests, mirrored, _isolated_instance)
        emulator.advance(30)
        emulator.add_parts(ids[4])
        after = tick(updates_sensor, resources, _isolated_instance, bad.cursor)

    (request,) = bad.run_requests
    assert _ids(request) == [ids[3]]
    assert (
        "WARNING Skipping 1 search results with unusable timestamps (not UNIX seconds): "
        f"['{ids[1]}']"
    ) in records.lines
    (later,) = after.run_requests
    assert _ids(later) == [ids[4]]  # the cursor moved on past the unusable record
