"""Changed conversations become run requests carrying their ids; unusable timestamps are
rejected; a failed run is re-requested under the next attempt's key."""

from intercom_assets.mirror.updates.run_requests import (
    MAX_IDS_PER_RUN,
    Change,
    as_change,
    attempt_of,
    sync_requests,
)
from intercom_assets_tests.support import DEFAULT_SPEC

NOV_18 = 1_794_960_000  # 2026-11-18 00:00 UTC
DAY = 86_400


def test_one_request_carries_every_changed_id_and_no_partition():
    changes = [
        Change("1", NOV_18 + 10, NOV_18 + 5 * DAY + 100),
        Change("2", NOV_18 + DAY + 10, NOV_18 + 5 * DAY + 130),
        Change("3", NOV_18 + 9 * DAY, NOV_18 + 9 * DAY + 7),
    ]

    (request,) = sync_requests(DEFAULT_SPEC, changes)

    assert request.run_config == {
        "ops": {"intercom__sync": {"config": {"conversation_ids": ["1", "2", "3"]}}}
    }
    assert (request.partition_key, request.job_name) == (None, "intercom_sync_job")
    assert request.tags == {"intercom/attempt": "1"}


def test_run_keys_differ_when_the_changes_differ_and_repeat_when_they_do_not():
    one = [Change("1", NOV_18, NOV_18 + 50)]
    other = [Change("2", NOV_18, NOV_18 + 50)]

    assert (
        sync_requests(DEFAULT_SPEC, one)[0].run_key == sync_requests(DEFAULT_SPEC, one)[0].run_key
    )
    assert (
        sync_requests(DEFAULT_SPEC, one)[0].run_key != sync_requests(DEFAULT_SPEC, other)[0].run_key
    )


def test_many_changes_are_split_into_bounded_runs():
    changes = [Change(str(i), NOV_18, NOV_18 + i) for i in range(MAX_IDS_PER_RUN + 1)]

    first, second = sync_requests(DEFAULT_SPEC, changes)

    ids = first.run_config["ops"]["intercom__sync"]["config"]["conversation_ids"]
    assert len(ids) == MAX_IDS_PER_RUN
    assert second.run_config["ops"]["intercom__sync"]["config"]["conversation_ids"] == [
        str(MAX_IDS_PER_RUN)
    ]


def test_millisecond_and_missing_timestamps_are_unusable():
    assert as_change({"id": "1", "created_at": NOV_18, "updated_at": NOV_18 + 1}) == Change(
        "1", NOV_18, NOV_18 + 1
    )
    assert as_change({"id": "2", "created_at": NOV_18 * 1000, "updated_at": NOV_18}) is None
    assert as_change({"id": "3", "created_at": NOV_18, "updated_at": NOV_18 * 1000}) is None
    assert as_change({"id": "4", "created_at": NOV_18, "updated_at": None}) is None
    assert as_change({"id": "5", "created_at": "soon", "updated_at": NOV_18}) is None


def test_attempts_are_counted_in_the_run_key():
    assert attempt_of("updates:1-2:abc") == 1
    assert attempt_of("updates:1-2:abc#3") == 3
