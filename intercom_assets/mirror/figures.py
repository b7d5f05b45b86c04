"""The events a sync records: one materialization per changed day and asset, carrying that
day's own figures, and one partitionless observation with the run-wide figures."""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import duckdb

from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.storage import latest_conversations_preview, stored_by_day
from intercom_assets.sync.days import DayLedger


def day_events(
    conn: duckdb.DuckDBPyConnection,
    spec: MirrorSpec,
    days: list[str],
    ledger: DayLedger,
    *,
    full_refresh: bool,
) -> Iterator[dg.AssetMaterialization]:
    """Per day: what DuckDB holds for it (`dagster/row_count`) and what this run changed."""
    stored = stored_by_day(conn, days)
    for day in sorted(days):
        held, changes = stored[day], ledger.days[day]
        yield dg.AssetMaterialization(
            spec.conversations_key,
            partition=day,
            metadata={
                "dagster/row_count": held.conversations,
                "conversations_new": changes.new,
                "conversations_changed": changes.changed,
                "conversations_deleted": changes.deleted,
                "conversations_over_500_parts": held.over_part_limit,
                "full_refresh": full_refresh,
            },
        )
        yield dg.AssetMaterialization(
            spec.messages_key,
            partition=day,
            metadata={
                "dagster/row_count": held.messages,
                "conversations_synced": changes.messages_synced,
                "messages_written": changes.messages_written,
                "full_refresh": full_refresh,
            },
        )


def observation(
    conn: duckdb.DuckDBPyConnection, spec: MirrorSpec, run: dict[str, Any]
) -> dg.AssetObservation:
    """Run-wide figures (requests by endpoint, 429s, retries, duration…), once per run."""
    preview = dg.MetadataValue.md(latest_conversations_preview(conn))
    values = {key: value for key, value in run.items() if value is not None}
    return dg.AssetObservation(spec.conversations_key, metadata={**values, "preview": preview})
