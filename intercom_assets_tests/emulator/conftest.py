"""HTTP helpers for talking to the emulator the way a real client does (no mocks)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import Api


@pytest.fixture(autouse=True)
def _isolated_instance() -> None:
    """Overrides the suite-wide Dagster instance: the emulator never touches Dagster,
    and building an instance per test would triple this package's runtime."""


@pytest.fixture
def api(emulator: Emulator) -> Iterator[Api]:
    client = Api(emulator, emulator.token)
    yield client
    client.session.close()
