"""Client fixtures: a fast-retrying client talking real HTTP to the emulator on loopback."""

from collections.abc import Iterator

import pytest

from intercom_assets.client import IntercomClient
from intercom_assets.emulator import Emulator


def make_client(emu: Emulator, token: str | None = None, **overrides: object) -> IntercomClient:
    """A client with millisecond backoff so fault tests stay fast."""
    options: dict = {"concurrency": 4, "backoff_base_seconds": 0.01, "backoff_max_seconds": 0.05}
    options.update(overrides)
    return IntercomClient(emu.base_url, token or emu.token, **options)


@pytest.fixture(autouse=True)
def _isolated_instance() -> None:
    """Client tests never touch Dagster: skip the (slow) temporary instance of the parent."""


@pytest.fixture
def client(emulator: Emulator) -> Iterator[IntercomClient]:
    with make_client(emulator) as intercom:
        yield intercom
