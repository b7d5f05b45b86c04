"""DuckDB storage of the mirror: schema, short write transactions, set-based writes."""

from intercom_assets.storage.connection import (
    WriteSession,
    connect,
    prepare_database,
    reader,
    retrying,
    transaction,
)
from intercom_assets.storage.figures import StoredDay, created_days, days_of, stored_by_day
from intercom_assets.storage.reads import (
    EXAMPLE_QUERY,
    PART_LIMIT,
    current_conversation_ids,
    latest_conversations_preview,
    part_shortfalls,
    preview_markdown,
    run_query,
    stale_conversation_ids,
    stored_conversation_ids,
    stored_ids_among,
    stored_versions,
    table_counts,
    version_states,
)
from intercom_assets.storage.schema import SCHEMA, ensure_schema
from intercom_assets.storage.seen import SeenIds
from intercom_assets.storage.writes import (
    ConversationChanges,
    remove_conversations,
    upsert_conversations,
    upsert_messages,
    write_messages,
)

__all__ = [
    "EXAMPLE_QUERY",
    "PART_LIMIT",
    "SCHEMA",
    "ConversationChanges",
    "SeenIds",
    "StoredDay",
    "WriteSession",
    "connect",
    "created_days",
    "current_conversation_ids",
    "days_of",
    "ensure_schema",
    "latest_conversations_preview",
    "part_shortfalls",
    "prepare_database",
    "preview_markdown",
    "reader",
    "remove_conversations",
    "retrying",
    "run_query",
    "stale_conversation_ids",
    "stored_by_day",
    "stored_conversation_ids",
    "stored_ids_among",
    "stored_versions",
    "table_counts",
    "transaction",
    "upsert_conversations",
    "upsert_messages",
    "version_states",
    "write_messages",
]
