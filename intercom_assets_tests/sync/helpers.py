"""Run the real assets against the emulator and read back what landed in DuckDB."""

import logging
from typing import Any

import dagster as dg

from intercom_assets.assets import conversations, messages
from intercom_assets.storage import reader

HISTORY = ("2026-11-18", "2026-11-20")  # the conftest emulator's three days


def sync(
    resources: dict[str, Any],
    start: str = HISTORY[0],
    end: str = HISTORY[1],
    *,
    run_config: dict | None = None,
    raise_on_error: bool = True,
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """One single-run backfill over [start, end] of both assets, as the UI would launch it."""
    return dg.materialize(
        [conversations, messages],
        resources=resources,
        tags={
            "dagster/asset_partition_range_start": start,
            "dagster/asset_partition_range_end": end,
        },
        run_config=run_config,
        raise_on_error=raise_on_error,
        instance=instance,
    )


def query(resources: dict[str, Any], sql: str) -> list[tuple]:
    with reader(resources["duckdb"].database, logging.getLogger("test")) as conn:
        return conn.execute(sql).fetchall()


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, Any]:
    """Metadata of the run's (last) materialization of `intercom/<asset>`."""
    materialization = result.asset_materializations_for_node(f"intercom__{asset}")[-1]
    return {key: value.value for key, value in materialization.metadata.items()}


def mirror_state(resources: dict[str, Any]) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, without sync bookkeeping (`synced_at` and friends)."""
    return {
        "conversations": query(
            resources,
            "SELECT * EXCLUDE (synced_at, messages_synced_at) FROM intercom.conversations"
            " ORDER BY id",
        ),
        "messages": query(
            resources,
            "SELECT * EXCLUDE (synced_at) FROM intercom.messages ORDER BY conversation_id, id",
        ),
        "deleted_conversations": query(
            resources, "SELECT id, detected_via FROM intercom.deleted_conversations ORDER BY id"
        ),
    }


def with_database(resources: dict[str, Any], path: str) -> dict[str, Any]:
    """The same resources writing to another DuckDB file (for clean-vs-faulty comparisons)."""
    from dagster_duckdb import DuckDBResource

    return {**resources, "duckdb": DuckDBResource(database=path)}
