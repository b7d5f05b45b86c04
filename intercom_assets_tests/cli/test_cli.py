"""The CLI a newcomer runs: the demo is a real run of the code location in a UI-ready Dagster
home, and every error path prints one line a person can act on, with a known exit code."""

import json
import os
import re
import socket
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from intercom_assets.emulator import EmulatorConfig, running_emulator
from intercom_assets.emulator.anchor import ANCHOR_FILE
from intercom_assets.mirror.resources import missing_token_message
from intercom_assets_tests.support import SYNC_SELECTION

REPO = Path(__file__).parents[2]
DAGSTER = Path(sys.executable).parent / "dagster"


def _cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "intercom_assets.cli.main", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
    )


def _conversations(database: Path) -> dict[str, str]:
    with duckdb.connect() as conn:
        conn.execute(f"ATTACH '{database}' AS mirror (READ_ONLY)")
        day = "CAST(created_at AT TIME ZONE 'UTC' AS DATE)"
        rows = conn.execute(f"SELECT id, {day} FROM mirror.intercom.conversations").fetchall()
    return {cid: day.isoformat() for cid, day in rows}


def test_demo_is_a_real_run_and_a_second_demo_agrees_with_the_first(tmp_path):
    home, database = tmp_path / "home", tmp_path / "out" / "mirror.duckdb"
    env = {"DAGSTER_HOME": str(home), "INTERCOM_DUCKDB_PATH": str(database)}
    started = int(datetime.now(UTC).timestamp())
    demo = _cli("demo", "--days", "2", "--conversations-per-day", "6", env=env)

    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-2000:]
    assert "Sync succeeded" in demo.stdout
    today = datetime.now(UTC).date()
    yesterday = (today - timedelta(days=1)).isoformat()
    assert json.loads((home / ANCHOR_FILE).read_text()) == {"first_day": yesterday}
    assert "enabled: false" in (home / "dagster.yaml").read_text()
    mirrored = _conversations(database)
    # the emulator's ground truth: the same seed and anchor, now
    truth = EmulatorConfig(seed=7, conversations_per_day=6, first_day=yesterday)
    with running_emulator(truth) as emulator:
        created = {cid: emulator.snapshot(cid)["created_at"] for cid in emulator.conversation_ids()}
    assert set(mirrored) <= set(created)
    assert {cid for cid, ts in created.items() if ts < started} <= set(mirrored)
    assert sorted(mirrored.values()).count(yesterday) == 6
    assert "Support KPIs (intercom.daily_support_metrics)" in demo.stdout
    assert re.search(rf"\n  {yesterday}\s+6\s+\d+\s", demo.stdout)  # the day's KPI line
    assert f"intercom.conversations: {len(mirrored)} rows" in demo.stdout

    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        origin = run.remote_job_origin
        assert origin is not None and origin.location_name == "intercom_assets"
        assert run.tags["dagster/asset_partition_range_start"] == yesterday
        assert run.tags["dagster/asset_partition_range_end"] == today.isoformat()
        for key in ("conversations", "messages"):
            partitions = instance.get_materialized_partitions(dg.AssetKey(["intercom", key]))
            assert partitions == {yesterday, today.isoformat()}

    again = _cli("demo", "--days", "5", "--conversations-per-day", "6", env=env)
    assert again.returncode == 0, again.stdout[-2000:]
    assert "intercom.deleted_conversations: 0 rows" in again.stdout  # no phantom deletions
    assert set(mirrored) <= set(_conversations(database))


@pytest.mark.parametrize(
    ("mode", "exit_code", "expected"),
    [
        ("valid", 0, ["Intercom connection: OK", "[PASS] read conversation parts (GET)"]),
        ("revoked", 1, ["[FAIL] token (/me)", "Generate a new token if the old one was revoked"]),
        ("unknown", 1, ["[FAIL] token (/me)", "the token was copied correctly"]),
        ("no_scope", 1, ["[FAIL] read conversations (search)", "enable *Read conversations*"]),
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
        assert run.stdout.count(text) == 1, run.stdout  # the advice is printed once
    assert "What to do:" in run.stdout if exit_code else "What to do:" not in run.stdout
    assert token not in run.stdout + run.stderr


def test_test_connection_to_an_unreachable_host_gives_network_advice():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    run = _cli(
        "test-connection",
        env={"INTERCOM_ACCESS_TOKEN": "some-token", "INTERCOM_BASE_URL": url},
        timeout=120,
    )
    assert run.returncode == 1
    assert f"  Intercom could not be reached at {url}: check the network or proxy," in run.stdout
    assert "re-running resumes" not in run.stdout


def test_test_connection_without_a_token_says_which_variable_to_set():
    run = _cli("test-connection", env={"INTERCOM_ACCESS_TOKEN": ""}, timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (2, "", missing_token_message() + "\n")
    assert run.stderr.startswith("INTERCOM_ACCESS_TOKEN is not set: export your Intercom access")


def test_help_lists_every_subcommand():
    run = _cli("--help", env={}, timeout=60)
    assert run.returncode == 0
    listed = re.search(r"\{([a-z,-]+)\}", run.stdout).group(1).split(",")
    assert listed == ["test-connection", "emulator", "demo", "dev", "resync", "query"]
    for name in listed:
        assert re.search(rf"^    {name} +\S", run.stdout, re.M), name


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    path = tmp_path / "m.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA intercom; CREATE TABLE intercom.tags (id VARCHAR)")
    return path


@pytest.mark.parametrize(
    ("sql", "line"),
    [
        ("SELEC 1", 'Query failed: Parser Error: syntax error at or near "SELEC"'),
        (
            "INSERT INTO intercom.tags VALUES ('1')",
            "Query failed: intercom-assets query opens the mirror read-only; writes are not "
            "allowed.",
        ),
        ("DROP TABLE intercom.tags", None),
        ("SELECT * FROM intercom.nope", None),
    ],
)
def test_query_errors_are_one_line(mirror: Path, sql: str, line: str | None) -> None:
    run = _cli("query", sql, env={"INTERCOM_DUCKDB_PATH": str(mirror)}, timeout=60)
    assert (run.returncode, run.stdout) == (1, "")
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("Query failed: ")
    if line is not None:
        assert run.stderr == line + "\n"
    assert "Traceback" not in run.stderr


def test_query_without_a_mirror_says_how_to_get_one(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    run = _cli("query", "SELECT 1", env={"INTERCOM_DUCKDB_PATH": str(missing)}, timeout=60)
    assert (run.returncode, run.stderr) == (
        1,
        f"No mirror at {missing}: run `intercom-assets demo` or a sync first "
        "(or set INTERCOM_DUCKDB_PATH).\n",
    )


def _materialize(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    day = (date.today() - timedelta(days=1)).isoformat()
    return subprocess.run(
        [
            *(str(DAGSTER), "asset", "materialize", "-m", "intercom_assets.definitions"),
            *("--select", SYNC_SELECTION, "--partition", day),
        ],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("INTERCOM_")},
            "DAGSTER_HOME": str(tmp_path),
            "INTERCOM_DUCKDB_PATH": str(tmp_path / "m.duckdb"),
            "INTERCOM_START_DATE": (date.today() - timedelta(days=3)).isoformat(),
            **env,
        },
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=180,
    )


def test_a_run_without_a_token_fails_with_the_one_line_message_not_a_config_trace(tmp_path):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    run = _materialize(tmp_path, {"INTERCOM_BASE_URL": "http://127.0.0.1:9"})
    output = run.stdout + run.stderr
    assert run.returncode == 1
    assert f"dagster._core.definitions.events.Failure: {missing_token_message()}" in output
    assert "PostProcessingError" not in output and "DagsterInvalidConfigError" not in output


def test_a_run_with_a_revoked_token_fails_with_the_revoked_token_advice(tmp_path, emulator):
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    emulator.set_token("revoked-token-42", "revoked")
    run = _materialize(
        tmp_path,
        {"INTERCOM_BASE_URL": emulator.base_url, "INTERCOM_ACCESS_TOKEN": "revoked-token-42"},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1
    assert "Failure: Intercom rejected the access token (401 token_revoked)." in output
    assert "Generate a new token if the old one was revoked" in output
    assert "revoked-token-42" not in output


def test_resync_fetches_the_listed_conversations_in_a_real_run(emulator, tmp_path):
    database = tmp_path / "m.duckdb"
    wanted = emulator.conversation_ids()[:2]
    env = {
        "DAGSTER_HOME": str(tmp_path / "home"),
        "INTERCOM_DUCKDB_PATH": str(database),
        "INTERCOM_BASE_URL": emulator.base_url,
        "INTERCOM_ACCESS_TOKEN": emulator.token,
    }
    run = _cli("resync", *wanted, env=env)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert re.search(r"^Re-sync succeeded \(run [0-9a-f-]{36}\)$", run.stdout, re.M)
    assert "Re-synced 2 of 2 conversations" in run.stdout
    assert sorted(_conversations(database)) == sorted(wanted)
