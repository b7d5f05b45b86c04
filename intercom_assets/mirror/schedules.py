"""Schedules: yesterday's full refresh, the weekly reconciliation, the hourly freshness checks.

The daily schedule is hand-written: with `end_offset=1` the partitioned-job helper would target
today, not the day that just ended. The freshness schedule is on by default so staleness is
reported without anyone having to discover and start it.
"""

import os
from datetime import UTC, datetime, timedelta

import dagster as dg

from intercom_assets.mirror.jobs import MirrorJobs
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.mirror.updates.run_requests import RANGE_END_TAG, RANGE_START_TAG

DAILY_CRON = "15 0 * * *"
RECONCILE_CRON = "0 3 * * 0"
FRESHNESS_CRON = "7 * * * *"
TRIGGER_TAG = "intercom/trigger"


def _tick_time(context: dg.ScheduleEvaluationContext) -> datetime:
    return (context.scheduled_execution_time or datetime.now(UTC)).astimezone(UTC)


def build_schedules(spec: MirrorSpec, jobs: MirrorJobs) -> list[dg.ScheduleDefinition]:
    """Daily refresh of yesterday, weekly reconcile, hourly freshness for one workspace."""

    @dg.schedule(
        name=spec.daily_schedule_name,
        cron_schedule=DAILY_CRON,
        execution_timezone="UTC",
        job=jobs.sync,
        description=(
            "Shortly after midnight UTC, fully refreshes yesterday's partition: every conversation "
            "created that day, its messages, and deletions confirmed by Intercom."
        ),
    )
    def daily_schedule(
        context: dg.ScheduleEvaluationContext,
    ) -> dg.RunRequest | dg.SkipReason:
        yesterday = (_tick_time(context) - timedelta(days=1)).date().isoformat()
        first_key = spec.partitions_def.get_first_partition_key()
        if first_key is None or yesterday < first_key:
            return dg.SkipReason(f"{yesterday} is before the start date: nothing to refresh.")
        return dg.RunRequest(
            run_key=f"daily:{yesterday}", partition_key=yesterday, tags={TRIGGER_TAG: "daily"}
        )

    @dg.schedule(
        name=spec.reconcile_schedule_name,
        cron_schedule=RECONCILE_CRON,
        execution_timezone="UTC",
        job=jobs.sync,
        description=(
            "Weekly (Sunday 03:00 UTC), one run over every day: searches all conversations, "
            "re-fetches only those whose updated_at changed, and removes deleted ones. Repairs "
            "whatever a failed sensor run left behind; the deletion path on API 2.15 and older."
        ),
    )
    def reconcile_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        today = _tick_time(context).date().isoformat()
        first_key = spec.partitions_def.get_first_partition_key() or today
        return dg.RunRequest(
            run_key=f"reconcile:{today}",
            tags={RANGE_START_TAG: first_key, RANGE_END_TAG: today, TRIGGER_TAG: "reconcile"},
        )

    @dg.schedule(
        name=spec.freshness_schedule_name,
        cron_schedule=FRESHNESS_CRON,
        execution_timezone="UTC",
        job=jobs.freshness,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=(
            "Hourly: checks that yesterday was synced after it ended and that the mirror is not "
            f"behind Intercom. On by default; needs {spec.access_token_env}."
        ),
    )
    def freshness_schedule(
        context: dg.ScheduleEvaluationContext,
    ) -> dg.RunRequest | dg.SkipReason:
        if not os.environ.get(spec.access_token_env, "").strip():
            return dg.SkipReason(
                f"{spec.access_token_env} is not set, so Intercom cannot be asked how current the "
                "mirror is. Set it and restart Dagster to turn the freshness checks on."
            )
        return dg.RunRequest(
            run_key=f"freshness:{_tick_time(context):%Y-%m-%dT%H:%M}",
            tags={TRIGGER_TAG: "freshness"},
        )

    return [daily_schedule, reconcile_schedule, freshness_schedule]
