"""The mirror's tables as the DDL defines them, read back for the Dagster catalog.

`dagster/column_schema` is generated from the same statements that create the tables (applied
to an in-memory database, never the mirror's file), so the UI can only show columns that exist.
"""

import functools
from dataclasses import dataclass

import duckdb

from intercom_assets.storage.schema import SCHEMA, ensure_schema


@dataclass(frozen=True)
class StoredColumn:
    name: str
    type: str
    nullable: bool


@functools.cache
def stored_columns() -> dict[str, tuple[StoredColumn, ...]]:
    """Every `intercom.<table>`'s columns in order, by table name."""
    with duckdb.connect(":memory:") as conn:
        ensure_schema(conn)
        rows = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable = 'YES'"
            " FROM information_schema.columns WHERE table_schema = ?"
            " ORDER BY table_name, ordinal_position",
            [SCHEMA],
        ).fetchall()
    tables: dict[str, list[StoredColumn]] = {}
    for table, name, kind, nullable in rows:
        tables.setdefault(table, []).append(StoredColumn(name, kind, nullable))
    return {table: tuple(columns) for table, columns in tables.items()}
