"""The sync of one workspace: conversations and their messages as one non-subsettable,
daily-partitioned multi-asset over one DuckDB file, built from its `MirrorSpec`.

One action syncs both (materializing either asset from the UI runs the pair; a partial
selection raises `DagsterInvalidSubsetError`). Outputs are skippable: the op records an
`AssetMaterialization` per day it changed (or, on a day's first sync, per day it synced), each
with that day's own figures; run-wide figures go on one partitionless `AssetObservation`.
Sensor runs carry the changed conversation ids in run config and fetch exactly those.
"""

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import dagster as dg
from pydantic import Field

from intercom_assets.mirror.checks import data_check_specs, evaluate_data_checks
from intercom_assets.mirror.figures import day_events, observation
from intercom_assets.mirror.metrics import (
    metric_check_results,
    metric_check_specs,
    metric_events,
    metric_specs,
    refresh_metrics,
)
from intercom_assets.mirror.resources import duckdb_resource, intercom_resource
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.mirror.step_resources import api_metadata, intercom_client, prepared_database
from intercom_assets.storage import reader
from intercom_assets.storage.connection import SCAN_CONFIG
from intercom_assets.sync.days import DayLedger
from intercom_assets.sync.engine import SyncWindow
from intercom_assets.sync.messages import MESSAGES_BATCH_CONVERSATIONS, sync_conversation_ids
from intercom_assets.sync.pipeline import sync_window

FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=2)
)
SYNC = "sync"  # the op is `spec.op_name(SYNC)`, e.g. `intercom__sync`
BACKFILL_TAG = "dagster/backfill"


class SyncConfig(dg.Config):
    """Leave `conversation_ids` empty for a full refresh of the selected days (which also
    detects deletions); the updates sensor sets it to what changed."""

    conversation_ids: list[str] | None = Field(
        default=None,
        description=(
            "Fetch exactly these conversations (one GET each, no search) instead of refreshing "
            "partitions; the run then needs no partition."
        ),
    )
    batch_conversations: int = Field(
        default=MESSAGES_BATCH_CONVERSATIONS,
        ge=1,
        le=10_000,
        description="Conversations per DuckDB transaction: a crash loses at most this many.",
    )


def _specs(spec: MirrorSpec) -> list[dg.AssetSpec]:
    common: dict[str, Any] = {
        "partitions_def": spec.partitions_def,
        "skippable": True,
        "group_name": spec.group_name,
        "owners": spec.owners,
        "kinds": {"duckdb", "python"},
        "freshness_policy": FRESHNESS,
    }
    return [
        dg.AssetSpec(
            spec.conversations_key,
            description=(
                "Intercom conversations by created_at day, upserted from search (no parts). "
                f"Synced together with {spec.messages_key.to_user_string()}."
            ),
            **common,
        ),
        dg.AssetSpec(
            spec.messages_key,
            deps=[spec.conversations_key],
            description=(
                "Every message of every conversation: the opening message (part_type 'source')"
                " plus all parts, upserted by (conversation_id, id); only conversations whose"
                " updated_at moved are re-fetched, and parts beyond Intercom's newest-500 window"
                " are never deleted."
            ),
            **common,
        ),
    ]


def _timestamp(seconds: int | None) -> dg.TimestampMetadataValue | None:
    """Epoch seconds as a timestamp, so the UI shows a time (None is left out of the metadata)."""
    return None if seconds is None else dg.MetadataValue.timestamp(float(seconds))


def _days_to_record(
    context: dg.AssetExecutionContext, spec: MirrorSpec, days: list[str], ledger: DayLedger
) -> list[str]:
    """A range records the days it changed plus days never recorded before (a first backfill
    records every day, empty ones included); a single-day run (the daily schedule, a UI click)
    and a run of an asset backfill record every day they completed, since the backfill counts
    a planned day left unrecorded as failed. Failed days are never recorded."""
    completed = [day for day in days if day not in ledger.failed]
    if len(days) == 1 or BACKFILL_TAG in context.run.tags:
        return completed
    recorded = context.instance.get_materialized_partitions(spec.conversations_key)
    changed = ledger.changed_days()
    return [day for day in completed if day in changed or day not in recorded]


def build_sync_assets(spec: MirrorSpec) -> list[dg.AssetsDefinition]:
    """`{prefix}/conversations` and `{prefix}/messages`, synced together by one op."""

    @dg.multi_asset(
        name=spec.op_name(SYNC),
        specs=[*_specs(spec), *metric_specs(spec)],
        check_specs=[*data_check_specs(spec), *metric_check_specs(spec)],
        partitions_def=spec.partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        can_subset=False,
        required_resource_keys=spec.resource_keys,
        description="Sync Intercom conversations and their messages for the selected day(s).",
    )
    def sync(
        context: dg.AssetExecutionContext, config: SyncConfig
    ) -> Iterator[dg.AssetMaterialization | dg.AssetObservation | dg.AssetCheckResult]:
        intercom, duckdb = intercom_resource(context, spec), duckdb_resource(context, spec)
        started = time.monotonic()
        database = prepared_database(duckdb, context.log)
        full_refresh = config.conversation_ids is None
        run: dict[str, Any] = {"full_refresh": full_refresh}
        with intercom_client(intercom, context.log) as client:
            if not full_refresh:
                result = sync_conversation_ids(
                    client,
                    database,
                    config.conversation_ids or [],
                    context.log,
                    batch_conversations=config.batch_conversations,
                )
                ledger, attempted = result.days, 0
                days = sorted(ledger.changed_days())
                scope: dict[str, Any] = {"days": sorted(ledger.days)}
                run |= {
                    "conversations_requested": len(config.conversation_ids or []),
                    "newest_updated_at": _timestamp(result.newest_updated_at),
                }
            else:
                if not (context.has_partition_key or context.has_partition_key_range):
                    raise dg.Failure(
                        "Choose the day(s) to sync (a partition or a range), or set "
                        f"ops.{spec.op_name(SYNC)}.config.conversation_ids.",
                        allow_retries=False,
                    )
                # Intercom's newest change before this refresh: the updates sensor's first tick
                # starts there, so changes made while a long backfill ran reach the mirror.
                # Asked beside the search, not before it (one latency of budget at 1 s).
                with ThreadPoolExecutor(1, thread_name_prefix="intercom-watermark") as asker:
                    watermark = asker.submit(client.newest_updated_at)
                    ledger = DayLedger()
                    window = context.partition_time_window
                    scope = {"window": (window.start, window.end)}
                    found, result = sync_window(
                        client,
                        database,
                        SyncWindow(window.start, window.end),
                        context.log,
                        batch_conversations=config.batch_conversations,
                        days=ledger,
                    )
                    run["sync_watermark"] = _timestamp(watermark.result() or 0)
                attempted = len(context.partition_keys)
                days = _days_to_record(context, spec, list(context.partition_keys), ledger)
                run |= {
                    "conversations_seen": found.seen,
                    "conversations_new": found.new,
                    "conversations_changed": found.changed,
                    "conversations_unchanged": found.unchanged,
                    "newest_updated_at": _timestamp(found.newest_updated_at),
                    "unusable_records": len(found.rejected) + len(result.rejected),
                }
            run |= {
                "conversations_stale": result.stale,
                "days_recorded": len(days),
                "days_failed": len(ledger.failed),
                "conversations_synced": result.conversations_synced,
                "messages_written": result.messages_written,
                "conversations_not_found": result.not_found,
                "unusable_conversation_ids": ", ".join(result.unusable[:50]),
                **api_metadata(client, started),
            }
        # The metrics of what this run wrote, in the same step: a skipped output cannot skip them.
        change = refresh_metrics(database, context.log, **scope)
        with reader(database, context.log, config=SCAN_CONFIG) as conn:
            yield from day_events(conn, spec, days, ledger, full_refresh=full_refresh)
            yield from metric_events(conn, spec, change, days)
            yield observation(conn, spec, run)
            yield from evaluate_data_checks(conn, spec, ledger.failed, attempted)
            yield from metric_check_results(conn, spec)
        if result.unusable and not full_refresh:
            raise dg.Failure(
                f"{len(result.unusable)} conversation(s) could not be fetched "
                f"({', '.join(result.unusable[:20])}); {spec.updates_sensor_name} requests "
                "this run again."
            )

    return [sync]
