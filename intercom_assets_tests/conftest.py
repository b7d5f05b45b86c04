"""Shared fixtures: a real emulator on loopback, a temp DuckDB file, an isolated instance."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets.mirror.resources import IntercomResource
from intercom_assets_tests.support import FIXED_NOW


@pytest.fixture(autouse=True)
def _isolated_instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Small, fast history: 3 days x 8 conversations, 1-second rate windows."""
    return EmulatorConfig(
        seed=7, days=3, conversations_per_day=8, window_seconds=1.0, now=FIXED_NOW
    )


@pytest.fixture
def emulator(emulator_config: EmulatorConfig) -> Iterator[Emulator]:
    with running_emulator(emulator_config) as emu:
        yield emu


@pytest.fixture
def duckdb_path(tmp_path: Path) -> Path:
    return tmp_path / "mirror" / "intercom.duckdb"


@pytest.fixture
def sync_resources(emulator: Emulator, duckdb_path: Path) -> dict[str, dg.ConfigurableResource]:
    """The resources a real run uses, pointed at the emulator and a temp DuckDB file."""
    return {
        "intercom": IntercomResource(access_token=emulator.token, base_url=emulator.base_url),
        "duckdb": DuckDBResource(database=str(duckdb_path)),
    }
