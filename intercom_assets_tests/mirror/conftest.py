"""Fixtures: resources on the emulator, a backfilled mirror, the real updates sensor."""

from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from intercom_assets.definitions import defs
from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import backfill, make_resources


@pytest.fixture
def resources(emulator: Emulator, duckdb_path: Path) -> dict[str, Any]:
    return make_resources(emulator, duckdb_path)


@pytest.fixture
def mirrored(
    resources: dict[str, Any], _isolated_instance: dg.DagsterInstance, emulator: Emulator
) -> dict[str, Any]:
    """The emulator's whole history backfilled, with request counters reset afterwards."""
    backfill(resources, _isolated_instance)
    emulator.reset_counters()
    return resources


@pytest.fixture
def updates_sensor() -> dg.SensorDefinition:
    return defs.resolve_sensor_def("intercom_updates_sensor")
