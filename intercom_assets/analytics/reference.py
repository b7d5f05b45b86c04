"""Reference data (admins, teams, tags): Intercom JSON to rows, each table replaced whole.

Each list comes from one call, so a refresh is a snapshot: rows of admins, teams or tags
deleted in Intercom disappear. Ids are text everywhere (Intercom sends team ids as numbers
in some places, strings in others) so joins with the mirror never need casts.
"""

from typing import Any

import duckdb
import polars as pl

from intercom_assets.analytics.schema import ADMINS, TAGS, TEAMS
from intercom_assets.client import codec
from intercom_assets.storage.arrow import register

_TABLES = {"admins": ADMINS, "teams": TEAMS, "tags": TAGS}


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict | list) else str(value)


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(item) for item in value if item is not None and not isinstance(item, dict | list)]


def _row(table: str, item: dict[str, Any]) -> dict[str, Any]:
    common = {"id": _text(item.get("id")), "name": _text(item.get("name"))}
    if table == "admins":
        away = item.get("away_mode_enabled")
        return common | {
            "email": _text(item.get("email")),
            "job_title": _text(item.get("job_title")),
            "away_mode_enabled": away if isinstance(away, bool) else None,
            "team_ids": _texts(item.get("team_ids")),
        }
    if table == "teams":
        return common | {"admin_ids": _texts(item.get("admin_ids"))}
    return common


def reference_frame(table: str, items: list[dict[str, Any]]) -> pl.DataFrame:
    """One row per object with an id (the last one wins on duplicates), `raw` kept whole."""
    rows = [_row(table, item) | {"raw": codec.dumps(item)} for item in items]
    schema = _TABLES[table].frame_schema()
    frame = pl.DataFrame([r for r in rows if r["id"] is not None], schema=schema)
    return frame.unique("id", keep="last", maintain_order=True)


def replace_reference(conn: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Replace the table's rows with `frame` (inside the caller's transaction)."""
    register(conn, "incoming_reference", frame)
    try:
        conn.execute(f"DELETE FROM intercom.{table}")
        conn.execute(
            f"INSERT INTO intercom.{table} ({', '.join(_TABLES[table].column_names())})"
            " SELECT * FROM incoming_reference"
        )
    finally:
        conn.unregister("incoming_reference")
    return frame.height
