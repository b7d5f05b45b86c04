"""Set-based, idempotent writes of transformed frames into the mirror.

Each function runs inside a caller's transaction (see `connection.transaction`), so a
conversation's messages and its "messages synced" marker always commit together.
"""

from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from intercom_assets.transforms import CONVERSATION_SCHEMA

_CONVERSATION_COLUMNS = list(CONVERSATION_SCHEMA)
_UPDATE_CONVERSATION = ", ".join(f"{c} = excluded.{c}" for c in _CONVERSATION_COLUMNS[1:])


@dataclass(frozen=True)
class ConversationChanges:
    new: int
    changed: int
    unchanged: int


def upsert_conversations(
    conn: duckdb.DuckDBPyConnection, frame: pl.DataFrame
) -> ConversationChanges:
    """Insert new and update changed conversations; unchanged rows are not rewritten.

    The messages marker columns are left alone, so a conversation whose `updated_at` moved
    becomes stale for the messages step until its parts are re-fetched.
    """
    conn.register("incoming_conversations", frame)
    try:
        new, changed, unchanged = conn.execute(
            """
            SELECT count(*) FILTER (WHERE c.id IS NULL),
                   count(*) FILTER (WHERE c.id IS NOT NULL AND c.updated_at <> i.updated_at),
                   count(*) FILTER (WHERE c.updated_at = i.updated_at)
            FROM incoming_conversations i LEFT JOIN intercom.conversations c USING (id)
            """
        ).fetchone()
        conn.execute(
            f"""
            INSERT INTO intercom.conversations ({", ".join(_CONVERSATION_COLUMNS)})
            SELECT i.* FROM incoming_conversations i
            LEFT JOIN intercom.conversations c USING (id)
            WHERE c.id IS NULL OR c.updated_at <> i.updated_at
            ON CONFLICT (id) DO UPDATE SET {_UPDATE_CONVERSATION}
            """
        )
    finally:
        conn.unregister("incoming_conversations")
    return ConversationChanges(new, changed, unchanged)


def write_messages(
    conn: duckdb.DuckDBPyConnection,
    conversations: pl.DataFrame,
    messages: pl.DataFrame,
    synced_at: datetime,
) -> None:
    """Upsert retrieved conversations and their messages, then mark them synced.

    Messages are never deleted here: the API shows only the newest 500 parts, so parts stored
    earlier stay. The marker records the `updated_at` the messages were read at.
    """
    conn.register("retrieved_conversations", conversations)
    conn.register("retrieved_messages", messages)
    try:
        conn.execute(
            f"""
            INSERT INTO intercom.conversations ({", ".join(_CONVERSATION_COLUMNS)})
            SELECT * FROM retrieved_conversations
            ON CONFLICT (id) DO UPDATE SET {_UPDATE_CONVERSATION}
            """
        )
        conn.execute(
            """
            INSERT INTO intercom.messages BY NAME SELECT * FROM retrieved_messages
            ON CONFLICT (conversation_id, id) DO UPDATE SET
                part_type = excluded.part_type, body = excluded.body,
                author_type = excluded.author_type, author_id = excluded.author_id,
                author_name = excluded.author_name, author_email = excluded.author_email,
                created_at = excluded.created_at, updated_at = excluded.updated_at,
                redacted = excluded.redacted, raw = excluded.raw, synced_at = excluded.synced_at
            """
        )
        conn.execute(
            """
            UPDATE intercom.conversations c
            SET messages_synced_updated_at = r.updated_at, messages_synced_at = ?
            FROM retrieved_conversations r WHERE c.id = r.id
            """,
            [synced_at],
        )
    finally:
        conn.unregister("retrieved_conversations")
        conn.unregister("retrieved_messages")


def remove_conversations(
    conn: duckdb.DuckDBPyConnection, ids: list[str], deleted_at: datetime, detected_via: str
) -> int:
    """Delete conversations and their messages and record why; idempotent."""
    if not ids:
        return 0
    doomed = pl.DataFrame({"id": ids}, schema={"id": pl.String()}).unique()
    conn.register("doomed", doomed)
    try:
        conn.execute(
            "DELETE FROM intercom.messages WHERE conversation_id IN (SELECT id FROM doomed)"
        )
        conn.execute("DELETE FROM intercom.conversations WHERE id IN (SELECT id FROM doomed)")
        conn.execute(
            """
            INSERT INTO intercom.deleted_conversations
            SELECT id, ?, ? FROM doomed
            ON CONFLICT (id) DO UPDATE SET deleted_at = excluded.deleted_at,
                detected_via = excluded.detected_via
            """,
            [deleted_at, detected_via],
        )
    finally:
        conn.unregister("doomed")
    return doomed.height
