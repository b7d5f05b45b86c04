"""The code location: `intercom_assets.definitions:defs`."""

import dagster as dg

from intercom_assets.mirror.assets import intercom_sync
from intercom_assets.mirror.checks import FRESHNESS_CHECKS
from intercom_assets.mirror.deletions import deleted_conversations
from intercom_assets.mirror.jobs import (
    intercom_deletions_job,
    intercom_freshness_job,
    intercom_sync_job,
)
from intercom_assets.mirror.resources import build_resources
from intercom_assets.mirror.schedules import (
    intercom_daily_schedule,
    intercom_freshness_schedule,
    intercom_reconcile_schedule,
)
from intercom_assets.mirror.sensor import build_updates_sensor
from intercom_assets.mirror.settings import load_settings

settings = load_settings()

defs = dg.Definitions(
    assets=[intercom_sync, deleted_conversations],
    asset_checks=FRESHNESS_CHECKS,
    jobs=[intercom_sync_job, intercom_deletions_job, intercom_freshness_job],
    schedules=[intercom_daily_schedule, intercom_reconcile_schedule, intercom_freshness_schedule],
    sensors=[build_updates_sensor(interval_seconds=settings.sensor_interval_seconds)],
    resources=build_resources(settings),
    # Sync steps are sequential and their parallelism is the client's thread pool, so one
    # process costs nothing and keeps a run's steps and checks from contending for DuckDB's
    # single-writer lock; it applies to runs launched from the asset graph too.
    executor=dg.in_process_executor,
)
