"""The CLI a newcomer runs: the demo syncs end to end and leaves a UI-ready Dagster home."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).parents[1]


def _cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intercom_assets.cli.main", *args],
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
    today_line = re.search(rf"\n  {datetime.now(UTC).date()}\s+6\s+\d+\s", demo.stdout)
    assert "Support KPIs (intercom.daily_support_metrics)" in demo.stdout and today_line
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


@pytest.mark.parametrize(
    ("mode", "exit_code", "expected"),
    [
        ("valid", 0, ["Intercom connection: OK", "[PASS] read conversation parts (GET)"]),
        ("revoked", 1, ["[FAIL] token (/me)", "the token was copied correctly"]),
        ("no_scope", 1, ["[FAIL] read conversations (search)", "*Read conversations*"]),
        ("no_parts", 1, ["[FAIL] read conversation parts (GET)", "cannot read conversation parts"]),
    ],
)
def test_test_connection_reports_what_works_and_what_to_do(emulator, mode, exit_code, expected):
    token = f"cli-{mode}-token-0123456789"
    emulator.set_token(token, mode)
    run = _cli(
        "test-connection",
        env={"INTERCOM_ACCESS_TOKEN": token, "INTERCOM_BASE_URL": emulator.base_url},
        timeout=60,
    )
    assert run.returncode == exit_code, run.stdout + run.stderr
    for text in expected:
        assert text in run.stdout
    assert token not in run.stdout + run.stderr


def test_test_connection_without_a_token_says_which_variable_to_set():
    run = _cli("test-connection", env={"INTERCOM_ACCESS_TOKEN": ""}, timeout=60)
    assert run.returncode == 2
    assert run.stdout.strip() == (
        "INTERCOM_ACCESS_TOKEN is not set: paste your Intercom access token into it."
    )
