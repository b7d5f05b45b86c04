"""`build_defs(spec)`: every Dagster definition of one mirrored Intercom workspace.

The one place the pieces are put together, so a second workspace is a second spec and
nothing else; the component and the tests build the same definitions the same way.
"""

import dagster as dg

from intercom_assets.mirror.alerts import build_alert_sensors
from intercom_assets.mirror.assets import build_sync_assets
from intercom_assets.mirror.catalog import describe_assets
from intercom_assets.mirror.checks import build_freshness_checks
from intercom_assets.mirror.deletions import build_deletions_asset
from intercom_assets.mirror.jobs import build_jobs
from intercom_assets.mirror.operations import build_resync_job, build_test_connection_job
from intercom_assets.mirror.reference import build_reference_defs
from intercom_assets.mirror.resources import build_resources
from intercom_assets.mirror.schedules import build_schedules
from intercom_assets.mirror.sensor import build_updates_sensor
from intercom_assets.mirror.spec import MirrorSpec


def build_defs(spec: MirrorSpec) -> dg.Definitions:
    """Assets, checks, jobs, schedules, sensor and resources named from `spec.key_prefix`."""
    freshness_checks = build_freshness_checks(spec)
    jobs = build_jobs(spec, freshness_checks)
    operator_jobs = [build_test_connection_job(spec), build_resync_job(spec)]
    alerts = build_alert_sensors(spec, [*jobs.all(), *operator_jobs], jobs.sync)
    mirror = dg.Definitions(
        assets=[*build_sync_assets(spec), build_deletions_asset(spec)],
        asset_checks=freshness_checks,
        jobs=[*jobs.all(), *operator_jobs],
        schedules=build_schedules(spec, jobs),
        sensors=[build_updates_sensor(spec, jobs), *alerts],
        resources=build_resources(spec),
    )
    return describe_assets(spec, dg.Definitions.merge(mirror, build_reference_defs(spec)))
