"""Dagster side of the support metrics: specs, per-day events, checks, kept current by syncs.

`intercom/conversation_metrics` and `intercom/daily_support_metrics` are specs of the sync's
own multi-asset, written by the same step right after the sync's last batch: a skipped sync
output can never skip them, and a run records exactly the days whose metrics it recomputed.
Each day's `daily_support_metrics` materialization carries that day's KPIs as numbers, so
the asset's Plots tab charts them per day. `admin_metrics` (unpartitioned, refreshed whole)
is recorded too whenever a recompute touched a close.
"""

import logging
from collections.abc import Iterator
from datetime import date, datetime

import dagster as dg
import duckdb

from intercom_assets.analytics import checks, metrics
from intercom_assets.analytics.metrics import MetricsChange
from intercom_assets.analytics.schema import TABLES
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.storage import transaction
from intercom_assets.storage.connection import SCAN_MEMORY_LIMIT

CHECK_ONE_ROW = "one_metrics_row_per_conversation"
CHECK_NON_NEGATIVE = "durations_from_creation_not_negative"
CHECK_DAILY_COUNTS = "daily_conversations_match_stored"

_DESCRIPTIONS = {
    "conversation_metrics": (
        "One row per stored conversation: response, assignment and close times, reopens,"
        " rating, SLA and Intercom's own statistics (see the README's metrics table)."
    ),
    "daily_support_metrics": (
        "Per created day: conversations, closed, first-response median and p90, last-close"
        " median, reopened, rated, average rating, truncated. Materializations carry the KPIs."
    ),
    "admin_metrics": (
        "Per admin who last closed a conversation: name, sorted team names, closed count,"
        " averages and medians over the conversations they last closed."
    ),
    "admins": "Admins from GET /admins (needs the Read admins permission).",
    "teams": "Teams from GET /teams (needs the Read admins permission).",
    "tags": "Tags from GET /tags (needs the Read tags permission).",
}


def table_metadata(table: str) -> dict[str, object]:
    """`dagster/table_name` and `dagster/column_schema` of `intercom.<table>`."""
    columns = [
        dg.TableColumn(column.name, column.duckdb, description=column.description)
        for column in TABLES[table].columns
    ]
    return {
        "dagster/table_name": f"intercom.{table}",
        "dagster/column_schema": dg.TableSchema(columns=columns),
    }


def table_spec(spec: MirrorSpec, table: str, **options: object) -> dg.AssetSpec:
    """The spec of an analytics or reference table asset `{prefix}/{table}`."""
    return dg.AssetSpec(
        spec.asset_key(table),
        group_name=spec.group_name,
        owners=spec.owners,
        kinds={"duckdb", "sql"},
        description=_DESCRIPTIONS[table],
        metadata=table_metadata(table),
        **options,
    )


def metric_specs(spec: MirrorSpec) -> list[dg.AssetSpec]:
    """The two partitioned metric specs, for the sync multi-asset (skippable: only the days a
    run recomputed are recorded)."""
    conversation_metrics = table_spec(
        spec,
        "conversation_metrics",
        deps=[spec.messages_key],
        partitions_def=spec.partitions_def,
        skippable=True,
    )
    daily = table_spec(
        spec,
        "daily_support_metrics",
        deps=[conversation_metrics.key],
        partitions_def=spec.partitions_def,
        skippable=True,
    )
    return [conversation_metrics, daily]


def metric_check_specs(spec: MirrorSpec) -> list[dg.AssetCheckSpec]:
    metrics_key = spec.asset_key("conversation_metrics")
    daily_key = spec.asset_key("daily_support_metrics")
    return [
        dg.AssetCheckSpec(
            CHECK_ONE_ROW,
            asset=metrics_key,
            description="Exactly one metrics row per stored conversation (whole mirror).",
        ),
        dg.AssetCheckSpec(
            CHECK_NON_NEGATIVE,
            asset=metrics_key,
            description="Times to first assignment / response / bot response are never < 0.",
        ),
        dg.AssetCheckSpec(
            CHECK_DAILY_COUNTS,
            asset=daily_key,
            description="Each day's `conversations` equals the conversations stored that day.",
        ),
    ]


def refresh_metrics(
    database: str,
    log: logging.Logger,
    *,
    window: tuple[datetime, datetime] | None = None,
    days: list[str] | None = None,
    removed: bool = False,
) -> MetricsChange:
    """Recompute, in one transaction, what the sync changed in `window` or on `days`, or
    (`removed`) the rows of conversations no longer stored. Nothing changed: nothing runs."""
    with transaction(database, log, config={"memory_limit": SCAN_MEMORY_LIMIT}) as conn:
        if removed:
            change = metrics.refresh_removed(conn)
        elif window is not None:
            change = metrics.refresh_window(conn, *window)
        else:
            change = metrics.refresh_days(conn, days or [])
    if change.changed:
        log.info(
            "Metrics recomputed for %d conversations (%d removed) on %d days%s.",
            change.conversations,
            change.removed,
            len(change.days),
            "; admin_metrics refreshed" if change.admin_metrics else "",
        )
    return change


def _numbers(values: dict[str, float | int | None]) -> dict[str, float | int]:
    """KPIs as metadata: nulls (no value that day) are left out rather than charted as 0."""
    return {name: value for name, value in values.items() if value is not None}


def metric_events(
    conn: duckdb.DuckDBPyConnection, spec: MirrorSpec, change: MetricsChange, synced: list[str]
) -> Iterator[dg.AssetMaterialization]:
    """One materialization per metric table and day that was recomputed or that the sync
    records (its metrics are current too: a backfill expects every day it planned), plus
    admin_metrics'."""
    days = sorted({*change.days, *map(date.fromisoformat, synced)})
    kpis = metrics.daily_kpis(conn, days)
    for day in days:
        partition = day.isoformat()
        yield dg.AssetMaterialization(
            spec.asset_key("conversation_metrics"),
            partition=partition,
            # one metrics row per stored conversation (checked): the day's conversations
            metadata={"dagster/row_count": kpis.get(day, {}).get("conversations", 0)},
        )
        values = kpis.get(day, {"conversations": 0})  # a day left without conversations
        yield dg.AssetMaterialization(
            spec.asset_key("daily_support_metrics"),
            partition=partition,
            metadata={"dagster/row_count": 1 if day in kpis else 0, **_numbers(values)},
        )
    if change.admin_metrics:
        yield dg.AssetMaterialization(
            spec.asset_key("admin_metrics"),
            metadata={"dagster/row_count": metrics.row_count(conn, "admin_metrics")},
        )


def _result(
    spec: MirrorSpec, table: str, name: str, findings: checks.Findings, ok: str, advice: str
) -> dg.AssetCheckResult:
    listed = "; ".join(f"{key}: {detail}" for key, detail in findings.examples)
    return dg.AssetCheckResult(
        asset_key=spec.asset_key(table),
        check_name=name,
        passed=findings.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=ok if findings.passed else f"{findings.count} found: {listed}. {advice}",
        metadata={"problems": findings.count, "examples": listed},
    )


REPAIR = (
    "Recompute with `intercom_assets.analytics.metrics.recompute_all` or re-sync the days named"
    " (every sync run brings its days' metrics up to date)."
)


def metric_check_results(
    conn: duckdb.DuckDBPyConnection, spec: MirrorSpec
) -> Iterator[dg.AssetCheckResult]:
    """The three metric checks over the whole mirror (read-only, a few aggregates)."""
    yield _result(
        spec,
        "conversation_metrics",
        CHECK_ONE_ROW,
        checks.find(conn, checks.ONE_ROW_PER_CONVERSATION),
        "Every stored conversation has exactly one metrics row.",
        REPAIR,
    )
    yield _result(
        spec,
        "conversation_metrics",
        CHECK_NON_NEGATIVE,
        checks.find(conn, checks.NEGATIVE_FROM_CREATED),
        "No time measured from conversation_created_at is negative.",
        "Intercom sent a part older than its conversation: check these conversations' raw JSON.",
    )
    yield _result(
        spec,
        "daily_support_metrics",
        CHECK_DAILY_COUNTS,
        checks.find(conn, checks.DAILY_COUNTS),
        "Every day's `conversations` equals the conversations stored that day.",
        REPAIR,
    )
