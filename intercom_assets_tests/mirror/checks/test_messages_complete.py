"""messages_complete: passes when every part is stored, warns at Intercom's 500-part limit,
and fails with an error naming every conversation whose parts are really missing."""

from datetime import UTC, datetime

import dagster as dg

from intercom_assets_tests.support import check_metadata, evaluation, run_job


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _sync(resources, instance, **partitions) -> dg.AssetCheckEvaluation:
    result = run_job("intercom_sync_job", resources, instance, **partitions)
    return evaluation(result, "messages_complete")


def test_passes_on_a_complete_partition(resources, _isolated_instance):
    result = _sync(resources, _isolated_instance, partition_key="2026-11-19")

    # Unpartitioned: one evaluation per run, over the whole mirror (here, the one day synced).
    assert (result.passed, result.partition) == (True, None)
    assert check_metadata(result)["conversations_checked"] == 8
    assert check_metadata(result)["incomplete_conversations"] == 0
    assert result.description == "All 8 stored conversations have every part Intercom reports."


def test_warns_naming_exactly_the_conversations_over_500_parts(
    emulator, resources, _isolated_instance
):
    snapshots = [emulator.snapshot(i) for i in emulator.conversation_ids()]
    large = [s for s in snapshots if s["statistics"]["count_conversation_parts"] - 1 > 500]

    result = _sync(resources, _isolated_instance, first="2026-11-18", last="2026-11-20")

    assert len(large) == 2
    assert (result.passed, result.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert check_metadata(result)["incomplete_conversation_ids"] == ", ".join(
        s["id"] for s in large
    )
    assert check_metadata(result)["incomplete_days"] == ", ".join(
        _day(s["created_at"]) for s in large
    )
    assert (
        check_metadata(result)["truncated_conversations"],
        check_metadata(result)["missing_conversations"],
    ) == (2, 0)
    assert "truncated by Intercom's 500-part limit" in check_metadata(result)["details"]
    assert "Intercom's API only returns the newest 500 parts" in result.description
    assert "nothing to do" in result.description


def test_fails_with_error_naming_every_conversation_when_the_token_cannot_read_parts(
    emulator, resources, _isolated_instance
):
    emulator.set_token(emulator.token, "no_parts")
    with_parts = [
        s["id"]
        for s in map(emulator.snapshot, emulator.conversation_ids())
        if _day(s["created_at"]) == "2026-11-19" and s["statistics"]["count_conversation_parts"] > 1
    ]

    result = _sync(resources, _isolated_instance, partition_key="2026-11-19")

    assert (result.passed, result.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert check_metadata(result)["incomplete_conversation_ids"] == ", ".join(with_parts)
    assert check_metadata(result)["missing_conversations"] == len(with_parts) == 7
    assert "parts missing" in check_metadata(result)["details"]
    assert "can read conversation parts" in result.description
    assert "the Read conversations permission" in result.description
    assert "re-sync these days by materializing their partitions: 2026-11-19" in result.description


def test_following_the_advice_repairs_the_partition(emulator, resources, _isolated_instance):
    emulator.set_token(emulator.token, "no_parts")
    _sync(resources, _isolated_instance, partition_key="2026-11-19")
    emulator.set_token(emulator.token, "valid")
    emulator.reset_counters()

    result = _sync(resources, _isolated_instance, partition_key="2026-11-19")

    assert result.passed
    assert emulator.requests["get"] == 7  # only the incomplete ones are fetched again
