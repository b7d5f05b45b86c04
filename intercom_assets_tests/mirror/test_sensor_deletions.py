"""Deletions reach the mirror whatever order `GET /conversations/deleted` lists them in (the
spec says only "ascending or descending order"; the emulator can order them by id)."""

import pytest

from intercom_assets.emulator import EmulatorConfig
from intercom_assets_tests.support import FIXED_NOW, differences, execute, tick


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """90 conversations; GET /conversations/deleted ordered by conversation id, not time."""
    return EmulatorConfig(
        seed=7,
        days=3,
        conversations_per_day=30,
        window_seconds=1.0,
        now=FIXED_NOW,
        deleted_order="id",
    )


def test_deletions_are_found_when_intercom_lists_them_by_id(
    emulator, mirrored, duckdb_path, updates_sensor, _isolated_instance
):
    ids = sorted(emulator.conversation_ids(), key=int)
    emulator.advance(10)
    for cid in ids[-61:]:  # more than one page of deletions, all of high ids
        emulator.delete(cid)
    first = tick(updates_sensor, mirrored, _isolated_instance, None)
    execute(first.run_requests, mirrored, _isolated_instance)
    emulator.advance(10)
    emulator.delete(ids[0])  # deleted last, listed last (lowest id)

    second = tick(updates_sensor, mirrored, _isolated_instance, first.cursor)
    execute(second.run_requests, mirrored, _isolated_instance)

    (deletions,) = second.run_requests
    assert deletions.job_name == "intercom_deletions_job"
    assert differences(emulator, duckdb_path) == []
