"""intercom_updates_sensor: ticks whose run requests, executed, bring the mirror in line."""

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from intercom_assets.client import IntercomAuthError
from intercom_assets.mirror.sensor import TickLimits
from intercom_assets.mirror.updates.scan import Budget
from intercom_assets_tests.support import (
    FIXED_NOW,
    SYNCED,
    differences,
    execute,
    make_resources,
    query,
    tick,
    updates_sensor,
)


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _ids(request: dg.RunRequest) -> list[str]:
    """The conversations a sync run request fetches."""
    return request.run_config["ops"]["intercom__sync"]["config"]["conversation_ids"]


def _covers(request: dg.RunRequest, snapshot: dict) -> bool:
    """Whether a sync run request fetches this conversation."""
    return snapshot["id"] in _ids(request)


def _sync_requests(result) -> list[dg.RunRequest]:
    return [r for r in result.run_requests if r.job_name == "intercom_sync_job"]


def test_first_tick_before_any_sync_requests_nothing_and_a_quiet_tick_skips_with_a_reason(
    emulator, resources, updates_sensor, _isolated_instance
):
    first = tick(updates_sensor, resources, _isolated_instance, None)
    quiet = tick(updates_sensor, resources, _isolated_instance, first.cursor)

    assert first.run_requests == []
    assert first.skip_message == (
        "First tick: watching Intercom for conversations updated after 2026-11-20 15:25:00 UTC. "
        "Earlier history is loaded by a backfill, not by this sensor."
    )
    assert quiet.run_requests == []
    assert quiet.skip_message.startswith(
        "Nothing to sync: no conversation changed in Intercom since 2026-11-20 15:25:00 UTC"
    )
    assert emulator.requests["get"] == 0


def test_a_tick_after_changes_syncs_exactly_the_changed_conversations(
    emulator, mirrored, duckdb_path, updates_sensor, _isolated_instance
):
    first = tick(updates_sensor, mirrored, _isolated_instance, None)
    ids = emulator.conversation_ids()
    changed_at = emulator.advance(60)
    emulator.add_parts(ids[0], count=2)
    emulator.close(ids[9])
    emulator.snooze(ids[12], until=changed_at + 3600)
    oldest_part = emulator.snapshot(ids[17])["conversation_parts"]["conversation_parts"][0]
    emulator.redact_part(ids[17], oldest_part["id"])
    emulator.delete(ids[20])
    created_today = emulator.create_conversation()
    emulator.reset_counters()

    second = tick(updates_sensor, mirrored, _isolated_instance, first.cursor)
    results = execute(second.run_requests, mirrored, _isolated_instance)

    (sync,) = _sync_requests(second)
    # No partition: the run fetches exactly the changed ids and searches nothing.
    assert (sync.partition_key, sync.tags) == (
        None,
        {"intercom/attempt": "1", "dagster/sensor_name": "intercom_updates_sensor"},
    )
    assert _ids(sync) == sorted([ids[0], ids[9], ids[12], ids[17], created_today])
    (deletions,) = [r for r in second.run_requests if r.job_name == "intercom_deletions_job"]
    assert deletions.run_config["ops"]["intercom__deleted_conversations"]["config"] == {
        "deleted_since": 0,
        "deleted_until": changed_at,
    }
    assert len({r.run_key for r in second.run_requests}) == 2
    assert all(result.success for result in results)
    assert differences(emulator, duckdb_path) == []
    assert emulator.requests["get"] == 5  # 4 changed + 1 created; unchanged ones cost nothing
    assert emulator.requests["search"] == 1  # the tick's one page; the runs search nothing
    assert query(duckdb_path, "SELECT id, detected_via FROM intercom.deleted_conversations") == [
        (ids[20], "deleted_endpoint")
    ]
    assert query(
        duckdb_path, "SELECT id FROM intercom.conversations WHERE id = ?", [created_today]
    ) == [(created_today,)]


def test_a_sensor_run_records_materializations_only_for_the_days_it_changed(
    emulator, mirrored, duckdb_path, updates_sensor, _isolated_instance
):
    first = tick(updates_sensor, mirrored, _isolated_instance, None)
    execute(first.run_requests, mirrored, _isolated_instance)
    ids = emulator.conversation_ids()
    emulator.advance(5)
    emulator.add_parts(ids[3])  # created 2026-11-18
    emulator.close(ids[4])  # created 2026-11-18
    emulator.reset_counters()

    second = tick(updates_sensor, mirrored, _isolated_instance, first.cursor)
    (run,) = execute(second.run_requests, mirrored, _isolated_instance)

    (request,) = second.run_requests
    assert (request.partition_key, _ids(request)) == (None, sorted([ids[3], ids[4]]))
    assert run.success
    materialized = [
        (e.asset_key.to_user_string(), e.partition)
        for e in run.get_asset_materialization_events()
        if e.asset_key in SYNCED
    ]
    assert materialized == [
        ("intercom/conversations", "2026-11-18"),
        ("intercom/messages", "2026-11-18"),
    ]
    assert (emulator.requests["get"], emulator.requests["search"]) == (2, 1)
    assert differences(emulator, duckdb_path) == []


def test_the_cursor_survives_a_restart(emulator, mirrored, duckdb_path, _isolated_instance):
    before_restart = updates_sensor()
    first = tick(before_restart, mirrored, _isolated_instance, None)
    emulator.advance(30)
    changed = emulator.conversation_ids()[5]
    emulator.add_parts(changed)
    stored_cursor = json.loads(json.dumps(first.cursor))

    after_restart = updates_sensor()
    with dg.instance_for_test() as fresh_instance:
        result = tick(after_restart, mirrored, fresh_instance, stored_cursor)
        execute(result.run_requests, mirrored, fresh_instance)

    (request,) = result.run_requests
    assert _covers(request, emulator.snapshot(changed))
    assert emulator.requests["get"] == 1
    assert differences(emulator, duckdb_path) == []


def _tick_until_nothing_to_sync(sensor, resources, instance, emulator, cursor):
    """Tick like the daemon until a tick reports the walk done; returns requests and cursor."""
    requests = []
    for _ in range(12):
        emulator.reset_counters()
        result = tick(sensor, resources, instance, cursor)
        assert emulator.requests["search"] <= 2, "a tick read more than its budget"
        requests += result.run_requests
        cursor = result.cursor
        if (result.skip_message or "").startswith("Nothing to sync"):
            return requests, cursor
    raise AssertionError("the cursor stalled: 12 ticks did not reach the end")


def test_a_crowded_second_is_walked_to_its_end_across_ticks(
    emulator, mirrored, duckdb_path, _isolated_instance
):
    """9 conversations share one updated_at second while a tick may read only 4."""
    small = updates_sensor(TickLimits(budget=Budget(page_size=2, max_pages=2)))
    first = tick(small, mirrored, _isolated_instance, None).cursor
    _, cursor = _tick_until_nothing_to_sync(small, mirrored, _isolated_instance, emulator, first)
    emulator.advance(10)
    crowded = emulator.conversation_ids()[::2][:9]
    for conversation_id in crowded:
        emulator.add_parts(conversation_id)

    requests, _ = _tick_until_nothing_to_sync(small, mirrored, _isolated_instance, emulator, cursor)
    emulator.reset_counters()
    execute(requests, mirrored, _isolated_instance)

    for conversation_id in crowded:
        assert any(_covers(r, emulator.snapshot(conversation_id)) for r in requests)
    assert len({r.run_key for r in requests}) == len(requests)
    assert emulator.requests["get"] == 9  # each crowded conversation fetched exactly once
    assert differences(emulator, duckdb_path) == []


def test_a_late_indexed_change_inside_the_overlap_is_synced_once(
    emulator, mirrored, duckdb_path, updates_sensor, _isolated_instance
):
    ids = emulator.conversation_ids()
    cursor = tick(updates_sensor, mirrored, _isolated_instance, None).cursor
    emulator.advance(120)
    emulator.add_parts(ids[1])
    seen = tick(updates_sensor, mirrored, _isolated_instance, cursor)
    execute(seen.run_requests, mirrored, _isolated_instance)
    # A change made 100 s before the one already handled, visible in search only now.
    emulator.set_now(FIXED_NOW + 20)
    emulator.add_parts(ids[2])
    emulator.reset_counters()

    late = tick(updates_sensor, mirrored, _isolated_instance, seen.cursor)
    execute(late.run_requests, mirrored, _isolated_instance)
    after = tick(updates_sensor, mirrored, _isolated_instance, late.cursor)

    (request,) = late.run_requests
    assert _covers(request, emulator.snapshot(ids[2]))
    assert not _covers(request, emulator.snapshot(ids[1]))
    assert emulator.requests["get"] == 1
    assert after.run_requests == []
    assert differences(emulator, duckdb_path) == []


@contextmanager
def _locked(database: Path) -> Iterator[None]:
    """Another process holding the DuckDB file read-write, as a running sync does."""
    script = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
        " time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(database)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(database), read_only=True)
        yield
    finally:
        holder.kill()
        holder.wait()


def test_a_tick_works_while_another_process_holds_the_duckdb_write_lock(
    emulator, mirrored, duckdb_path, updates_sensor, _isolated_instance
):
    cursor = tick(updates_sensor, mirrored, _isolated_instance, None).cursor
    emulator.advance(10)
    emulator.close(emulator.conversation_ids()[4])

    with _locked(duckdb_path):
        result = tick(updates_sensor, mirrored, _isolated_instance, cursor)

    (request,) = result.run_requests
    assert _covers(request, emulator.snapshot(emulator.conversation_ids()[4]))


def test_on_api_2_15_deletions_are_left_to_reconciliation(
    emulator, duckdb_path, _isolated_instance
):
    resources = make_resources(emulator, duckdb_path, api_version="2.15")
    sensor = updates_sensor()
    cursor = tick(sensor, resources, _isolated_instance, None).cursor
    emulator.advance(10)
    emulator.delete(emulator.conversation_ids()[0])

    result = tick(sensor, resources, _isolated_instance, cursor)

    assert result.run_requests == []
    assert result.skip_message.startswith("Nothing to sync")
    assert emulator.requests["deleted"] == 0


def test_a_revoked_token_fails_the_tick_with_what_to_do(
    emulator, resources, updates_sensor, _isolated_instance
):
    emulator.set_token(emulator.token, "revoked")

    with pytest.raises(IntercomAuthError, match="has not been revoked"):
        tick(updates_sensor, resources, _isolated_instance, None)
