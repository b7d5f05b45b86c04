"""deploy/dagster.yaml is a valid Dagster 1.13 instance config that sets what it promises."""

import shutil
from pathlib import Path

import dagster as dg
from dagster._core.definitions.run_request import InstigatorType
from dagster._core.scheduler.instigation import TickStatus

DAGSTER_YAML = Path(__file__).resolve().parents[2] / "deploy" / "dagster.yaml"


def test_production_dagster_yaml_loads_with_its_limits(tmp_path: Path) -> None:
    shutil.copy(DAGSTER_YAML, tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert not instance.telemetry_enabled
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        concurrency = instance.get_concurrency_config()
        assert concurrency.run_queue_config.max_concurrent_runs == 3
        limits = {
            limit["key"]: limit for limit in concurrency.run_queue_config.tag_concurrency_limits
        }
        assert limits["dagster/backfill"]["limit"] == 2
        assert concurrency.pool_config.default_pool_limit == 2
        assert instance.run_monitoring_enabled
        assert instance.run_retries_enabled
        sensor_ticks = instance.get_tick_retention_settings(InstigatorType.SENSOR)
        assert sensor_ticks[TickStatus.SKIPPED] == 7
        assert sensor_ticks[TickStatus.SUCCESS] == 30
