"""Configuration mistakes fail early with one line naming the variable and the fix."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from intercom_assets.mirror.settings import spec_from_env
from intercom_assets.mirror.spec import ConfigError, parse_start_date
from intercom_assets.mirror.step_resources import check_duckdb_path

REPO = Path(__file__).parents[1]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("INTERCOM_REGION", "mars", "INTERCOM_REGION='mars' is unknown; use one of us, eu, au"),
        ("INTERCOM_START_DATE", "2020-13-01", "INTERCOM_START_DATE='2020-13-01' is not a date"),
        ("INTERCOM_START_DATE", "2999-01-01", "INTERCOM_START_DATE=2999-01-01 is in the future"),
        ("INTERCOM_SENSOR_INTERVAL_SECONDS", "5m", "INTERCOM_SENSOR_INTERVAL_SECONDS='5m' is not"),
        (
            "INTERCOM_MAX_REQUESTS_PER_MINUTE",
            "lots",
            "INTERCOM_MAX_REQUESTS_PER_MINUTE='lots' is not",
        ),
        ("INTERCOM_MAX_REQUESTS_PER_MINUTE", "0", "must be greater than zero"),
    ],
)
def test_bad_setting_is_one_line_naming_the_variable(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        spec_from_env()
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_defaults_match_the_contract(monkeypatch):
    for name in list(os.environ):
        if name.startswith("INTERCOM_"):
            monkeypatch.delenv(name)
    settings = spec_from_env()
    assert (settings.start_date, settings.duckdb_path, settings.region) == (
        "2020-01-01",
        "data/intercom.duckdb",
        "us",
    )
    assert (settings.api_version, settings.sensor_interval_seconds) == ("2.16", 300)
    assert settings.max_requests_per_minute == 10_000


def test_start_date_today_is_allowed_but_tomorrow_is_not():
    assert parse_start_date("2026-11-20", today=date(2026, 11, 20)) == "2026-11-20"
    with pytest.raises(ConfigError, match="in the future"):
        parse_start_date("2026-11-21", today=date(2026, 11, 20))


def test_unwritable_duckdb_path_is_refused(tmp_path):
    with pytest.raises(
        ConfigError, match=r"INTERCOM_DUCKDB_PATH='/proc/intercom/x\.duckdb' is not"
    ):
        check_duckdb_path("/proc/intercom/x.duckdb")
    target = tmp_path / "new" / "folder" / "intercom.duckdb"
    assert check_duckdb_path(str(target)) == str(target)
    assert target.parent.is_dir()


def test_code_location_refuses_to_load_with_a_bad_start_date():
    loaded = subprocess.run(
        [sys.executable, "-c", "import intercom_assets.definitions"],
        env={**os.environ, "INTERCOM_START_DATE": "yesterday"},
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert loaded.returncode == 1
    assert loaded.stderr.strip().splitlines()[-1] == (
        "intercom_assets.mirror.spec.ConfigError: INTERCOM_START_DATE='yesterday' is not a date;"
        " use YYYY-MM-DD, e.g. 2020-01-01."
    )


def test_run_without_a_token_fails_at_launch_naming_the_variable(monkeypatch):
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    from intercom_assets.definitions import defs

    job = defs.resolve_job_def("intercom_sync_job")
    with pytest.raises(dg.DagsterInvalidConfigError, match="INTERCOM_ACCESS_TOKEN"):
        job.execute_in_process(partition_key="2026-11-20")


def test_cli_reports_config_errors_in_one_line():
    run = subprocess.run(
        [sys.executable, "-m", "intercom_assets.cli.main", "test-connection"],
        env={**os.environ, "INTERCOM_REGION": "mars", "INTERCOM_ACCESS_TOKEN": "t"},
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "Configuration error: INTERCOM_REGION='mars' is unknown; use one of us, eu, au"
        " (or set INTERCOM_BASE_URL)."
    )
