"""Fixtures for the browser test: a live emulator, `dagster dev` on it, a Chromium page."""

import os
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets_tests.ui.dagster_dev import (
    EMULATED_DAYS,
    REPO_ROOT,
    DagsterDev,
    running_dagster_dev,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SENSOR_INTERVAL_SECONDS = 5
_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember a failed test body so the page fixture can screenshot what it looked like."""
    report = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip `browser` tests, saying why, where Debian's Chromium is not installed."""
    if CHROMIUM.exists():
        return
    missing = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`,"
        " as .ci/run does) to run the browser test"
    )
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(missing)


@pytest.fixture
def artifacts() -> Path:
    """Screenshots and the `dagster dev` log: $INTERCOM_TEST_ARTIFACTS or test-artifacts/ui."""
    folder = Path(os.environ.get("INTERCOM_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts" / "ui")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def live_emulator() -> Iterator[Emulator]:
    """Three days of history ending at real now (so today's partition has data), no >500-part
    conversations (so `messages_complete` must pass), 1-second rate windows."""
    config = EmulatorConfig(
        days=EMULATED_DAYS, conversations_per_day=6, large_conversations=0, window_seconds=1.0
    )
    with running_emulator(config) as emulator:
        yield emulator


@pytest.fixture
def dagster_dev(
    live_emulator: Emulator, duckdb_path: Path, tmp_path: Path, artifacts: Path
) -> Iterator[DagsterDev]:
    """`dagster dev` on a fresh DAGSTER_HOME (telemetry off), pointed at the emulator."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    first_day = datetime.now(UTC).date() - timedelta(days=EMULATED_DAYS - 1)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("INTERCOM_", "DAGSTER_"))},
        "DAGSTER_HOME": str(home),
        "INTERCOM_BASE_URL": live_emulator.base_url,
        "INTERCOM_ACCESS_TOKEN": live_emulator.token,
        "INTERCOM_DUCKDB_PATH": str(duckdb_path),
        "INTERCOM_START_DATE": first_day.isoformat(),
        "INTERCOM_SENSOR_INTERVAL_SECONDS": str(SENSOR_INTERVAL_SECONDS),
    }
    with running_dagster_dev(env, artifacts / "dagster-dev.log") as dev:
        yield dev


@pytest.fixture
def page(request: pytest.FixtureRequest, artifacts: Path) -> Iterator[Page]:
    """Headless Debian Chromium (no browser download); on failure, saved as failure.png/.html."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(30_000)
        try:
            yield page
        finally:
            if request.node.stash.get(_FAILED, False):
                page.screenshot(path=artifacts / "failure.png", full_page=True)
                (artifacts / "failure.html").write_text(page.content())
            browser.close()


@pytest.fixture
def screenshot(page: Page, artifacts: Path) -> Callable[[str], None]:
    """Save the page as `<artifacts>/<name>.png`."""

    def save(name: str) -> None:
        page.screenshot(path=artifacts / f"{name}.png")

    return save
