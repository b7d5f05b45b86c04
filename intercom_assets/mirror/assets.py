"""The sync: conversations and their messages as one non-subsettable, daily-partitioned
multi-asset over one DuckDB file.

One action syncs both (materializing either asset from the UI runs the pair; a partial
selection raises `DagsterInvalidSubsetError`). Outputs are skippable: the op records an
`AssetMaterialization` per day it changed (or, on a day's first sync, per day it synced), each
with that day's own figures; run-wide figures go on one partitionless `AssetObservation`.
Sensor runs carry the changed conversation ids in run config and fetch exactly those.
"""

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import Field

from intercom_assets.mirror import keys
from intercom_assets.mirror.checks import data_check_specs, evaluate_data_checks
from intercom_assets.mirror.figures import day_events, observation
from intercom_assets.mirror.partitions import daily_partitions
from intercom_assets.mirror.resources import IntercomResource
from intercom_assets.mirror.step_resources import api_metadata, intercom_client, prepared_database
from intercom_assets.storage import reader
from intercom_assets.sync.days import DayLedger
from intercom_assets.sync.engine import (
    MESSAGES_BATCH_CONVERSATIONS,
    SyncWindow,
    sync_conversation_ids,
    sync_conversations,
    sync_messages,
)

FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=2)
)


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


CONVERSATIONS_SPEC = dg.AssetSpec(
    keys.CONVERSATIONS,
    partitions_def=daily_partitions,
    skippable=True,
    group_name="intercom",
    kinds={"duckdb", "python"},
    freshness_policy=FRESHNESS,
    description=(
        "Intercom conversations by created_at day, upserted from search (no parts). Synced "
        "together with intercom/messages."
    ),
)
MESSAGES_SPEC = dg.AssetSpec(
    keys.MESSAGES,
    deps=[keys.CONVERSATIONS],
    partitions_def=daily_partitions,
    skippable=True,
    group_name="intercom",
    kinds={"duckdb", "python"},
    freshness_policy=FRESHNESS,
    description=(
        "Every message of every conversation: the opening message (part_type 'source') plus all"
        " parts, upserted by (conversation_id, id); only conversations whose updated_at moved"
        " are re-fetched, and parts beyond Intercom's newest-500 window are never deleted."
    ),
)


def _days_to_record(
    context: dg.AssetExecutionContext, days: list[str], ledger: DayLedger
) -> list[str]:
    """A range records the days it changed plus days never recorded before (a first backfill
    records every day, empty ones included); a single-day run (the daily schedule, a UI click)
    always records its day. Failed days are never recorded."""
    completed = [day for day in days if day not in ledger.failed]
    if len(days) == 1:
        return completed
    recorded = context.instance.get_materialized_partitions(keys.CONVERSATIONS)
    changed = ledger.changed_days()
    return [day for day in completed if day in changed or day not in recorded]


@dg.multi_asset(
    name=keys.SYNC_OP,
    specs=[CONVERSATIONS_SPEC, MESSAGES_SPEC],
    check_specs=data_check_specs(keys.CONVERSATIONS, keys.MESSAGES),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=False,
    description="Sync Intercom conversations and their messages for the selected day(s).",
)
def intercom_sync(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    intercom: IntercomResource,
    duckdb: DuckDBResource,
) -> Iterator[dg.AssetMaterialization | dg.AssetObservation | dg.AssetCheckResult]:
    started = time.monotonic()
    database = prepared_database(duckdb, context.log)
    run: dict[str, Any] = {}
    with intercom_client(intercom, context.log) as client:
        if config.conversation_ids is not None:
            result = sync_conversation_ids(
                client,
                database,
                config.conversation_ids,
                context.log,
                batch_conversations=config.batch_conversations,
            )
            ledger, attempted = result.days, 0
            days = sorted(ledger.changed_days())
            run |= {
                "conversations_requested": len(config.conversation_ids),
                "newest_updated_at": result.newest_updated_at,
            }
        else:
            if not (context.has_partition_key or context.has_partition_key_range):
                raise dg.Failure(
                    "Choose the day(s) to sync (a partition or a range), or set "
                    f"ops.{keys.SYNC_OP}.config.conversation_ids.",
                    allow_retries=False,
                )
            # Intercom's newest change before this refresh: the updates sensor's first tick
            # starts there, so changes made while a long backfill ran still reach the mirror.
            run["sync_watermark"] = client.newest_updated_at() or 0
            ledger = DayLedger()
            time_window = context.partition_time_window
            window = SyncWindow(time_window.start, time_window.end)
            found = sync_conversations(client, database, window, context.log, days=ledger)
            result = sync_messages(
                client,
                database,
                time_window.start,
                time_window.end,
                context.log,
                batch_conversations=config.batch_conversations,
                days=ledger,
            )
            attempted = len(context.partition_keys)
            days = _days_to_record(context, list(context.partition_keys), ledger)
            run |= {
                "conversations_seen": found.seen,
                "newest_updated_at": found.newest_updated_at,
                "unusable_records": len(found.rejected) + len(result.rejected),
            }
        run |= {
            "full_refresh": config.conversation_ids is None,
            "days_recorded": len(days),
            "days_failed": len(ledger.failed),
            "conversations_synced": result.conversations_synced,
            "messages_written": result.messages_written,
            "conversations_not_found": result.not_found,
            "unusable_conversation_ids": ", ".join(result.unusable[:50]),
            **api_metadata(client, started),
        }
    with reader(database, context.log) as conn:
        yield from day_events(conn, days, ledger, full_refresh=config.conversation_ids is None)
        yield observation(conn, run)
        yield from evaluate_data_checks(
            conn, keys.CONVERSATIONS, keys.MESSAGES, ledger.failed, attempted
        )
    if config.conversation_ids is not None and result.unusable:
        raise dg.Failure(
            f"{len(result.unusable)} conversation(s) could not be fetched "
            f"({', '.join(result.unusable[:20])}); the updates sensor requests them again.",
        )
