"""Polars frames into and out of DuckDB over the Arrow C stream interface, without pyarrow.

Handed any other Python object (a polars frame, even a wrapper offering `__arrow_c_stream__`),
DuckDB imports pyarrow to find out what it is: ~27 MiB of libarrow pages resident in every
sync process, for nothing else needs pyarrow. A bare PyCapsule it scans natively, and polars
reads a relation's stream the same way. A capsule is one stream, readable once (a second scan
raises), so every statement that reads a frame registers a fresh one.
"""

from typing import Any

import duckdb
import polars as pl


def stream(frame: pl.DataFrame) -> object:
    """`frame` as one Arrow C stream for DuckDB to scan once (no copy is made)."""
    return frame.__arrow_c_stream__()


def register(conn: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """View `name` over `frame` for the next statement that reads it (one scan)."""
    conn.register(name, stream(frame))


def fetch_frame(
    conn: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None
) -> pl.DataFrame:
    """A query's result as a polars frame (what `.pl()` returns, without pyarrow)."""
    return pl.DataFrame(conn.sql(query, params=params))
