"""Thin Dagster wiring of the sync: two daily-partitioned assets over one DuckDB file,
built per workspace from its `MirrorSpec`."""

import time
from datetime import timedelta

import dagster as dg
from pydantic import Field

from intercom_assets.mirror.resources import duckdb_resource, intercom_resource
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.mirror.step_resources import api_metadata, intercom_client, prepared_database
from intercom_assets.storage import preview_markdown, reader
from intercom_assets.sync.engine import (
    MESSAGES_BATCH_CONVERSATIONS,
    SyncWindow,
    sync_conversations,
    sync_messages,
)

FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=2)
)


class ConversationsConfig(dg.Config):
    """Narrow a run to conversations updated in [updated_since, updated_before) (UNIX seconds).

    Sensor runs set this so they cost search calls only for what changed; leave both empty
    for a full refresh of the partitions, which also detects deletions.
    """

    updated_since: int | None = Field(default=None, description="inclusive, UNIX seconds")
    updated_before: int | None = Field(default=None, description="exclusive, UNIX seconds")


class MessagesConfig(dg.Config):
    """How many conversations one DuckDB transaction commits: a crash loses at most this many."""

    batch_conversations: int = Field(default=MESSAGES_BATCH_CONVERSATIONS, ge=1, le=10_000)


def _preview(database: str, context: dg.AssetExecutionContext, sql: str) -> dg.MetadataValue:
    """The first rows of what the run's days hold (`sql` takes the window's start and end)."""
    window = context.partition_time_window
    with reader(database, context.log) as conn:
        return dg.MetadataValue.md(preview_markdown(conn, sql, [window.start, window.end]))


def build_sync_assets(spec: MirrorSpec) -> list[dg.AssetsDefinition]:
    """`{prefix}/conversations` and `{prefix}/messages` for one workspace."""

    @dg.asset(
        key=spec.conversations_key,
        partitions_def=spec.partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=spec.group_name,
        owners=spec.owners,
        required_resource_keys=spec.resource_keys,
        kinds={"duckdb", "python"},
        freshness_policy=FRESHNESS,
        description="Intercom conversations by created_at day, upserted from search (no parts).",
    )
    def conversations(
        context: dg.AssetExecutionContext,
        config: ConversationsConfig,
    ) -> dg.MaterializeResult:
        intercom, duckdb = intercom_resource(context, spec), duckdb_resource(context, spec)
        started = time.monotonic()
        database = prepared_database(duckdb, context.log)
        time_window = context.partition_time_window
        window = SyncWindow(
            time_window.start, time_window.end, config.updated_since, config.updated_before
        )
        with intercom_client(intercom, context.log) as client:
            result = sync_conversations(client, database, window, context.log)
            metadata = api_metadata(client, started)
        for rejected in result.rejected:
            context.log.warning("Unusable conversation %s: %s", rejected.id, rejected.reason)
        preview = _preview(
            database,
            context,
            "SELECT id, created_at, updated_at, state, priority, parts_reported"
            " FROM intercom.conversations WHERE created_at >= ? AND created_at < ?"
            " ORDER BY updated_at DESC",
        )
        return dg.MaterializeResult(
            metadata={
                **metadata,
                "conversations_seen": result.seen,
                "conversations_new": result.new,
                "conversations_changed": result.changed,
                "conversations_unchanged": result.unchanged,
                "conversations_deleted": result.deleted,
                "unusable_records": len(result.rejected),
                "full_refresh": window.is_full,
                "newest_updated_at": result.newest_updated_at,
                "dagster/row_count": result.seen,
                "preview": preview,
            }
        )

    @dg.asset(
        key=spec.messages_key,
        deps=[conversations],
        partitions_def=spec.partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        group_name=spec.group_name,
        owners=spec.owners,
        required_resource_keys=spec.resource_keys,
        kinds={"duckdb", "python"},
        freshness_policy=FRESHNESS,
        description=(
            "Every message of every conversation: the opening message (part_type 'source') plus all"
            " parts, upserted by (conversation_id, id); only conversations whose updated_at moved"
            " are re-fetched, and parts beyond Intercom's newest-500 window are never deleted."
        ),
    )
    def messages(
        context: dg.AssetExecutionContext,
        config: MessagesConfig,
    ) -> dg.MaterializeResult:
        intercom, duckdb = intercom_resource(context, spec), duckdb_resource(context, spec)
        started = time.monotonic()
        database = prepared_database(duckdb, context.log)
        time_window = context.partition_time_window
        with intercom_client(intercom, context.log) as client:
            result = sync_messages(
                client,
                database,
                time_window.start,
                time_window.end,
                context.log,
                batch_conversations=config.batch_conversations,
            )
            metadata = api_metadata(client, started)
        preview = _preview(
            database,
            context,
            "SELECT m.conversation_id, m.id, m.part_type, m.author_type, m.created_at, m.body"
            " FROM intercom.messages m JOIN intercom.conversations c"
            " ON c.id = m.conversation_id WHERE c.created_at >= ? AND c.created_at < ?"
            " ORDER BY m.synced_at DESC, m.created_at DESC",
        )
        return dg.MaterializeResult(
            metadata={
                **metadata,
                "conversations_stale": result.stale,
                "conversations_synced": result.conversations_synced,
                "messages_written": result.messages_written,
                "conversations_not_found": result.not_found,
                "unusable_records": len(result.rejected) + len(result.unusable),
                "unusable_conversation_ids": ", ".join(result.unusable[:50]),
                "preview": preview,
            }
        )

    return [conversations, messages]
