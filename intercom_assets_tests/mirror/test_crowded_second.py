"""A second crowded past a tick's budget, under each way Intercom may compare `id`."""

from typing import Any

import dagster as dg
import pytest

from intercom_assets.emulator import Emulator, EmulatorConfig
from intercom_assets.mirror.sensor import TickLimits
from intercom_assets.mirror.updates.cursor import Position
from intercom_assets.mirror.updates.scan import Budget, scan_updates
from intercom_assets_tests.support import (
    FIXED_NOW,
    differences,
    execute,
    make_client,
    tick,
    updates_sensor,
)

MODES = ["numeric", "string", "reject"]


@pytest.fixture
def emulator_config(request: pytest.FixtureRequest) -> EmulatorConfig:
    """2,200 small conversations, the newer half with 12-digit ids, the older 9 digits."""
    return EmulatorConfig(
        seed=7,
        days=2,
        conversations_per_day=1_100,
        window_seconds=1.0,
        now=FIXED_NOW,
        mean_parts=1.0,
        large_conversations=0,
        long_id_share=0.5,
        id_comparison=request.param,
    )


def crowd(emulator: Emulator, ids: list[str]) -> int:
    """Update every conversation of `ids` in one and the same second; returns that second."""
    emulator.advance(10)
    for cid in ids:
        emulator.add_parts(cid)
    return emulator.now()


@pytest.mark.parametrize("emulator_config", MODES, indirect=True)
def test_two_thousand_conversations_closed_in_one_second_all_reach_the_mirror(
    emulator: Emulator,
    mirrored: dict[str, Any],
    duckdb_path: Any,
    _isolated_instance: dg.DagsterInstance,
) -> None:
    ids = emulator.conversation_ids()
    crowded = ids[100:2_100]
    assert {len(cid) for cid in crowded} == {9, 12}
    sensor = updates_sensor(TickLimits(budget=Budget(page_size=150, max_pages=4)))
    cursor = tick(sensor, mirrored, _isolated_instance, None).cursor
    second = crowd(emulator, crowded)
    requests: list[dg.RunRequest] = []
    for _ in range(12):
        result = tick(sensor, mirrored, _isolated_instance, cursor)
        requests += result.run_requests
        cursor = result.cursor
        if (result.skip_message or "").startswith("Nothing to sync"):
            break
    else:
        raise AssertionError("the cursor stalled: 12 ticks did not reach the end")
    emulator.reset_counters()

    execute(requests, mirrored, _isolated_instance)

    assert emulator.requests["get"] == len(crowded)
    assert {emulator.snapshot(cid)["updated_at"] for cid in crowded} == {second}
    assert differences(emulator, duckdb_path) == []


@pytest.mark.parametrize("emulator_config", MODES, indirect=True)
def test_the_walk_never_stalls_even_when_its_last_empty_page_ends_the_budget(
    emulator: Emulator,
) -> None:
    """One page per tick: the walk's final, empty page is read as the budget runs out."""
    crowded = emulator.conversation_ids()[1_000:1_240]
    second = crowd(emulator, crowded)
    budget = Budget(page_size=50, max_pages=1)
    position, seen, trail = Position(second), set(), []
    with make_client(emulator) as client:
        for _ in range(20):
            scan = scan_updates(client, position, budget)
            seen.update(c["id"] for c in scan.conversations)
            trail.append(scan.position)
            if scan.finished:
                break
            assert scan.position != position, f"the position did not advance: {trail}"
            position = scan.position
        else:
            raise AssertionError(f"the cursor stalled: {trail}")
    assert seen == set(crowded)
    assert scan.position == Position(second + 1)
    assert emulator.status_counts[400] == 0
