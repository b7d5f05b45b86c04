"""The code location: `intercom_assets.definitions:defs`."""

import dagster as dg

from intercom_assets.mirror.assets import conversations, messages
from intercom_assets.mirror.schedules import (
    intercom_daily_schedule,
    intercom_freshness_schedule,
    intercom_reconcile_schedule,
)
from intercom_assets.mirror.sensor import build_updates_sensor
from intercom_assets.mirror.checks import DATA_CHECKS, FRESHNESS_CHECKS
from intercom_assets.mirror.deletions import deleted_conversations
from intercom_assets.mirror.jobs import intercom_deletions_job, intercom_freshness_job, intercom_sync_job
from intercom_assets.mirror.resources import build_resources
from intercom_assets.mirror.reference import (
    build_reference_assets,
    build_reference_job,
    build_reference_schedule,
)
from intercom_assets.mirror.settings import load_settings

settings = load_settings()
reference = build_reference_assets("intercom", dg.AssetKey(["intercom", "conversation_metrics"]))
reference_job = build_reference_job("intercom", reference)

defs = dg.Definitions(
    assets=[conversations, messages, deleted_conversations, reference],
    asset_checks=[*DATA_CHECKS, *FRESHNESS_CHECKS],
    jobs=[intercom_sync_job, intercom_deletions_job, intercom_freshness_job, reference_job],
    schedules=[
        intercom_daily_schedule,
        intercom_reconcile_schedule,
        intercom_freshness_schedule,
        build_reference_schedule("intercom", reference_job),
    ],
    sensors=[build_updates_sensor(interval_seconds=settings.sensor_interval_seconds)],
    resources=build_resources(settings),
    # Sync steps are sequential and their parallelism is the client's thread pool, so one
    # process costs nothing and keeps a run's steps and checks from contending for DuckDB's
    # single-writer lock; it applies to runs launched from the asset graph too.
    executor=dg.in_process_executor,
)
