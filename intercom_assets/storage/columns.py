"""The one column list of every mirror table: DuckDB type, polars dtype, description.

It drives the DDL and migrations (`schema.py`), the polars schemas of the transforms
(`sync/transforms.py`) and the column metadata shown in the Dagster UI, so a column is added in
exactly one place. Columns with no polars dtype are written by the storage layer itself
(the messages markers), not by the transforms.
"""

from dataclasses import dataclass

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Column:
    name: str
    duckdb: str
    polars: pl.DataType | None
    description: str
    not_null: bool = False
    # How DuckDB stores it (`USING COMPRESSION`); None: DuckDB picks per segment.
    compression: str | None = None


# Long text of every message and conversation: ~1.3 KB of a stored message's ~1.9 KB, which
# DuckDB's automatic choice keeps uncompressed (FSST loses on long strings). ZSTD needs a file
# of storage version v1.2.0 or later (`connection.STORAGE_VERSION`); older files ignore it.
TEXT = "zstd"


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    description: str

    def frame_schema(self) -> dict[str, pl.DataType]:
        """The polars schema of the frames the transforms build for this table."""
        return {c.name: c.polars for c in self.columns if c.polars is not None}

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


CONVERSATIONS = Table(
    "conversations",
    ("id",),
    (
        Column("id", "VARCHAR", pl.String(), "Intercom conversation id", not_null=True),
        Column(
            "created_at", "TIMESTAMPTZ", UTC_TS, "Creation time; its UTC day is the partition", True
        ),
        Column("updated_at", "TIMESTAMPTZ", UTC_TS, "Last update Intercom reports", not_null=True),
        Column("state", "VARCHAR", pl.String(), "open, closed or snoozed"),
        Column("open", "BOOLEAN", pl.Boolean(), "Whether the conversation is open"),
        Column("read", "BOOLEAN", pl.Boolean(), "Whether the last message was read"),
        Column("priority", "VARCHAR", pl.String(), "Priority as the API version renders it"),
        Column("title", "VARCHAR", pl.String(), "Conversation title"),
        Column("admin_assignee_id", "VARCHAR", pl.String(), "Assigned admin; NULL if none"),
        Column("team_assignee_id", "VARCHAR", pl.String(), "Assigned team; NULL if none"),
        Column("contact_ids", "VARCHAR[]", pl.List(pl.String()), "Contacts in the conversation"),
        Column("teammate_ids", "VARCHAR[]", pl.List(pl.String()), "Teammates involved"),
        Column("tags", "VARCHAR[]", pl.List(pl.String()), "Tag names"),
        Column("source_type", "VARCHAR", pl.String(), "Channel of the opening message"),
        Column("source_author_type", "VARCHAR", pl.String(), "Who wrote the opening message"),
        Column("source_author_id", "VARCHAR", pl.String(), "Id of that author"),
        Column("waiting_since", "TIMESTAMPTZ", UTC_TS, "Since when the contact waits"),
        Column("snoozed_until", "TIMESTAMPTZ", UTC_TS, "End of the snooze"),
        Column("parts_reported", "INTEGER", pl.Int32(), "Parts Intercom reports (source excluded)"),
        Column(
            "raw",
            "JSON",
            pl.String(),
            "The whole conversation object, parts excluded",
            compression=TEXT,
        ),
        Column(
            "payload_digest",
            "VARCHAR",
            pl.String(),
            "Hash of the canonical JSON of `raw`: catches changes that keep updated_at",
        ),
        Column("synced_at", "TIMESTAMPTZ", UTC_TS, "When this row was last written", True),
        Column(
            "messages_synced_updated_at",
            "TIMESTAMPTZ",
            None,
            "updated_at at which the messages were read; stale when it differs from updated_at",
        ),
        Column("messages_synced_at", "TIMESTAMPTZ", None, "When the messages were last read"),
    ),
    "One row per Intercom conversation, as search returns it",
)

MESSAGES = Table(
    "messages",
    ("conversation_id", "id"),
    (
        Column("conversation_id", "VARCHAR", pl.String(), "Conversation id", not_null=True),
        Column("id", "VARCHAR", pl.String(), "Part id (the source's id for the opening)", True),
        Column("part_type", "VARCHAR", pl.String(), "'source' for the opening message", True),
        Column("body", "VARCHAR", pl.String(), "HTML body", compression=TEXT),
        Column("author_type", "VARCHAR", pl.String(), "admin, user, lead, bot ..."),
        Column("author_id", "VARCHAR", pl.String(), "Author id"),
        Column("author_name", "VARCHAR", pl.String(), "Author name"),
        Column("author_email", "VARCHAR", pl.String(), "Author email"),
        Column("created_at", "TIMESTAMPTZ", UTC_TS, "When the part was created"),
        Column("updated_at", "TIMESTAMPTZ", UTC_TS, "Last change (a redaction moves it)"),
        Column("redacted", "BOOLEAN", pl.Boolean(), "Whether the part was redacted"),
        Column("raw", "JSON", pl.String(), "The whole part object", compression=TEXT),
        Column("synced_at", "TIMESTAMPTZ", UTC_TS, "When this row was last written", True),
    ),
    "The opening message and every part of each conversation",
)

DELETED_CONVERSATIONS = Table(
    "deleted_conversations",
    ("id",),
    (
        Column("id", "VARCHAR", pl.String(), "Conversation id", not_null=True),
        Column("deleted_at", "TIMESTAMPTZ", UTC_TS, "When the deletion was seen", True),
        Column("detected_via", "VARCHAR", pl.String(), "404, reconcile or deleted_list", True),
    ),
    "Conversations removed from the mirror because Intercom deleted them",
)

TABLES = (CONVERSATIONS, MESSAGES, DELETED_CONVERSATIONS)


def column_schema(table: Table) -> list[tuple[str, str, str]]:
    """(name, DuckDB type, description) per column: what `dagster/column_schema` shows."""
    return [(c.name, c.duckdb, c.description) for c in table.columns]
