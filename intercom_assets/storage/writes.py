"""Set-based, idempotent, monotonic writes of transformed frames into the mirror.

Each function runs inside a caller's transaction (see `connection.transaction`), so a
conversation's messages and its "messages synced" marker always commit together.

Monotonic in `updated_at`: a row is replaced only by a newer version (or, for conversations
from search, by a same-`updated_at` version whose payload digest differs: a change Intercom
made without moving `updated_at`); a part only by one at least as new; a marker is set only
to the `updated_at` its row has. An older payload (a lagging replica, a run that waited for
the lock behind a newer one) therefore changes nothing and leaves the conversation stale.

Unique keys: unkeyed tables (one writer process per file) stay unique by construction
(update-then-insert-missing of frames deduplicated by key); keyed tables (`md:`, where
writers can be concurrent) upsert with `ON CONFLICT`, and a conflicting concurrent commit
fails and is retried by the caller (`connection.retrying`).
"""

from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import polars as pl

from intercom_assets.storage.arrow import fetch_frame, register, stream
from intercom_assets.storage.columns import CONVERSATIONS, MESSAGES
from intercom_assets.storage.schema import is_keyed

_CONVERSATION_COLUMNS = list(CONVERSATIONS.frame_schema())
_MESSAGE_COLUMNS = list(MESSAGES.frame_schema())
_EPOCH = "TIMESTAMPTZ '1970-01-01 00:00:00+00'"
# Bytes of a frame one INSERT appends: DuckDB allocates about twice an INSERT's strings at
# once (a 1,380-part batch of 10x bodies, 9 MiB, failed to allocate 16 MiB under a 24 MB cap;
# in 300-part slices it fits 16 MB), so the write session's cap need not cover a whole batch.
# The emulator's mix (~2 MiB per batch of 250 conversations) stays one statement per batch.
INSERT_BYTES = 4 * 1024**2


@dataclass(frozen=True)
class ConversationChanges:
    new: int
    changed: int
    unchanged: int
    # created day (YYYY-MM-DD) -> (new, changed): each partition's own figures.
    by_day: dict[str, tuple[int, int]] = field(default_factory=dict)


def _replaces(new: str, old: str, *, digest: bool) -> str:
    """SQL: the incoming row `new` must replace the stored row `old`."""
    newer = f"{new}.updated_at > {old}.updated_at"
    if not digest:
        return newer
    return (
        f"({newer} OR ({new}.updated_at = {old}.updated_at"
        f" AND {new}.payload_digest IS DISTINCT FROM {old}.payload_digest))"
    )


def _assignments(columns: list[str], key: tuple[str, ...], source: str) -> str:
    return ", ".join(f"{c} = {source}.{c}" for c in columns if c not in key)


def _upsert_conversation_rows(
    conn: duckdb.DuckDBPyConnection,
    frame: pl.DataFrame,
    *,
    digest: bool,
    new: bool = True,
    stored: bool = True,
    replaced: bool = True,
) -> None:
    """Replace stored rows of `view` that it supersedes, insert the new ones.

    The messages marker columns are never touched here. A caller that counted the rows first
    says what is there to do: without `replaced` rows the UPDATE is skipped, without `new`
    ones the INSERT, and when none of `view` is `stored` the INSERT needs no anti join. Each
    skipped statement is a join against the whole conversations table, per batch.
    """
    columns, view = ", ".join(_CONVERSATION_COLUMNS), "incoming_conversations"
    register(conn, view, frame)
    if is_keyed(conn, "conversations"):
        conn.execute(
            f"INSERT INTO intercom.conversations AS c ({columns}) SELECT {columns} FROM {view}"
            f" ON CONFLICT (id) DO UPDATE"
            f" SET {_assignments(_CONVERSATION_COLUMNS, ('id',), 'excluded')}"
            f" WHERE {_replaces('excluded', 'c', digest=digest)}"
        )
        return
    if replaced:
        conn.execute(
            f"UPDATE intercom.conversations c"
            f" SET {_assignments(_CONVERSATION_COLUMNS, ('id',), 'i')}"
            f" FROM {view} i WHERE c.id = i.id AND {_replaces('i', 'c', digest=digest)}"
        )
        register(conn, view, frame)
    if new and not stored:
        conn.execute(f"INSERT INTO intercom.conversations ({columns}) SELECT {columns} FROM {view}")
    elif new:
        conn.execute(
            f"INSERT INTO intercom.conversations ({columns})"
            f" SELECT {columns} FROM {view} i ANTI JOIN intercom.conversations c ON c.id = i.id"
        )


def _restore(conn: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    """Conversations of `frame` not stored yet may have been deleted earlier (a transient 404,
    an undelete): they are back, so their deletion record goes."""
    view = "incoming_conversations"
    register(conn, view, frame)
    conn.execute(
        f"DELETE FROM intercom.deleted_conversations d USING {view} i WHERE d.id = i.id"
        " AND NOT EXISTS (SELECT 1 FROM intercom.conversations c WHERE c.id = i.id)"
    )


def upsert_conversations(
    conn: duckdb.DuckDBPyConnection, frame: pl.DataFrame, *, digest: bool = True
) -> ConversationChanges:
    """Insert new conversations and apply newer versions; never regress a stored row.

    With `digest`, a version with the stored `updated_at` but another payload digest also
    replaces the row (a full refresh repairs silent changes). A replaced row keeps its old
    marker, so it becomes stale for the messages step when its `updated_at` moved.
    """
    replaces = _replaces("i", "c", digest=digest)
    register(conn, "incoming_conversations", frame)
    try:
        rows = conn.execute(
            f"""
            SELECT strftime(i.created_at, '%Y-%m-%d') AS day,
                   count(*) FILTER (WHERE c.id IS NULL),
                   count(*) FILTER (WHERE c.id IS NOT NULL AND {replaces}),
                   count(*) FILTER (WHERE c.id IS NOT NULL AND NOT {replaces})
            FROM incoming_conversations i LEFT JOIN intercom.conversations c USING (id)
            GROUP BY day
            """
        ).fetchall()
        new, changed, unchanged = (sum(row[k] for row in rows) for k in (1, 2, 3))
        if new:
            _restore(conn, frame)
        if new or changed:
            _upsert_conversation_rows(
                conn,
                frame,
                digest=digest,
                new=new > 0,
                stored=changed + unchanged > 0,
                replaced=changed > 0,
            )
    finally:
        conn.unregister("incoming_conversations")
    by_day = {day: (n, c) for day, n, c, _ in rows if n or c}
    return ConversationChanges(new, changed, unchanged, by_day)


def _any_marked(conn: duckdb.DuckDBPyConnection, view: str, frame: pl.DataFrame) -> bool:
    """Whether any conversation of `frame` has had its messages stored before."""
    register(conn, view, frame)
    return conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM intercom.conversations c SEMI JOIN {view} v"
        " ON c.id = v.conversation_id WHERE c.messages_synced_at IS NOT NULL)"
    ).fetchone()[0]


def upsert_messages(
    conn: duckdb.DuckDBPyConnection, frame: pl.DataFrame, *, marked: bool | None = None
) -> None:
    """Insert new parts and replace stored ones by versions at least as new (redactions move a
    part's `updated_at`); an older copy of a part never overwrites the stored one.

    `marked`: whether any of the frame's conversations has its marker set, when the caller
    already asked (None: asked here). Stored messages belong only to conversations whose
    marker is set (both commit together), so a first sync skips the whole messages table.
    """
    columns = ", ".join(_MESSAGE_COLUMNS)
    if marked is False and not is_keyed(conn, "messages"):
        _insert_messages(conn, frame)
        return
    at_least_as_new = f"coalesce(i.updated_at, {_EPOCH}) >= coalesce(m.updated_at, {_EPOCH})"
    key = ("conversation_id", "id")
    view = "incoming_messages"
    try:
        if is_keyed(conn, "messages"):
            register(conn, view, frame)
            conn.execute(
                f"INSERT INTO intercom.messages AS m ({columns})"
                f" SELECT {columns} FROM incoming_messages"
                f" ON CONFLICT (conversation_id, id) DO UPDATE"
                f" SET {_assignments(_MESSAGE_COLUMNS, key, 'excluded')}"
                f" WHERE {at_least_as_new.replace('i.', 'excluded.')}"
            )
            return
        if marked or (marked is None and _any_marked(conn, view, frame)):
            register(conn, view, frame)
            conn.execute(
                "DELETE FROM intercom.messages m USING incoming_messages i"
                f" WHERE m.conversation_id = i.conversation_id AND m.id = i.id"
                f" AND {at_least_as_new}"
            )
            register(conn, view, frame)
            kept = _stored_keys(conn, view)
            if kept.height:
                frame = frame.join(kept, on=list(key), how="anti")
        _insert_messages(conn, frame)
    finally:
        conn.unregister(view)


def _insert_messages(conn: duckdb.DuckDBPyConnection, frame: pl.DataFrame) -> None:
    """Append `frame` to the unkeyed messages table, `INSERT_BYTES` per statement."""
    columns = ", ".join(_MESSAGE_COLUMNS)
    rows = max(1, INSERT_BYTES * frame.height // max(1, frame.estimated_size()))
    for part in frame.iter_slices(rows):
        # Read by name (a replacement scan) in one call: every call into DuckDB lets the
        # fetching thread take the GIL, and the writer waits up to 5 ms to get it back. Not
        # `incoming_messages`: a view registered under that name would be read instead.
        appended_messages = stream(part)  # noqa: F841
        conn.execute(
            f"INSERT INTO intercom.messages ({columns}) SELECT {columns} FROM appended_messages"
        )


def _stored_keys(conn: duckdb.DuckDBPyConnection, view: str) -> pl.DataFrame:
    """Keys of `view`'s messages still stored: after the DELETE, those stored newer.

    Joined on the key columns only: an anti join of the batch against the table would hash
    the batch with all its columns (bodies), and fail under the connection's memory cap when
    bodies are large.
    """
    return fetch_frame(
        conn,
        f"SELECT m.conversation_id, m.id FROM intercom.messages m"
        f" SEMI JOIN (SELECT conversation_id, id FROM {view}) i"
        " ON m.conversation_id = i.conversation_id AND m.id = i.id",
    )


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
    deleted here: the API shows only the newest 500 parts, so parts stored earlier stay. A
    marker records the `updated_at` the messages were read at, and is set only when the
    stored row has exactly that `updated_at`: messages read from an older version than the
    row (a lagging replica, a concurrent newer write) leave the conversation stale.
    """
    if conversations.height:
        upsert_conversations(conn, conversations, digest=False)
    # Read by name (replacement scans): one call into DuckDB per statement, see upsert_messages.
    retrieved_markers = stream(markers)
    rows = conn.execute(
        "SELECT r.id, c.messages_synced_at IS NOT NULL FROM retrieved_markers r"
        " JOIN intercom.conversations c ON c.id = r.id AND c.updated_at = r.updated_at"
    ).fetchall()
    accepted = messages
    if len(rows) < markers.height:
        accepted = messages.filter(pl.col("conversation_id").is_in([cid for cid, _ in rows]))
    if accepted.height:
        upsert_messages(conn, accepted, marked=any(marked for _, marked in rows))
    retrieved_markers = stream(markers)  # noqa: F841
    conn.execute(
        """
        UPDATE intercom.conversations c
        SET messages_synced_updated_at = r.updated_at, messages_synced_at = ?
        FROM retrieved_markers r WHERE c.id = r.id AND c.updated_at = r.updated_at
        """,
        [synced_at],
    )


def remove_conversations(
    conn: duckdb.DuckDBPyConnection, ids: list[str], deleted_at: datetime, detected_via: str
) -> int:
    """Delete conversations and their messages and record why; idempotent."""
    if not ids:
        return 0
    doomed = pl.DataFrame({"id": ids}, schema={"id": pl.String()}).unique()
    try:
        register(conn, "doomed", doomed)
        conn.execute(
            "DELETE FROM intercom.messages WHERE conversation_id IN (SELECT id FROM doomed)"
        )
        register(conn, "doomed", doomed)
        conn.execute("DELETE FROM intercom.conversations WHERE id IN (SELECT id FROM doomed)")
        register(conn, "doomed", doomed)
        conn.execute(
            "DELETE FROM intercom.deleted_conversations WHERE id IN (SELECT id FROM doomed)"
        )
        register(conn, "doomed", doomed)
        conn.execute(
            "INSERT INTO intercom.deleted_conversations (id, deleted_at, detected_via)"
            " SELECT id, ?, ? FROM doomed",
            [deleted_at, detected_via],
        )
    finally:
        conn.unregister("doomed")
    return doomed.height
