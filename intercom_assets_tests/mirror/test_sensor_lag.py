"""Search-index lag longer than a tick interval: the sensor sees a change late, and the run it
requests fetches the conversation by id, so lag between the sensor's search and the run can
never drop the change (a run that re-searched would miss a version the index moved past)."""

import pytest

from intercom_assets.emulator import EmulatorConfig
from intercom_assets_tests.support import (
    FIXED_NOW,
    backfill,
    differences,
    execute,
    tick,
    updates_sensor,
)

LAG = 45  # seconds the search index trails writes
TICK = 30  # seconds between ticks: shorter than the lag


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        seed=7,
        days=3,
        conversations_per_day=8,
        window_seconds=1.0,
        now=FIXED_NOW,
        search_lag_seconds=LAG,
    )


def _ids(request) -> list[str]:
    return request.run_config["ops"]["intercom__sync"]["config"]["conversation_ids"]


def test_a_change_seen_late_reaches_the_mirror_through_its_run(
    emulator, resources, duckdb_path, _isolated_instance
):
    sensor = updates_sensor()
    emulator.advance(2 * LAG)  # the history's last changes are visible to search
    backfill(resources, _isolated_instance)
    first = tick(sensor, resources, _isolated_instance, None)
    execute(first.run_requests, resources, _isolated_instance)
    changed = emulator.conversation_ids()[4]
    emulator.advance(10)
    emulator.add_parts(changed)  # version 1

    emulator.advance(TICK)
    blind = tick(sensor, resources, _isolated_instance, first.cursor)  # the index lags
    emulator.advance(10)
    emulator.close(changed)  # version 2, before the sensor has even seen version 1
    emulator.advance(TICK - 10)
    seen = tick(sensor, resources, _isolated_instance, blind.cursor)  # sees version 1
    emulator.advance(LAG)  # the run starts once search already shows version 2
    emulator.reset_counters()
    (run,) = execute(seen.run_requests, resources, _isolated_instance)

    assert blind.run_requests == []
    (request,) = seen.run_requests
    assert _ids(request) == [changed]
    assert run.success
    assert (emulator.requests["get"], emulator.requests["search"]) == (1, 0)
    assert differences(emulator, duckdb_path) == []  # version 2 stored by the run itself

    emulator.reset_counters()
    later = tick(sensor, resources, _isolated_instance, seen.cursor)  # now sees version 2
    (again,) = execute(later.run_requests, resources, _isolated_instance)

    assert [_ids(r) for r in later.run_requests] == [[changed]]
    assert again.get_asset_materialization_events() == []  # already current: nothing changed
    assert emulator.requests["get"] == 1
    assert differences(emulator, duckdb_path) == []
