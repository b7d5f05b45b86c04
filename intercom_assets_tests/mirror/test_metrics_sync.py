"""The metrics kept current by the sync's own runs: a sensor run that adds a reply and a
close, and a deletion, each recompute exactly their conversation's day, equal to a full
recompute of the whole mirror."""

import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from intercom_assets.analytics import metrics
from intercom_assets.emulator import Emulator
from intercom_assets.storage import transaction
from intercom_assets_tests.support import execute, query, tick

TABLES = {
    "conversation_metrics": "conversation_id",
    "daily_support_metrics": "day",
    "admin_metrics": "admin_id",
}


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def _recorded(results: list[dg.ExecuteInProcessResult]) -> dict[str, list[str | None]]:
    """Per metric table: the partitions the runs recorded materializations for."""
    recorded: dict[str, list[str | None]] = {table: [] for table in TABLES}
    for result in results:
        for event in result.get_asset_materialization_events():
            table = event.asset_key.path[-1]
            if table in recorded:
                recorded[table].append(event.partition)
    return recorded


def _kpis(results: list[dg.ExecuteInProcessResult], day: str) -> dict[str, Any]:
    (materialization,) = [
        event.materialization
        for result in results
        for event in result.get_asset_materialization_events()
        if event.asset_key.path[-1] == "daily_support_metrics" and event.partition == day
    ]
    return {key: value.value for key, value in materialization.metadata.items()}


def _tables(database: Path | str) -> dict[str, list[tuple]]:
    return {
        table: query(database, f"SELECT * FROM intercom.{table} ORDER BY {key}")
        for table, key in TABLES.items()
    }


def _recomputed_from_scratch(database: Path, tmp_path: Path) -> dict[str, list[tuple]]:
    """The three tables as a full recompute of a copy of the mirror gives them."""
    copy = tmp_path / "scratch.duckdb"
    shutil.copy(database, copy)
    with transaction(str(copy), logging.getLogger("test")) as conn:
        conn.execute("DELETE FROM intercom.conversation_metrics")
        conn.execute("DELETE FROM intercom.daily_support_metrics")
        metrics.recompute_all(conn)
    return _tables(copy)


def _checks_passed(results: list[dg.ExecuteInProcessResult]) -> dict[str, bool]:
    return {
        e.check_name: e.passed
        for result in results
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path[-1] in TABLES
    }


def test_a_sensor_run_with_a_reply_and_a_close_updates_metrics_kpis_and_admins(
    emulator: Emulator,
    mirrored: dict[str, Any],
    duckdb_path: Path,
    updates_sensor: dg.SensorDefinition,
    _isolated_instance: dg.DagsterInstance,
    tmp_path: Path,
) -> None:
    (cid, parts_before) = query(
        mirrored,
        "SELECT conversation_id, count_total_parts FROM intercom.conversation_metrics"
        " WHERE conversation_state <> 'closed' ORDER BY conversation_created_at LIMIT 1 OFFSET 2",
    )[0]
    day = _day(emulator.snapshot(cid)["created_at"])
    first = tick(updates_sensor, mirrored, _isolated_instance, None)
    emulator.advance(60)
    emulator.add_parts(cid, 1, "comment", "admin")
    closed_at = emulator.advance(60)
    emulator.close(cid)
    close_part = emulator.snapshot(cid)["conversation_parts"]["conversation_parts"][-1]

    second = tick(updates_sensor, mirrored, _isolated_instance, first.cursor)
    results = execute(second.run_requests, mirrored, _isolated_instance)

    assert all(result.success for result in results)
    ((parts, state, last_close, closer),) = query(
        mirrored,
        "SELECT count_total_parts, conversation_state, epoch(last_close_at)::BIGINT,"
        " last_close_by_admin_id FROM intercom.conversation_metrics WHERE conversation_id = ?",
        [cid],
    )
    assert (parts, state, last_close) == (parts_before + 2, "closed", closed_at)
    assert closer == close_part["author"]["id"]
    assert _recorded(results) == {
        "conversation_metrics": [day],
        "daily_support_metrics": [day],
        "admin_metrics": [None],
    }
    ((conversations, closed),) = query(
        mirrored,
        "SELECT conversations, conversations_closed FROM intercom.daily_support_metrics"
        " WHERE day = ?",
        [day],
    )
    kpis = _kpis(results, day)
    assert (kpis["conversations"], kpis["conversations_closed"]) == (conversations, closed)
    assert conversations == 8  # the conftest emulator's conversations per day
    assert query(
        mirrored, "SELECT admin_id FROM intercom.admin_metrics WHERE admin_id = ?", [closer]
    ) == [(closer,)]
    assert _tables(duckdb_path) == _recomputed_from_scratch(duckdb_path, tmp_path)
    assert _checks_passed(results) == {
        "one_metrics_row_per_conversation": True,
        "durations_from_creation_not_negative": True,
        "daily_conversations_match_stored": True,
    }


def test_a_deletion_removes_the_row_and_recomputes_its_day(
    emulator: Emulator,
    mirrored: dict[str, Any],
    duckdb_path: Path,
    updates_sensor: dg.SensorDefinition,
    _isolated_instance: dg.DagsterInstance,
    tmp_path: Path,
) -> None:
    cid = emulator.conversation_ids()[10]
    day = _day(emulator.snapshot(cid)["created_at"])
    (before,) = query(
        mirrored, "SELECT conversations FROM intercom.daily_support_metrics WHERE day = ?", [day]
    )[0]
    first = tick(updates_sensor, mirrored, _isolated_instance, None)
    emulator.advance(60)
    emulator.delete(cid)

    second = tick(updates_sensor, mirrored, _isolated_instance, first.cursor)
    results = execute(second.run_requests, mirrored, _isolated_instance)

    assert all(result.success for result in results)
    assert query(
        mirrored,
        "SELECT count(*) FROM intercom.conversation_metrics WHERE conversation_id = ?",
        [cid],
    ) == [(0,)]
    assert query(
        mirrored, "SELECT conversations FROM intercom.daily_support_metrics WHERE day = ?", [day]
    ) == [(before - 1,)]
    recorded = _recorded(results)
    assert recorded["conversation_metrics"] == recorded["daily_support_metrics"] == [day]
    assert _kpis(results, day)["conversations"] == before - 1
    assert _tables(duckdb_path) == _recomputed_from_scratch(duckdb_path, tmp_path)
