"""DuckDB storage of the mirror: schema, short write transactions, set-based writes."""

from intercom_assets.storage.connection import (
    WriteSession,
    connect,
    prepare_database,
    reader,
    retrying,
    transaction,
)
from intercom_assets.storage.reads import (
    PART_LIMIT,
    part_shortfalls,
    preview_markdown,
    stale_conversation_ids,
    stored_conversation_ids,
    stored_versions,
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
    "PART_LIMIT",
    "SCHEMA",
    "ConversationChanges",
    "SeenIds",
    "WriteSession",
    "connect",
    "ensure_schema",
    "part_shortfalls",
    "prepare_database",
    "preview_markdown",
    "reader",
    "remove_conversations",
    "retrying",
    "stale_conversation_ids",
    "stored_conversation_ids",
    "stored_versions",
    "transaction",
    "upsert_conversations",
    "upsert_messages",
    "write_messages",
]
