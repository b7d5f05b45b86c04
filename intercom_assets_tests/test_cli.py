"""The CLI a newcomer runs: the demo syncs end to end and leaves a UI-ready Dagster home."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg

REPO = Path(__file__).parents[1]


def _cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intercom_assets.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
    )


def test_demo_backfills_the_emulated_history_into_duckdb_and_dagster_home(tmp_path):
    home, database = tmp_path / "home", tmp_path / "out" / "mirror.duckdb"
    env = {"DAGSTER_HOME": str(home), "INTERCOM_DUCKDB_PATH": str(database)}
    demo = _cli("demo", "--days", "2", "--conversations-per-day", "6", env=env)

    assert demo.returncode == 0, demo.stderr[-2000:]
    assert "Sync succeeded" in demo.stdout
    assert "intercom.conversations: 12 rows" in demo.stdout
    messages = int(re.search(r"intercom\.messages: (\d+) rows", demo.stdout).group(1))
    assert messages > 12
    assert f"DAGSTER_HOME={home} dagster dev -w workspace.yaml" in demo.stdout
    assert "enabled: false" in (home / "dagster.yaml").read_text()

    today = datetime.now(UTC).date()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for key in ("conversations", "messages"):
            partitions = instance.get_materialized_partitions(dg.AssetKey(["intercom", key]))
            assert partitions == {(today - timedelta(days=1)).isoformat(), today.isoformat()}

    query = _cli("query", "SELECT count(*) AS n FROM intercom.conversations", env=env)
    assert query.returncode == 0
    assert re.search(r"│\s+12\s+│", query.stdout)
