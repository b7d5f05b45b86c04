"""Client fixtures: a fast-retrying client talking real HTTP to the emulator on loopback."""

from collections.abc import Iterator

import pytest

from intercom_assets.client import IntercomClient
from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import make_client


@pytest.fixture(autouse=True)
def _isolated_instance() -> None:
    """Client tests never touch Dagster: skip the (slow) temporary instance of the parent."""


@pytest.fixture
def client(emulator: Emulator) -> Iterator[IntercomClient]:
    with make_client(emulator) as intercom:
        yield intercom
