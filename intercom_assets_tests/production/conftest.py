"""One production deployment for the `production` suite: a throwaway PostgreSQL, the live
emulator, and the code server, daemon and webserver as separate processes on deploy/dagster.yaml.

The suite shares one deployment (starting it costs ~30 s on a loaded 2-core machine); every
test says what state it needs and leaves the sensor stopped and no run in progress.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets_tests.production.operations import DAYS, history
from intercom_assets_tests.production.postgres import Cluster, postgres_bin, throwaway_cluster
from intercom_assets_tests.production.processes import Deployment

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGSTER_YAML = REPO_ROOT / "deploy" / "dagster.yaml"
SENSOR_INTERVAL_SECONDS = 3
# Only the loop timings differ from production, so the suite takes minutes, not hours.
TEST_TIMINGS = {
    ("run_coordinator", "config", "dequeue_interval_seconds"): 1,
    ("run_monitoring", "poll_interval_seconds"): 2,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip `production` tests, saying why, where Debian's PostgreSQL is not installed."""
    if postgres_bin() is not None:
        return
    missing = pytest.mark.skip(
        reason="PostgreSQL is missing: `apt-get install -y postgresql` (as .ci/run does)"
    )
    for item in items:
        if item.get_closest_marker("production"):
            item.add_marker(missing)


def instance_yaml() -> str:
    """deploy/dagster.yaml with the test loop timings."""
    config = yaml.safe_load(DAGSTER_YAML.read_text())
    for path, value in TEST_TIMINGS.items():
        node = config
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return yaml.safe_dump(config)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    bindir = postgres_bin()
    assert bindir is not None
    with throwaway_cluster(bindir) as found:
        yield found


@pytest.fixture(scope="session")
def live_emulator() -> Iterator[Emulator]:
    """Three days ending at real now; no >500-part conversations; a generous rate limit."""
    config = EmulatorConfig(
        seed=11,
        token=f"tok_production_{os.urandom(8).hex()}",
        days=DAYS,
        conversations_per_day=6,
        large_conversations=0,
        window_seconds=1.0,
        rate_limit_per_window=10_000,
    )
    with running_emulator(config) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="intercom-production-"))
    yield folder
    if not os.environ.get("INTERCOM_KEEP_PRODUCTION_LOGS"):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def mirror_path(workdir: Path) -> Path:
    return workdir / "mirror" / "intercom.duckdb"


@pytest.fixture(scope="session")
def deployment(
    cluster: Cluster, live_emulator: Emulator, workdir: Path, mirror_path: Path
) -> Iterator[Deployment]:
    home = workdir / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml())
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("INTERCOM_", "DAGSTER_"))}
    base_env = {**inherited, **cluster.env(), "DAGSTER_HOME": str(home)}
    code_env = {
        "INTERCOM_ACCESS_TOKEN": live_emulator.token,
        "INTERCOM_BASE_URL": live_emulator.base_url,
        "INTERCOM_DUCKDB_PATH": str(mirror_path),
        "INTERCOM_START_DATE": history()[0],
        "INTERCOM_SENSOR_INTERVAL_SECONDS": str(SENSOR_INTERVAL_SECONDS),
        "INTERCOM_MAX_REQUESTS_PER_MINUTE": "1000000",
    }
    dagster = Deployment(home, base_env, code_env)
    try:
        dagster.start()
        yield dagster
    finally:
        assert dagster.stop() == [], "processes outlived the deployment"
