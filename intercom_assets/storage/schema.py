"""DuckDB schema of the mirror, created and migrated idempotently at run start.

Every statement is safe to run on any earlier version of the database: upgrading never
requires deleting the file. Ids are unique by construction of the writes (see `writes.py`)
rather than by key constraints, whose index DuckDB rewrites at every checkpoint.
"""

import duckdb

from intercom_assets.analytics.schema import ensure_analytics_schema

SCHEMA = "intercom"

_TABLES = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"""
    CREATE TABLE IF NOT EXISTS {SCHEMA}.conversations (
        id VARCHAR NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        state VARCHAR,
        open BOOLEAN,
        read BOOLEAN,
        priority VARCHAR,
        title VARCHAR,
        admin_assignee_id VARCHAR,
        team_assignee_id VARCHAR,
        contact_ids VARCHAR[],
        teammate_ids VARCHAR[],
        tags VARCHAR[],
        source_type VARCHAR,
        source_author_type VARCHAR,
        source_author_id VARCHAR,
        waiting_since TIMESTAMPTZ,
        snoozed_until TIMESTAMPTZ,
        parts_reported INTEGER,
        raw JSON,
        synced_at TIMESTAMPTZ NOT NULL,
        messages_synced_updated_at TIMESTAMPTZ,
        messages_synced_at TIMESTAMPTZ
    )
    """,
    f"""
    CREATE TABLE IF NOT EXISTS {SCHEMA}.messages (
        conversation_id VARCHAR NOT NULL,
        id VARCHAR NOT NULL,
        part_type VARCHAR NOT NULL,
        body VARCHAR,
        author_type VARCHAR,
        author_id VARCHAR,
        author_name VARCHAR,
        author_email VARCHAR,
        created_at TIMESTAMPTZ,
        updated_at TIMESTAMPTZ,
        redacted BOOLEAN,
        raw JSON,
        synced_at TIMESTAMPTZ NOT NULL
    )
    """,
    f"""
    CREATE TABLE IF NOT EXISTS {SCHEMA}.deleted_conversations (
        id VARCHAR NOT NULL,
        deleted_at TIMESTAMPTZ NOT NULL,
        detected_via VARCHAR NOT NULL
    )
    """,
)


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create or migrate the schema; a no-op on an up-to-date database."""
    for statement in _TABLES:
        conn.execute(statement)
    ensure_analytics_schema(conn)
