"""Fixtures: resources on the emulator and a DuckDB file, for real sync-job runs."""

from pathlib import Path
from typing import Any

import pytest

from intercom_assets.emulator import Emulator
from intercom_assets_tests.automation.support import make_resources


@pytest.fixture
def resources(emulator: Emulator, duckdb_path: Path) -> dict[str, Any]:
    return make_resources(emulator, duckdb_path)
