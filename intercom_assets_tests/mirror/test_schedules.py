"""The daily refresh, the weekly reconciliation and the always-on freshness schedule."""

from datetime import UTC, datetime

import dagster as dg
import pytest

from intercom_assets.definitions import defs
from intercom_assets.mirror.updates.run_requests import RANGE_END_TAG, RANGE_START_TAG
from intercom_assets_tests.support import (
    HISTORY,
    backfill,
    differences,
    execute,
    make_resources,
    query,
    run_job,
)


def _evaluate(name: str, when: datetime) -> dg.RunRequest | str:
    """The schedule's single run request at `when`, or its skip message."""
    schedule = defs.resolve_schedule_def(name)
    with dg.build_schedule_context(
        scheduled_execution_time=when, repository_def=defs.get_repository_def()
    ) as context:
        data = schedule.evaluate_tick(context)
    if data.skip_message:
        return data.skip_message
    (request,) = data.run_requests
    return request


def test_daily_schedule_fully_refreshes_yesterday_after_midnight(
    emulator, mirrored, duckdb_path, _isolated_instance
):
    schedule = defs.resolve_schedule_def("intercom_daily_schedule")
    yesterday = [
        i
        for i in emulator.conversation_ids()
        if datetime.fromtimestamp(emulator.snapshot(i)["created_at"], UTC).date().isoformat()
        == "2026-11-20"
    ]
    emulator.advance(600)
    emulator.add_parts(yesterday[0])
    emulator.delete(yesterday[1])
    emulator.reset_counters()

    request = _evaluate("intercom_daily_schedule", datetime(2026, 11, 21, 0, 15, tzinfo=UTC))
    execute([request], mirrored, _isolated_instance)

    assert (schedule.cron_schedule, schedule.execution_timezone) == ("15 0 * * *", "UTC")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert (request.partition_key, request.run_key) == ("2026-11-20", "daily:2026-11-20")
    assert request.run_config == {}  # no update window: a full refresh of the day
    assert differences(emulator, duckdb_path) == []
    assert query(duckdb_path, "SELECT id, detected_via FROM intercom.deleted_conversations") == [
        (yesterday[1], "reconcile")
    ]
    assert emulator.requests["get"] == 2  # the changed one, and the 404 confirming the deletion


def test_reconciliation_repairs_missed_changes_and_deletions_on_api_2_15(
    emulator, duckdb_path, _isolated_instance
):
    resources = make_resources(emulator, duckdb_path, api_version="2.15")
    backfill(resources, _isolated_instance)
    ids = emulator.conversation_ids()
    emulator.advance(3600)
    emulator.reopen(ids[2])
    emulator.delete(ids[11])
    emulator.reset_counters()

    request = _evaluate("intercom_reconcile_schedule", datetime(2026, 11, 22, 3, tzinfo=UTC))
    # Every partition since INTERCOM_START_DATE; executed here over the emulator's history only.
    run_job(
        "intercom_sync_job",
        resources,
        _isolated_instance,
        first=HISTORY[0],
        last=request.tags[RANGE_END_TAG],
        tags={"intercom/trigger": request.tags["intercom/trigger"]},
    )

    assert request.tags[RANGE_START_TAG] == "2020-01-01"
    assert request.tags[RANGE_END_TAG] == "2026-11-22"
    assert (request.run_key, request.run_config) == ("reconcile:2026-11-22", {})
    assert defs.resolve_schedule_def("intercom_reconcile_schedule").cron_schedule == "0 3 * * 0"
    assert differences(emulator, duckdb_path) == []
    assert query(duckdb_path, "SELECT id, detected_via FROM intercom.deleted_conversations") == [
        (ids[11], "reconcile")
    ]
    assert emulator.requests["get"] == 2
    assert emulator.requests["deleted"] == 0


def test_freshness_schedule_is_on_by_default_and_needs_a_token(monkeypatch):
    schedule = defs.resolve_schedule_def("intercom_freshness_schedule")
    when = datetime(2026, 11, 25, 10, 7, tzinfo=UTC)

    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    skipped = _evaluate("intercom_freshness_schedule", when)
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "a-token")
    requested = _evaluate("intercom_freshness_schedule", when)

    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "intercom_freshness_job"
    assert skipped.startswith("INTERCOM_ACCESS_TOKEN is not set")
    assert requested.run_key == "freshness:2026-11-25T10:07"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 11, 1, 0, 15, tzinfo=UTC), "2026-10-31"),
        (datetime(2026, 1, 1, 0, 15, tzinfo=UTC), "2025-12-31"),
    ],
)
def test_daily_schedule_targets_the_day_that_just_ended(when, expected):
    assert _evaluate("intercom_daily_schedule", when).partition_key == expected
