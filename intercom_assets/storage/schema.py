"""DuckDB schema of the mirror, created and migrated idempotently at run start.

Tables and columns come from `columns.py` (the analytics tables from `analytics/schema.py`,
built on the same `Table`). Every statement is safe to run on any earlier version of the
database (tables are created if missing, columns added if missing), so upgrading never
requires deleting the file.

Keys: a single DuckDB file admits one writer process, so the writes keep ids unique by
construction and no key index is paid for (DuckDB rewrites it at every checkpoint:
`benchmarks/keys.py` measures the cost). Databases that admit concurrent writers (MotherDuck
`md:` paths) get primary keys, and the writes then upsert with `ON CONFLICT` so two writers
can never store a conversation twice.
"""

import logging

import duckdb

from intercom_assets.storage.columns import TABLES, Table

SCHEMA = "intercom"
_LOG = logging.getLogger(__name__)


def wants_keys(database: str) -> bool:
    """Primary keys where writers can be concurrent: MotherDuck databases."""
    return database.startswith("md:")


def create_table_sql(table: Table, keyed: bool) -> str:
    columns = [
        f"{c.name} {c.duckdb}{' NOT NULL' if c.not_null else ''}"
        + (f" USING COMPRESSION {c.compression}" if c.compression else "")
        for c in table.columns
    ]
    if keyed:
        columns.append(f"PRIMARY KEY ({', '.join(table.key)})")
    return f"CREATE TABLE IF NOT EXISTS {SCHEMA}.{table.name} ({', '.join(columns)})"


def is_keyed(conn: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether `intercom.<table>` of the current catalog has its primary key."""
    return bool(
        conn.execute(
            "SELECT count(*) FROM duckdb_constraints() WHERE database_name = current_database()"
            " AND schema_name = ? AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
            [SCHEMA, table],
        ).fetchone()[0]
    )


def _add_key(conn: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Key a table created unkeyed (by an earlier release); kept unkeyed if that fails."""
    try:
        conn.execute(f"ALTER TABLE {SCHEMA}.{table.name} ADD PRIMARY KEY ({', '.join(table.key)})")
    except duckdb.Error as error:
        _LOG.warning("Keeping %s.%s without a primary key: %s", SCHEMA, table.name, error)


def _existing_columns(conn: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = conn.execute(
        "SELECT table_name, column_name FROM duckdb_columns()"
        " WHERE database_name = current_database() AND schema_name = ?",
        [SCHEMA],
    ).fetchall()
    return {(table, column) for table, column in rows}


def ensure_schema(conn: duckdb.DuckDBPyConnection, keyed: bool = False) -> None:
    """Create or migrate the schema; a no-op on an up-to-date database.

    Columns an earlier release did not have are added (NULL in existing rows: a NULL
    `payload_digest` makes the next full refresh rewrite that row once, at no API cost).
    """
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for table in TABLES:
        conn.execute(create_table_sql(table, keyed))
    existing = _existing_columns(conn)
    for table in TABLES:
        for column in table.columns:
            if (table.name, column.name) not in existing:
                conn.execute(
                    f"ALTER TABLE {SCHEMA}.{table.name} ADD COLUMN {column.name} {column.duckdb}"
                )
        if keyed and not is_keyed(conn, table.name):
            _add_key(conn, table)
    # The analytics tables are derived data: created when missing, never keyed or migrated.
    # Imported here because their column list builds on this package (`columns.py`).
    from intercom_assets.analytics.schema import TABLES as ANALYTICS_TABLES

    for table in ANALYTICS_TABLES.values():
        conn.execute(create_table_sql(table, keyed=False))
