"""The sync multi-asset as Dagster sees it: one action syncs both assets; each day's
materialization carries that day's own figures; runs record only the days they changed;
checks judge the whole mirror once per run; one failing day never sinks the others."""

from datetime import UTC, datetime

import dagster as dg
import pytest

from intercom_assets.definitions import defs
from intercom_assets_tests.support import (
    HISTORY,
    METRICS,
    SYNCED,
    Proxy,
    check_metadata,
    day_metadata,
    evaluation,
    query,
    run_job,
    run_metadata,
    via,
)

CONVERSATIONS, MESSAGES = (
    dg.AssetKey(["intercom", "conversations"]),
    dg.AssetKey(["intercom", "messages"]),
)
_BY_DAY = """
SELECT strftime(c.created_at, '%Y-%m-%d') AS day, count(DISTINCT c.id),
       count(m.id), count(DISTINCT c.id) FILTER (WHERE c.parts_reported > 500)
FROM intercom.conversations c LEFT JOIN intercom.messages m ON m.conversation_id = c.id
GROUP BY day ORDER BY day
"""


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _range(resources, instance, first=HISTORY[0], last=HISTORY[1], **kwargs):
    return run_job("intercom_sync_job", resources, instance, first=first, last=last, **kwargs)


def _recorded(result: dg.ExecuteInProcessResult) -> list[tuple[str, str]]:
    return sorted(
        (e.asset_key.to_user_string(), e.partition)
        for e in result.get_asset_materialization_events()
        if e.asset_key in SYNCED  # the metrics this step also records are tested elsewhere
    )


def test_either_asset_alone_cannot_be_selected_and_either_selects_both():
    job = defs.resolve_implicit_global_asset_job_def()
    graph = defs.resolve_asset_graph()

    for key in (CONVERSATIONS, MESSAGES):
        with pytest.raises(dg.DagsterInvalidSubsetError, match="does not support subsetting"):
            job.get_subset(asset_selection={key})
        neighbours = dg.AssetSelection.assets(key).required_multi_asset_neighbors()
        assert neighbours.resolve(graph) == SYNCED | METRICS  # the metrics: same step
    sync_job = defs.resolve_job_def("intercom_sync_job")
    assert set(sync_job.asset_layer.selected_asset_keys) == SYNCED | METRICS


def test_each_day_of_a_range_run_carries_its_own_figures_and_run_figures_are_recorded_once(
    emulator, resources, duckdb_path, _isolated_instance
):
    result = _range(resources, _isolated_instance)

    by_day = {day: (conv, msgs, over) for day, conv, msgs, over in query(duckdb_path, _BY_DAY)}
    conversations, messages = (
        day_metadata(result, "conversations"),
        day_metadata(result, "messages"),
    )
    assert (
        sorted(by_day)
        == sorted(conversations)
        == sorted(messages)
        == list(("2026-11-18", "2026-11-19", "2026-11-20"))
    )
    created = {}
    for cid in emulator.conversation_ids():
        day = _day(emulator.snapshot(cid)["created_at"])
        created[day] = created.get(day, 0) + 1
    for day, (conv, msgs, over) in by_day.items():
        assert conversations[day]["dagster/row_count"] == conv == created[day]
        assert conversations[day]["conversations_new"] == conv
        assert conversations[day]["conversations_changed"] == 0
        assert conversations[day]["conversations_deleted"] == 0
        assert conversations[day]["conversations_over_500_parts"] == over
        assert messages[day]["dagster/row_count"] == msgs
        assert messages[day]["messages_written"] == msgs
        assert "api_requests" not in conversations[day] and "duration_seconds" not in messages[day]
    assert sum(over for *_, over in by_day.values()) == 2
    assert len({m["dagster/row_count"] for m in messages.values()}) == 3  # a real series
    # Run-wide figures: one partitionless observation per run, with the request counts.
    observations = result.get_asset_observation_events()
    assert [(e.asset_key, e.partition) for e in observations] == [(CONVERSATIONS, None)]
    run = run_metadata(result)
    assert run["api_requests_get"] == emulator.requests["get"] == len(emulator.conversation_ids())
    assert run["api_requests_search"] == emulator.requests["search"]
    assert (run["api_429s"], run["api_retries"], run["full_refresh"]) == (0, 0, True)
    assert run["duration_seconds"] > 0
    newest = max(emulator.snapshot(cid)["updated_at"] for cid in emulator.conversation_ids())
    # Intercom's newest change, as a timestamp the UI shows as a time (the sensor starts there).
    observed = result.get_asset_observation_events()[0].event_specific_data.asset_observation
    assert observed.metadata["sync_watermark"] == dg.MetadataValue.timestamp(float(newest))


def _fails_day(day: str):
    """A gateway that answers every search of one created day's window with a 503."""
    start = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())

    def fail(method: str, path: str, body: dict | None) -> bool:
        if not path.startswith("/conversations/search") or body is None:
            return False
        return {"field": "created_at", "operator": ">=", "value": start} in (
            body["query"].get("value") or []
        )

    return fail


def test_a_day_whose_search_fails_is_named_unrecorded_and_retried_by_the_next_run(
    emulator, resources, duckdb_path, _isolated_instance
):
    _range(resources, _isolated_instance)
    ids = emulator.conversation_ids()
    on_18 = [c for c in ids if _day(emulator.snapshot(c)["created_at"]) == "2026-11-18"]
    on_19 = [c for c in ids if _day(emulator.snapshot(c)["created_at"]) == "2026-11-19"]
    emulator.advance(60)
    emulator.delete(on_18[0])
    emulator.delete(on_19[0])
    emulator.close(on_18[1])
    emulator.close(on_19[1])

    with Proxy(emulator, fail=_fails_day("2026-11-19")) as gateway:
        faulty = _range(via(gateway, resources, max_retries=1), _isolated_instance)
    repaired = _range(resources, _isolated_instance)

    assert faulty.success
    assert _recorded(faulty) == [
        ("intercom/conversations", "2026-11-18"),
        ("intercom/messages", "2026-11-18"),
    ]
    check = evaluation(faulty, "days_synced")
    assert (check.passed, check.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert check_metadata(check)["failed_days"] == "2026-11-19"
    assert check.description.startswith("1 of 3 day(s) could not be synced this run: 2026-11-19")
    # Deletion detection ran for the completed day only.
    assert day_metadata(faulty, "conversations")["2026-11-18"]["conversations_deleted"] == 1
    assert _recorded(repaired) == [
        ("intercom/conversations", "2026-11-19"),
        ("intercom/messages", "2026-11-19"),
    ]
    assert evaluation(repaired, "days_synced").passed
    assert query(duckdb_path, "SELECT id FROM intercom.deleted_conversations ORDER BY id") == [
        (c,) for c in sorted([on_18[0], on_19[0]])
    ]


def test_a_rejected_record_skips_deletion_detection_only_for_its_day(
    emulator, resources, duckdb_path, _isolated_instance
):
    _range(resources, _isolated_instance)
    ids = emulator.conversation_ids()
    on_18 = [c for c in ids if _day(emulator.snapshot(c)["created_at"]) == "2026-11-18"]
    on_19 = [c for c in ids if _day(emulator.snapshot(c)["created_at"]) == "2026-11-19"]
    emulator.delete(on_18[0])
    emulator.delete(on_19[0])
    broken = on_19[1]
    emulator.advance(60)
    emulator.close(broken)  # changed, so the search result is transformed (and rejected)

    def no_created_at(path: str, payload: dict) -> dict:
        for item in payload.get("conversations", []):
            if path == "/conversations/search" and item.get("id") == broken:
                item["created_at"] = None  # unusable: rejected, found by 2026-11-19's window
        return payload

    with Proxy(emulator, rewrite=no_created_at) as gateway:
        result = _range(via(gateway, resources), _isolated_instance)

    assert result.success
    assert run_metadata(result)["unusable_records"] == 1
    assert query(duckdb_path, "SELECT id FROM intercom.deleted_conversations") == [(on_18[0],)]
    assert (on_19[0],) in query(duckdb_path, "SELECT id FROM intercom.conversations")


def test_checks_judge_the_whole_mirror_once_per_run_whatever_days_it_synced(
    emulator, resources, _isolated_instance
):
    _range(resources, _isolated_instance)
    large = sorted(
        s["id"]
        for s in map(emulator.snapshot, emulator.conversation_ids())
        if s["statistics"]["count_conversation_parts"] - 1 > 500
    )
    days = {_day(emulator.snapshot(c)["created_at"]) for c in large}

    # A run of a day holding neither large conversation still reports the mirror's state.
    other_day = next(d for d in ("2026-11-18", "2026-11-19", "2026-11-20") if d not in days)
    result = run_job("intercom_sync_job", resources, _isolated_instance, partition_key=other_day)

    evaluations = result.get_asset_check_evaluations()
    assert sorted(e.check_name for e in evaluations) == sorted(
        [
            "messages_complete",
            "days_synced",
            "conversation_ids_unique",
            "conversations_in_partition_day",
            "message_ids_unique",
            "messages_have_conversation",
            "one_metrics_row_per_conversation",
            "durations_from_creation_not_negative",
            "daily_conversations_match_stored",
        ]
    )
    assert {e.partition for e in evaluations} == {None}
    complete = evaluation(result, "messages_complete")
    assert (complete.passed, complete.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert check_metadata(complete)["incomplete_conversation_ids"] == ", ".join(large)
    assert check_metadata(complete)["conversations_checked"] == len(emulator.conversation_ids())
    latest = _isolated_instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(MESSAGES, "messages_complete")]
    )[dg.AssetCheckKey(MESSAGES, "messages_complete")]
    assert latest.run_id == result.run_id
    assert latest.event.dagster_event.event_specific_data.severity == dg.AssetCheckSeverity.WARN
