"""Two workspaces in one code location, each with its own emulator, token variable, DuckDB
file and names: both sync and both sensors tick without touching the other's data."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster.components.testing import create_defs_folder_sandbox

from intercom_assets import IntercomWorkspaceComponent
from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets.mirror.updates.run_requests import RANGE_END_TAG, RANGE_START_TAG
from intercom_assets_tests.support import FIXED_NOW, HISTORY, differences

PREFIXES = ("intercom", "intercom_eu")


@pytest.fixture
def eu_emulator() -> Iterator[Emulator]:
    config = EmulatorConfig(
        seed=8,
        days=3,
        conversations_per_day=5,
        window_seconds=1.0,
        now=FIXED_NOW,
        token="eu-token",
    )
    with running_emulator(config) as emu:
        yield emu


@pytest.fixture
def two_workspaces(
    emulator: Emulator, eu_emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[dg.Definitions, dict[str, Emulator], dict[str, Path]]]:
    """Both workspaces loaded from YAML the way the code location loads them."""
    emulators = dict(zip(PREFIXES, (emulator, eu_emulator), strict=True))
    files = {prefix: tmp_path / f"{prefix}.duckdb" for prefix in PREFIXES}
    with create_defs_folder_sandbox() as sandbox:
        for prefix, emu in emulators.items():
            token_env = f"{prefix.upper()}_ACCESS_TOKEN"
            monkeypatch.setenv(token_env, emu.token)
            attributes = {
                "key_prefix": prefix,
                "access_token_env": token_env,
                "base_url": emu.base_url,
                "duckdb_path": str(files[prefix]),
                "start_date": HISTORY[0],
                "max_requests_per_minute": 1_000_000,
            }
            sandbox.scaffold_component(
                IntercomWorkspaceComponent,
                defs_path=prefix,
                defs_yaml_contents={
                    "type": "intercom_assets.IntercomWorkspaceComponent",
                    "attributes": attributes,
                },
            )
        with sandbox.build_all_defs() as defs:
            yield defs, emulators, files


def _launch(defs: dg.Definitions, request: dg.RunRequest, instance: dg.DagsterInstance) -> None:
    result = defs.resolve_job_def(request.job_name).execute_in_process(
        run_config=request.run_config,
        tags=request.tags,
        partition_key=request.partition_key,
        instance=instance,
    )
    assert result.success


def _tick(defs: dg.Definitions, name: str, instance: dg.DagsterInstance, cursor: Any) -> Any:
    sensor = defs.resolve_sensor_def(name)
    resources = {key: defs.resources[key] for key in sensor.required_resource_keys}
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources=resources, definitions=defs
    ) as context:
        return sensor.evaluate_tick(context)


def test_two_workspaces_sync_and_tick_without_collision(two_workspaces, _isolated_instance):
    defs, emulators, files = two_workspaces
    for prefix in PREFIXES:
        backfill = dg.RunRequest(
            job_name=f"{prefix}_sync_job",
            tags={RANGE_START_TAG: HISTORY[0], RANGE_END_TAG: HISTORY[1]},
        )
        _launch(defs, backfill, _isolated_instance)
    assert {p: differences(emulators[p], files[p]) for p in PREFIXES} == {p: [] for p in PREFIXES}

    cursors = {
        p: _tick(defs, f"{p}_updates_sensor", _isolated_instance, None).cursor for p in PREFIXES
    }
    for emu in emulators.values():
        emu.advance(30)
        emu.add_parts(emu.conversation_ids()[1])
        emu.reset_counters()

    for prefix in PREFIXES:
        result = _tick(defs, f"{prefix}_updates_sensor", _isolated_instance, cursors[prefix])
        assert result.run_requests, result.skip_message
        assert {r.job_name for r in result.run_requests} == {f"{prefix}_sync_job"}
        for request in result.run_requests:
            _launch(defs, request, _isolated_instance)

    assert {p: differences(emulators[p], files[p]) for p in PREFIXES} == {p: [] for p in PREFIXES}
    # each workspace asked only its own Intercom
    assert all(emu.requests.get("get", 0) >= 1 for emu in emulators.values())
    keys = {
        key.to_user_string()
        for key in _isolated_instance.get_asset_keys()
        if key.path[-1] in ("conversations", "messages")
    }
    assert keys == {f"{p}/{table}" for p in PREFIXES for table in ("conversations", "messages")}
