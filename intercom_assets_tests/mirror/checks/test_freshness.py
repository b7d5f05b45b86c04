"""Freshness checks: run by their own job, never opening DuckDB, one search call at most."""

from datetime import UTC, datetime

import dagster as dg

from intercom_assets.definitions import defs
from intercom_assets.mirror.build import build_defs
from intercom_assets.mirror.checks.freshness import deadline_day, newest_synced_updated_at
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets_tests.support import (
    HISTORY,
    check_metadata,
    day_metadata,
    evaluation,
    run_job,
    sync_config,
)


def _freshness(resources, instance, built: dg.Definitions = defs) -> dg.ExecuteInProcessResult:
    return built.resolve_job_def("intercom_freshness_job").execute_in_process(
        resources=resources, instance=instance
    )


def _backfill(resources, instance) -> None:
    run_job("intercom_sync_job", resources, instance, first=HISTORY[0], last=HISTORY[1])


def test_sync_lag_passes_when_the_mirror_is_current(emulator, resources, _isolated_instance):
    _backfill(resources, _isolated_instance)
    emulator.reset_counters()

    result = evaluation(_freshness(resources, _isolated_instance), "sync_lag")

    assert result.passed
    assert check_metadata(result)["lag_minutes"] == 0
    assert check_metadata(result)["newest_synced_update"] == "2026-11-20 15:30 UTC"
    assert result.description == (
        "The mirror is current: Intercom has no change newer than 2026-11-20 15:30 UTC."
    )
    assert emulator.requests == {"search": 1}


def test_newest_updated_at_is_recorded_as_a_timestamp_and_older_integers_still_count(
    resources, _isolated_instance
):
    _backfill(resources, _isolated_instance)
    key = dg.AssetKey(["intercom", "conversations"])
    (record,) = _isolated_instance.fetch_observations(key, limit=10).records
    entry = record.asset_observation.metadata["newest_updated_at"]
    newest = int(datetime(2026, 11, 20, 15, 30, tzinfo=UTC).timestamp())
    assert isinstance(entry, dg.TimestampMetadataValue)
    assert entry.value == float(newest)  # the 15:30 sync_lag reports

    # A run of an earlier release recorded epoch seconds as a plain integer: still read.
    later = int(entry.value) + 3600
    _isolated_instance.report_runless_asset_event(
        dg.AssetObservation(key, metadata={"newest_updated_at": later})
    )
    assert newest_synced_updated_at(_isolated_instance, key) == later


def test_sync_lag_fails_when_intercom_has_newer_updates(emulator, resources, _isolated_instance):
    _backfill(resources, _isolated_instance)
    emulator.advance(120)
    emulator.add_parts(emulator.conversation_ids()[0])
    emulator.reset_counters()

    result = evaluation(_freshness(resources, _isolated_instance), "sync_lag")

    assert (result.passed, result.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert check_metadata(result)["oldest_missing_update"] == "2026-11-20 15:32 UTC"
    assert check_metadata(result)["threshold_minutes"] == 60
    assert result.description.startswith(
        "The mirror is behind Intercom: a change made at 2026-11-20 15:32 UTC is not synced yet"
    )
    assert "Turn on intercom_updates_sensor" in result.description
    assert emulator.requests == {"search": 1}


def test_the_allowed_lag_is_configurable(emulator, resources, _isolated_instance):
    _backfill(resources, _isolated_instance)
    emulator.advance(120)
    emulator.add_parts(emulator.conversation_ids()[0])
    lenient = build_defs(MirrorSpec(max_sync_lag_minutes=365 * 24 * 60))

    result = evaluation(_freshness(resources, _isolated_instance, lenient), "sync_lag")

    assert result.passed
    assert result.description.endswith("minutes behind Intercom, within the limit.")


def test_sync_lag_fails_before_anything_was_synced(emulator, resources, _isolated_instance):
    result = evaluation(_freshness(resources, _isolated_instance), "sync_lag")

    assert not result.passed
    assert result.description.startswith("Nothing has been synced yet.")
    assert sum(emulator.requests.values()) == 0


def test_yesterday_synced_fails_until_the_day_is_synced_after_it_ended(
    resources, _isolated_instance
):
    day = deadline_day(datetime.now(UTC)).isoformat()

    before = evaluation(_freshness(resources, _isolated_instance), "yesterday_synced")
    run_job("intercom_sync_job", resources, _isolated_instance, partition_key=day)
    after = evaluation(_freshness(resources, _isolated_instance), "yesterday_synced")

    assert (before.passed, check_metadata(before)) == (False, {"day": day, "last_synced": "never"})
    assert before.description.startswith(f"The day {day} was never fully refreshed")
    assert "Turn on intercom_daily_schedule" in before.description
    assert after.passed
    assert after.description.startswith(f"{day} was synced at ")


def test_yesterday_synced_counts_only_a_full_refresh_of_yesterday(
    emulator, resources, _isolated_instance
):
    day = deadline_day(datetime.now(UTC))
    noon = int(datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())
    emulator.set_now(int(datetime.now(UTC).timestamp()))
    created = emulator.create_conversation(created_at=noon, parts=1)

    # A sensor run fetching one conversation of yesterday records yesterday's partition...
    narrowed = run_job(
        "intercom_sync_job",
        resources,
        _isolated_instance,
        run_config=sync_config(conversation_ids=[created]),
    )
    before = evaluation(_freshness(resources, _isolated_instance), "yesterday_synced")
    run_job("intercom_sync_job", resources, _isolated_instance, partition_key=day.isoformat())
    after = evaluation(_freshness(resources, _isolated_instance), "yesterday_synced")

    assert sorted(day_metadata(narrowed, "messages")) == [day.isoformat()]
    # ...but only a full refresh of the day proves it complete.
    assert (before.passed, check_metadata(before)["last_synced"]) == (False, "never")
    assert before.description.startswith(f"The day {day} was never fully refreshed")
    assert after.passed
