"""The updates sensor on the daemon: once started it brings live changes into DuckDB, and a
code server restart in the middle of a tick loses none of its state (the cursor is in
PostgreSQL, not in the code server)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster._serdes import deserialize_value

from intercom_assets.emulator import Emulator
from intercom_assets_tests.production.operations import (
    RUN_ENDED,
    run,
    sensor_state,
    slow_emulator,
    start_sensor,
    stop_sensor,
    sync_exactly,
    wait_for_requests,
    wait_for_run,
)
from intercom_assets_tests.production.postgres import Cluster
from intercom_assets_tests.production.processes import Deployment, wait_for
from intercom_assets_tests.support import differences

pytestmark = pytest.mark.production
SENSOR = "intercom_updates_sensor"


@pytest.fixture
def sensor(deployment: Deployment, live_emulator: Emulator, mirror_path: Path) -> Iterator[str]:
    """The sensor started on an exact mirror, after its first tick and the runs it requested
    (the live emulator's changes since the backfill began); stopped afterwards."""
    sync_exactly(deployment, live_emulator, mirror_path)
    state_id = start_sensor(deployment, SENSOR)
    try:
        first = wait_for(lambda: _done_ticks(deployment), "the sensor's first tick", 90)
        for run_id in first[-1]["runIds"]:
            assert wait_for_run(deployment, run_id) == "SUCCESS"
        yield state_id
    finally:
        stop_sensor(deployment, state_id)


def _ticks(dagster: Deployment) -> list[dict]:
    """Oldest first."""
    return list(reversed(sensor_state(dagster, SENSOR)["ticks"]))


def _done_ticks(dagster: Deployment) -> list[dict]:
    return [t for t in _ticks(dagster) if t["status"] in ("SUCCESS", "SKIPPED")]


def _mutate(emulator: Emulator) -> str:
    """A reply, a close, and a brand-new conversation (today's partition)."""
    first, second = emulator.conversation_ids()[:2]
    emulator.add_parts(first, 2)
    emulator.close(second)
    return emulator.create_conversation(parts=3)


def _runs_requested_after(dagster: Deployment, tick_ids: set[str]) -> list[str] | None:
    ticks = [t for t in _done_ticks(dagster) if t["id"] not in tick_ids and t["runIds"]]
    return ticks[0]["runIds"] if ticks else None


def _settle(dagster: Deployment, emulator: Emulator, mirror: Path) -> None:
    """Until every sensor run has ended and the mirror is exact (changes may span ticks)."""

    def exact() -> bool:
        ticks = _ticks(dagster)
        ids = [rid for t in ticks for rid in t["runIds"]]
        if any(run(dagster, rid)["status"] not in RUN_ENDED for rid in ids):
            return False
        assert all(run(dagster, rid)["status"] == "SUCCESS" for rid in ids)
        return not differences(emulator, mirror)

    wait_for(exact, "the sensor's runs to make the mirror exact", 150)


def test_started_sensor_brings_live_changes_into_duckdb(
    deployment: Deployment,
    cluster: Cluster,
    live_emulator: Emulator,
    mirror_path: Path,
    sensor: str,
) -> None:
    before = {t["id"] for t in _ticks(deployment)}
    created = _mutate(live_emulator)

    run_ids = wait_for(
        lambda: _runs_requested_after(deployment, before), "a tick requesting runs", 90
    )
    for run_id in run_ids:
        assert wait_for_run(deployment, run_id) == "SUCCESS"
        assert run(deployment, run_id)["tags"]["dagster/sensor_name"] == SENSOR
    _settle(deployment, live_emulator, mirror_path)
    assert created in live_emulator.conversation_ids()
    # The cursor lives in PostgreSQL's instigator state, not in any process.
    states = [
        deserialize_value(body)
        for (body,) in cluster.query(
            "SELECT instigator_body FROM instigators WHERE status = 'RUNNING'"
        )
    ]
    (stored,) = [state for state in states if state.name == SENSOR]
    cursor = sensor_state(deployment, SENSOR)["typeSpecificData"]["lastCursor"]
    assert stored.instigator_data.cursor == cursor


def test_code_server_restart_mid_tick_keeps_the_sensor_cursor(
    deployment: Deployment, live_emulator: Emulator, mirror_path: Path, sensor: str
) -> None:
    cursor = sensor_state(deployment, SENSOR)["typeSpecificData"]["lastCursor"]
    before = {t["id"] for t in _ticks(deployment)}
    with slow_emulator(live_emulator, 5_000):
        _mutate(live_emulator)
        searches = live_emulator.requests["search"]
        wait_for_requests(live_emulator, "search", searches)  # a tick is in flight
        deployment.restart_code_server()
    run_ids = wait_for(
        lambda: _runs_requested_after(deployment, before), "a tick requesting runs", 120
    )
    # Had the cursor been lost, the next completed tick would be a "first tick" that
    # requests nothing; instead it resumes from the stored cursor and requests the changes.
    resumed = next(t for t in _done_ticks(deployment) if t["id"] not in before)
    assert resumed["runIds"] == run_ids
    assert cursor
    _settle(deployment, live_emulator, mirror_path)
