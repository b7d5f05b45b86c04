"""IntercomWorkspaceComponent: the shipped YAML reproduces the contract; values are validated
where they are loaded, with the field named; a second workspace never collides."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster.components.testing import create_defs_folder_sandbox

from intercom_assets import IntercomWorkspaceComponent
from intercom_assets.components import load_workspace_spec
from intercom_assets.definitions import load_code_location
from intercom_assets.mirror.build import build_defs
from intercom_assets.mirror.resources import missing_token_message
from intercom_assets.mirror.spec import ConfigError, MirrorSpec
from intercom_assets_tests.support import REPO, code_location_snapshot, without_intercom_env

# ★ contract: every name the default YAML builds (DESIGN.md; v2 adds reference data and
# metrics). Adding a definition to `build_defs` means adding it here, on purpose.
CONTRACT = {
    "assets": [
        "intercom/admin_metrics",
        "intercom/admins",
        "intercom/conversation_metrics",
        "intercom/conversations",
        "intercom/daily_support_metrics",
        "intercom/deleted_conversations",
        "intercom/messages",
        "intercom/tags",
        "intercom/teams",
    ],
    "checks": [
        "intercom/conversation_metrics:durations_from_creation_not_negative",
        "intercom/conversation_metrics:one_metrics_row_per_conversation",
        "intercom/conversations:conversation_ids_unique",
        "intercom/conversations:conversations_in_partition_day",
        "intercom/conversations:days_synced",
        "intercom/conversations:sync_lag",
        "intercom/daily_support_metrics:daily_conversations_match_stored",
        "intercom/messages:message_ids_unique",
        "intercom/messages:messages_complete",
        "intercom/messages:messages_have_conversation",
        "intercom/messages:yesterday_synced",
    ],
    "jobs": {
        "intercom_deletions_job": ["intercom/deleted_conversations"],
        "intercom_freshness_job": [
            "intercom/conversations:sync_lag",
            "intercom/messages:yesterday_synced",
        ],
        "intercom_resync_job": [],
        "intercom_test_connection_job": [],
        "intercom_reference_job": [
            "intercom/admin_metrics",
            "intercom/admins",
            "intercom/tags",
            "intercom/teams",
        ],
        "intercom_sync_job": [
            "intercom/conversation_metrics",
            "intercom/conversation_metrics:durations_from_creation_not_negative",
            "intercom/conversation_metrics:one_metrics_row_per_conversation",
            "intercom/conversations",
            "intercom/conversations:conversation_ids_unique",
            "intercom/conversations:conversations_in_partition_day",
            "intercom/conversations:days_synced",
            "intercom/daily_support_metrics",
            "intercom/daily_support_metrics:daily_conversations_match_stored",
            "intercom/messages",
            "intercom/messages:message_ids_unique",
            "intercom/messages:messages_complete",
            "intercom/messages:messages_have_conversation",
        ],
    },
    "sensors": {
        "intercom_updates_sensor": ["intercom_deletions_job", "intercom_sync_job"],
        "intercom_run_failure_alert_sensor": [],
        "intercom_check_failure_alert_sensor": [],
    },
    "schedules": {
        "intercom_daily_schedule": "intercom_sync_job",
        "intercom_freshness_schedule": "intercom_freshness_job",
        "intercom_reconcile_schedule": "intercom_sync_job",
        "intercom_reference_schedule": "intercom_reference_job",
    },
    "resources": {"duckdb": None, "intercom": "INTERCOM_ACCESS_TOKEN"},
}


def test_the_default_yaml_reproduces_the_contract(monkeypatch):
    without_intercom_env(monkeypatch)
    assert code_location_snapshot(load_code_location()) == CONTRACT


def test_unset_variables_keep_the_defaults_and_set_ones_reach_every_field(monkeypatch):
    without_intercom_env(monkeypatch)
    assert load_workspace_spec() == MirrorSpec()

    settings = {
        "INTERCOM_REGION": "EU",
        "INTERCOM_BASE_URL": "http://127.0.0.1:9/",
        "INTERCOM_API_VERSION": "2.10",
        "INTERCOM_START_DATE": "2021-03-01",
        "INTERCOM_DUCKDB_PATH": "/tmp/x.duckdb",
        "INTERCOM_MAX_REQUESTS_PER_MINUTE": "600",
        "INTERCOM_SENSOR_INTERVAL_SECONDS": "42",
        "INTERCOM_MAX_SYNC_LAG_MINUTES": "5",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)

    assert load_workspace_spec() == MirrorSpec(
        region="eu",
        base_url="http://127.0.0.1:9",
        api_version="2.10",
        start_date="2021-03-01",
        duckdb_path="/tmp/x.duckdb",
        max_requests_per_minute=600,
        sensor_interval_seconds=42,
        max_sync_lag_minutes=5,
    )
    built = load_code_location()
    assert built.resolve_sensor_def("intercom_updates_sensor").minimum_interval_seconds == 42
    assert built.resolve_job_def("intercom_sync_job").partitions_def.start.date().isoformat() == (
        "2021-03-01"
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "INTERCOM_REGION",
            "mars",
            "intercom/defs.yaml: region='mars' is unknown; use one of us, eu, au"
            " (or set base_url).",
        ),
        (
            "INTERCOM_START_DATE",
            "2020-13-01",
            "intercom/defs.yaml: start_date='2020-13-01' is not a date; use YYYY-MM-DD, e.g. "
            "2020-01-01.",
        ),
        (
            "INTERCOM_START_DATE",
            "2999-01-01",
            "intercom/defs.yaml: start_date=2999-01-01 is in the future; use your workspace's "
            "first day.",
        ),
        (
            "INTERCOM_SENSOR_INTERVAL_SECONDS",
            "5m",
            "intercom/defs.yaml: sensor_interval_seconds: Input should be a valid integer, unable "
            "to parse string as an integer (got '5m')",
        ),
        (
            "INTERCOM_MAX_REQUESTS_PER_MINUTE",
            "0",
            "intercom/defs.yaml: max_requests_per_minute=0 must be greater than zero.",
        ),
        (
            "INTERCOM_BASE_URL",
            "localhost:8000",
            "intercom/defs.yaml: base_url='localhost:8000' must start with http:// or https://.",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_the_field(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_workspace_spec()
    assert str(error.value) == message


def test_the_code_location_refuses_to_load_naming_the_field():
    loaded = subprocess.run(
        [sys.executable, "-c", "import intercom_assets.definitions"],
        env={**os.environ, "INTERCOM_START_DATE": "yesterday"},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert loaded.returncode == 1
    assert "defs.yaml (IntercomWorkspaceComponent)" in loaded.stderr
    assert "start_date='yesterday' is not a date; use YYYY-MM-DD" in loaded.stderr


def test_the_code_location_loads_without_a_token_and_never_resolves_it(monkeypatch):
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", "tok_never_resolved_at_load")
    resource = load_code_location().resources["intercom"]
    token = resource.access_token
    assert isinstance(token, dg.EnvVar) and token.env_var_name == "INTERCOM_ACCESS_TOKEN"
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN")
    resource = load_code_location().resources["intercom"]  # unset: nothing bound, named only
    assert (resource.access_token, resource.access_token_env) == ("", "INTERCOM_ACCESS_TOKEN")


def test_a_run_without_the_token_fails_with_one_line_naming_the_variable(monkeypatch, tmp_path):
    """Not Dagster's config-resolution trace (issue 12): the step fails with one line."""
    monkeypatch.delenv("INTERCOM_ACCESS_TOKEN", raising=False)
    monkeypatch.setenv("INTERCOM_DUCKDB_PATH", str(tmp_path / "m.duckdb"))
    monkeypatch.setenv("INTERCOM_BASE_URL", "http://127.0.0.1:9")
    job = load_code_location().resolve_job_def("intercom_sync_job")
    result = job.execute_in_process(partition_key="2026-11-20", raise_on_error=False)
    failure = next(event for event in result.all_events if event.is_step_failure)
    assert failure.step_failure_data.error.message == (
        f"dagster._core.definitions.events.Failure: {missing_token_message()}\n"
    )


def test_the_cli_reports_a_bad_value_in_one_line():
    run = subprocess.run(
        [sys.executable, "-m", "intercom_assets.cli.main", "test-connection"],
        env={**os.environ, "INTERCOM_REGION": "mars", "INTERCOM_ACCESS_TOKEN": "t"},
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "Configuration error: intercom/defs.yaml: region='mars' is unknown; use one of us, eu, "
        "au (or set base_url)."
    )


def test_scaffolding_writes_a_yaml_for_a_second_workspace_that_loads():
    with create_defs_folder_sandbox() as sandbox:
        path = sandbox.scaffold_component(IntercomWorkspaceComponent, defs_path="intercom_eu")
        written = yaml.safe_load((path / "defs.yaml").read_text())
        with sandbox.load_component_and_build_defs(defs_path=path) as (component, defs):
            snapshot = code_location_snapshot(defs)

    assert written["type"].endswith(".IntercomWorkspaceComponent")  # dg writes the short name
    assert written == {
        "type": written["type"],
        "attributes": {
            "key_prefix": "intercom_eu",
            "access_token_env": "INTERCOM_EU_ACCESS_TOKEN",
            "region": "us",
            "start_date": "2020-01-01",
            "duckdb_path": "data/intercom_eu.duckdb",
        },
    }
    assert isinstance(component, IntercomWorkspaceComponent)
    assert snapshot["assets"] == [
        name.replace("intercom/", "intercom_eu/") for name in CONTRACT["assets"]
    ]
    assert snapshot["sensors"] == {
        "intercom_eu_updates_sensor": ["intercom_eu_deletions_job", "intercom_eu_sync_job"],
        "intercom_eu_run_failure_alert_sensor": [],
        "intercom_eu_check_failure_alert_sensor": [],
    }
    assert snapshot["schedules"] == {
        name.replace("intercom_", "intercom_eu_"): job.replace("intercom_", "intercom_eu_")
        for name, job in CONTRACT["schedules"].items()
    }
    assert snapshot["resources"] == {
        "intercom_eu": "INTERCOM_EU_ACCESS_TOKEN",
        "intercom_eu_duckdb": None,
    }


def test_two_workspaces_with_one_prefix_refuse_to_load():
    body = {"type": "intercom_assets.IntercomWorkspaceComponent", "attributes": {}}
    with create_defs_folder_sandbox() as sandbox:
        for folder in ("us", "eu"):
            sandbox.scaffold_component(
                IntercomWorkspaceComponent, defs_path=folder, defs_yaml_contents=body
            )
        with pytest.raises(Exception) as error, sandbox.build_all_defs():
            pass

    cause = error.value.__cause__ or error.value.__context__
    assert "different resources with same key 'intercom'" in str(cause)


def test_the_default_yaml_is_what_the_package_ships():
    shipped = Path(__file__).parents[2] / "intercom_assets" / "defs" / "intercom" / "defs.yaml"
    attributes = yaml.safe_load(shipped.read_text())["attributes"]
    assert attributes["access_token_env"] == "INTERCOM_ACCESS_TOKEN"
    assert "ACCESS_TOKEN" not in str(
        {k: v for k, v in attributes.items() if k != "access_token_env"}
    )


def test_an_unwritable_duckdb_file_fails_the_run_with_one_sentence(emulator, monkeypatch):
    monkeypatch.setenv("INTERCOM_ACCESS_TOKEN", emulator.token)
    spec = MirrorSpec(base_url=emulator.base_url, duckdb_path="/proc/intercom/x.duckdb")
    job = build_defs(spec).resolve_job_def("intercom_sync_job")

    result = job.execute_in_process(partition_key="2026-11-20", raise_on_error=False)

    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.event_specific_data.user_failure_data.description == (
        "The DuckDB file '/proc/intercom/x.duckdb' is not writable (No such file or "
        "directory); set duckdb_path (INTERCOM_DUCKDB_PATH for the default workspace) to a "
        "folder you can write to."
    )
    assert sum(emulator.requests.values()) == 0
