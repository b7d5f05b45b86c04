"""Changed conversations become a handful of runs: contiguous day ranges, exact windows."""

from datetime import date

from intercom_assets.mirror.updates.run_requests import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    Change,
    DayRange,
    group_days,
    sync_requests,
)
from intercom_assets_tests.support import DEFAULT_SPEC

NOV_18 = 1_794_960_000  # 2026-11-18 00:00 UTC
DAY = 86_400


def _nov(*days: int) -> set[date]:
    return {date(2026, 11, d) for d in days}


def test_touching_days_form_one_range():
    assert group_days(_nov(3, 4, 5), max_ranges=5) == [
        DayRange(date(2026, 11, 3), date(2026, 11, 5))
    ]


def test_ranges_are_merged_across_the_smallest_gaps_first():
    ranges = group_days(_nov(1, 2, 4, 10, 11, 20, 22), max_ranges=3)

    assert ranges == [
        DayRange(date(2026, 11, 1), date(2026, 11, 4)),
        DayRange(date(2026, 11, 10), date(2026, 11, 11)),
        DayRange(date(2026, 11, 20), date(2026, 11, 22)),
    ]


def test_requests_cover_every_change_with_its_days_and_update_window():
    changes = [
        Change("1", NOV_18 + 10, NOV_18 + 5 * DAY + 100),
        Change("2", NOV_18 + DAY + 10, NOV_18 + 5 * DAY + 130),
        Change("3", NOV_18 + 9 * DAY, NOV_18 + 9 * DAY + 7),
    ]

    first, second = sync_requests(DEFAULT_SPEC, changes, max_runs=5)

    assert (first.tags[RANGE_START_TAG], first.tags[RANGE_END_TAG]) == ("2026-11-18", "2026-11-19")
    assert first.run_config["ops"]["intercom__conversations"]["config"] == {
        "updated_since": NOV_18 + 5 * DAY + 100,
        "updated_before": NOV_18 + 5 * DAY + 131,
    }
    assert (second.partition_key, RANGE_START_TAG in second.tags) == ("2026-11-27", False)
    assert second.run_config["ops"]["intercom__conversations"]["config"] == {
        "updated_since": NOV_18 + 9 * DAY + 7,
        "updated_before": NOV_18 + 9 * DAY + 8,
    }


def test_run_keys_differ_when_the_changes_differ_and_repeat_when_they_do_not():
    one = [Change("1", NOV_18, NOV_18 + 50)]
    other = [Change("2", NOV_18, NOV_18 + 50)]

    def key(changes: list[Change]) -> str | None:
        return sync_requests(DEFAULT_SPEC, changes, 5)[0].run_key

    assert key(one) == key(one)
    assert key(one) != key(other)


def test_at_most_max_runs_however_many_days_change():
    changes = [Change(str(d), NOV_18 - d * 2 * DAY, NOV_18 + 60) for d in range(40)]

    requests = sync_requests(DEFAULT_SPEC, changes, max_runs=5)

    assert len(requests) == 5
