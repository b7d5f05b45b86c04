"""The weekly reconcile records materializations only for the days it changed."""

from datetime import UTC, datetime

import pytest

from intercom_assets.emulator import EmulatorConfig
from intercom_assets_tests.support import FIXED_NOW, SYNCED, day_metadata, run_job


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _recorded(result) -> list[tuple[str, str]]:
    return sorted(
        (e.asset_key.to_user_string(), e.partition)
        for e in result.get_asset_materialization_events()
        if e.asset_key in SYNCED  # the metrics this step also records are tested elsewhere
    )


def _range(resources, instance, first, last):
    return run_job("intercom_sync_job", resources, instance, first=first, last=last)


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """30 days x 2 conversations, so a reconcile covers 30 partitions."""
    return EmulatorConfig(
        seed=11,
        days=30,
        conversations_per_day=2,
        window_seconds=1.0,
        now=FIXED_NOW,
        large_conversations=0,
    )


def test_a_reconcile_where_3_of_30_days_changed_records_exactly_those_3(
    emulator, resources, _isolated_instance
):
    first, last = "2026-10-22", "2026-11-20"
    backfill = _range(resources, _isolated_instance, first, last)
    by_day: dict[str, list[str]] = {}
    for cid in emulator.conversation_ids():
        by_day.setdefault(_day(emulator.snapshot(cid)["created_at"]), []).append(cid)
    changed = ["2026-10-25", "2026-11-03", "2026-11-19"]
    emulator.advance(60)
    emulator.add_parts(by_day[changed[0]][0])
    emulator.close(by_day[changed[1]][1])
    emulator.delete(by_day[changed[2]][0])
    emulator.reset_counters()

    reconcile = _range(resources, _isolated_instance, first, last)

    assert len(by_day) == 30 and len(_recorded(backfill)) == 60
    assert _recorded(reconcile) == sorted(
        (asset, day) for day in changed for asset in ("intercom/conversations", "intercom/messages")
    )
    days = day_metadata(reconcile, "conversations")
    assert [days[d]["conversations_changed"] for d in changed] == [1, 1, 0]
    assert [days[d]["conversations_deleted"] for d in changed] == [0, 0, 1]
    assert days[changed[2]]["dagster/row_count"] == 1
    # Two changed + one confirming a deletion (404).
    assert emulator.requests["get"] == 3


def test_a_backfill_over_recorded_days_records_every_day_of_every_asset(
    emulator, resources, _isolated_instance
):
    """An asset backfill counts a planned day left unrecorded as failed, so a re-backfill
    records all 30 days of all four assets even where nothing changed."""
    first, last = "2026-10-22", "2026-11-20"
    _range(resources, _isolated_instance, first, last)
    emulator.reset_counters()

    again = run_job(
        "intercom_sync_job",
        resources,
        _isolated_instance,
        first=first,
        last=last,
        tags={"dagster/backfill": "rebackfill"},
    )

    recorded = {
        (e.asset_key.to_user_string(), e.partition)
        for e in again.get_asset_materialization_events()
    }
    days = {asset for asset, _ in recorded}, {day for _, day in recorded}
    assert days[0] == {
        "intercom/conversations",
        "intercom/messages",
        "intercom/conversation_metrics",
        "intercom/daily_support_metrics",
    }
    assert len(days[1]) == 30 and len(recorded) == 120
    assert day_metadata(again, "conversations")[first]["dagster/row_count"] == 2
    assert emulator.requests["get"] == 0  # nothing changed: nothing fetched
