"""deploy/dagster.yaml on a real PostgreSQL: the instance it builds, what the webserver shows
(schedules registered), and where the Intercom token is not (any process but the code
server, PostgreSQL, the logs)."""

import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.scheduler.instigation import TickStatus

from intercom_assets.emulator import Emulator
from intercom_assets_tests.production.conftest import DAGSTER_YAML
from intercom_assets_tests.production.operations import (
    history,
    launch_sync_run,
    schedules,
    wait_for_run,
)
from intercom_assets_tests.production.postgres import Cluster
from intercom_assets_tests.production.processes import Deployment

pytestmark = pytest.mark.production


def test_production_dagster_yaml_builds_a_postgres_instance_with_its_limits(
    cluster: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in cluster.env().items():
        monkeypatch.setenv(name, value)
    shutil.copy(DAGSTER_YAML, tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert not instance.telemetry_enabled
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        concurrency = instance.get_concurrency_config()
        queue = concurrency.run_queue_config
        assert queue.max_concurrent_runs == 3
        limits = {
            (limit["key"], limit.get("value")): limit["limit"]
            for limit in queue.tag_concurrency_limits
        }
        assert limits == {
            ("dagster/backfill", None): 2,
            ("intercom/trigger", "reconcile"): 1,
            ("dagster/sensor_name", "intercom_updates_sensor"): 2,
        }
        assert concurrency.pool_config.default_pool_limit == 1
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] == 60
        assert instance.run_monitoring_max_runtime_seconds == 43_200
        assert instance.run_retries_enabled
        assert instance.run_retries_max_retries == 2
        assert not instance.run_retries_retry_on_asset_or_op_failure
        sensor_ticks = instance.get_tick_retention_settings(InstigatorType.SENSOR)
        assert sensor_ticks[TickStatus.SKIPPED] == 7
        assert sensor_ticks[TickStatus.SUCCESS] == 30


def test_webserver_lists_the_schedules_from_the_code_server(deployment: Deployment) -> None:
    found = schedules(deployment)
    assert found["intercom_daily_schedule"]["cronSchedule"] == "15 0 * * *"
    assert found["intercom_reconcile_schedule"]["cronSchedule"] == "0 3 * * 0"
    assert {found[name]["executionTimezone"] for name in found} == {"UTC"}
    assert found["intercom_daily_schedule"]["scheduleState"]["status"] == "STOPPED"
    assert found["intercom_freshness_schedule"]["scheduleState"]["status"] == "RUNNING"


def test_token_lives_only_in_the_code_server_and_its_run_workers(
    deployment: Deployment, cluster: Cluster, live_emulator: Emulator
) -> None:
    token = live_emulator.token
    first, last = history()
    assert wait_for_run(deployment, launch_sync_run(deployment, first, last)) == "SUCCESS"
    for service in (deployment.daemon, deployment.webserver):
        for proc in service.family():
            assert token not in proc.environ().values(), f"{service.name} has the token"
    assert deployment.code_server.family()[0].environ()["INTERCOM_ACCESS_TOKEN"] == token
    for service in deployment.services:
        assert token not in service.log.read_text(errors="replace"), f"token in {service.name} log"
    stored = cluster.query(
        "SELECT (SELECT count(*) FROM runs WHERE run_body LIKE %(t)s)"
        " + (SELECT count(*) FROM event_logs WHERE event LIKE %(t)s)"
        " + (SELECT count(*) FROM run_tags WHERE value LIKE %(t)s)"
        " + (SELECT count(*) FROM job_ticks WHERE tick_body LIKE %(t)s)",
        {"t": f"%{token}%"},
    )
    assert stored == [(0,)]
