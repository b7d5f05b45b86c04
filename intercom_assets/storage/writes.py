"""Set-based, idempotent writes of transformed frames into the mirror.

Each function runs inside a caller's transaction (see `connection.transaction`), so a
conversation's messages and its "messages synced" marker always commit together. Keys are
kept unique by these writes (update-then-insert-missing, frames deduplicated by key) and
verified by the integrity checks, not by index constraints: DuckDB re-serialises a key index
at every checkpoint, which made each batch's commit grow with the table.
"""

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import polars as pl

from intercom_assets.sync.transforms import CONVERSATION_SCHEMA, MESSAGE_SCHEMA

_CONVERSATION_COLUMNS = list(CONVERSATION_SCHEMA)
_MESSAGE_COLUMNS = list(MESSAGE_SCHEMA)
_UPDATE_CONVERSATION = ", ".join(f"{c} = i.{c}" for c in _CONVERSATION_COLUMNS if c != "id")


@dataclass(frozen=True)
class ConversationChanges:
    new: int
    changed: int
    unchanged: int
    # created day (YYYY-MM-DD) -> (new, changed): each partition's own figures.
    by_day: dict[str, tuple[int, int]] = field(default_factory=dict)


def _upsert_conversation_rows(
    conn: duckdb.DuckDBPyConnection, view: str, *, changed: bool = True, new: bool = True
) -> None:
    """Rewrite stored rows of `view` whose updated_at moved, insert the new ones.

    Unchanged rows are not rewritten and the messages marker columns are never touched here.
    A caller that knows there is nothing to update or insert skips that statement's join.
    """
    if changed:
        conn.execute(
            f"UPDATE intercom.conversations c SET {_UPDATE_CONVERSATION}"
            f" FROM {view} i WHERE c.id = i.id AND c.updated_at <> i.updated_at"
        )
    if new:
        conn.execute(
            f"INSERT INTO intercom.conversations ({', '.join(_CONVERSATION_COLUMNS)})"
            f" SELECT i.* FROM {view} i ANTI JOIN intercom.conversations c ON c.id = i.id"
        )


def upsert_conversations(
    conn: duckdb.DuckDBPyConnection, frame: pl.DataFrame
) -> ConversationChanges:
    """Insert new and update changed conversations; unchanged rows are not rewritten.

    A conversation whose `updated_at` moved keeps its old marker, so it becomes stale for the
    messages step until its parts are re-fetched.
    """
    conn.register("incoming_conversations", frame)
    try:
        rows = conn.execute(
            """
            SELECT strftime(i.created_at, '%Y-%m-%d') AS day,
                   count(*) FILTER (WHERE c.id IS NULL),
                   count(*) FILTER (WHERE c.id IS NOT NULL AND c.updated_at <> i.updated_at),
                   count(*) FILTER (WHERE c.updated_at = i.updated_at)
            FROM incoming_conversations i LEFT JOIN intercom.conversations c USING (id)
            GROUP BY day
            """
        ).fetchall()
        new, changed, unchanged = (sum(row[k] for row in rows) for k in (1, 2, 3))
        _upsert_conversation_rows(conn, "incoming_conversations", changed=changed > 0, new=new > 0)
    finally:
        conn.unregister("incoming_conversations")
    by_day = {day: (n, c) for day, n, c, _ in rows if n or c}
    return ConversationChanges(new, changed, unchanged, by_day)


def _any_marked(conn: duckdb.DuckDBPyConnection, view: str) -> bool:
    """Whether any conversation of `view` has had its messages stored before."""
    return conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM intercom.conversations c SEMI JOIN {view} v USING (id)"
        " WHERE c.messages_synced_at IS NOT NULL)"
    ).fetchone()[0]


def write_messages(
    conn: duckdb.DuckDBPyConnection,
    conversations: pl.DataFrame,
    markers: pl.DataFrame,
    messages: pl.DataFrame,
    synced_at: datetime,
) -> None:
    """Upsert retrieved conversations and their messages, then mark them synced.

    `markers` holds (id, updated_at) of every conversation whose messages are in `messages`,
    including those whose row is unchanged and so not in `conversations`. Messages are never
    deleted here: the API shows only the newest 500 parts, so parts stored earlier stay. The
    marker records the `updated_at` the messages were read at.

    Stored messages belong only to conversations whose marker is set (both commit together),
    so when no conversation of the batch has one, the delete's scan of the whole messages
    table is skipped: a first sync never pays it.
    """
    conn.register("retrieved_conversations", conversations)
    conn.register("retrieved_markers", markers)
    conn.register("retrieved_messages", messages)
    try:
        if _any_marked(conn, "retrieved_markers"):
            conn.execute(
                "DELETE FROM intercom.messages m USING retrieved_messages i"
                " WHERE m.conversation_id = i.conversation_id AND m.id = i.id"
            )
        if conversations.height:
            _upsert_conversation_rows(conn, "retrieved_conversations")
        conn.execute(
            f"INSERT INTO intercom.messages ({', '.join(_MESSAGE_COLUMNS)})"
            " SELECT * FROM retrieved_messages"
        )
        conn.execute(
            """
            UPDATE intercom.conversations c
            SET messages_synced_updated_at = r.updated_at, messages_synced_at = ?
            FROM retrieved_markers r WHERE c.id = r.id
            """,
            [synced_at],
        )
    finally:
        conn.unregister("retrieved_conversations")
        conn.unregister("retrieved_markers")
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
            "DELETE FROM intercom.deleted_conversations WHERE id IN (SELECT id FROM doomed)"
        )
        conn.execute(
            "INSERT INTO intercom.deleted_conversations SELECT id, ?, ? FROM doomed",
            [deleted_at, detected_via],
        )
    finally:
        conn.unregister("doomed")
    return doomed.height
