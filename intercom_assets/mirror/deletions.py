"""`{prefix}/deleted_conversations`: applies Intercom's deletion log (API 2.16+) to the mirror.

`GET /conversations/deleted` lists ids and `deleted_at` only, so this is an unpartitioned asset
with its own job, requested by the updates sensor when new entries appear. Each listed
conversation is removed with its messages and recorded in `intercom.deleted_conversations`
(`detected_via = 'deleted_endpoint'`). On API 2.15 and older the weekly reconciliation removes
deletions instead.
"""

import itertools
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import dagster as dg
from pydantic import Field

from intercom_assets.mirror.figures import day_events
from intercom_assets.mirror.metrics import metric_events, refresh_metrics
from intercom_assets.mirror.resources import duckdb_resource, intercom_resource
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.mirror.step_resources import api_metadata, intercom_client, prepared_database
from intercom_assets.storage import days_of, reader, remove_conversations, transaction
from intercom_assets.sync.days import DayLedger

BATCH = 5_000


class DeletionsConfig(dg.Config):
    """Which deletion records to apply, by `deleted_at` (UNIX seconds, both inclusive).

    The sensor sets both; leave them empty to apply every deletion Intercom lists.
    """

    deleted_since: int | None = Field(default=None, description="inclusive, UNIX seconds")
    deleted_until: int | None = Field(default=None, description="inclusive, UNIX seconds")


def _usable(
    records: Iterable[dict[str, Any]], until: int | None, rejected: list[str]
) -> Iterator[tuple[str, int]]:
    for record in records:
        cid, deleted_at = record.get("id"), record.get("deleted_at")
        if cid is None or not isinstance(deleted_at, int):
            rejected.append(str(cid))
            continue
        if until is None or deleted_at <= until:
            yield str(cid), deleted_at


def _apply(
    database: str, batch: list[tuple[str, int]], ledger: DayLedger, log: logging.Logger
) -> int:
    """Remove one batch in one transaction; returns how many were in the mirror."""
    by_time: dict[int, list[str]] = defaultdict(list)
    for cid, deleted_at in batch:
        by_time[deleted_at].append(cid)
    with transaction(database, log) as conn:
        present = days_of(conn, [cid for cid, _ in batch])
        for day, count in present.items():
            ledger.add(day, deleted=count)
        for deleted_at, ids in by_time.items():
            when = datetime.fromtimestamp(deleted_at, UTC)
            remove_conversations(conn, ids, when, "deleted_endpoint")
    return sum(present.values())


def build_deletions_asset(spec: MirrorSpec) -> dg.AssetsDefinition:
    """`{prefix}/deleted_conversations` for one workspace."""

    @dg.asset(
        key=spec.deleted_conversations_key,
        group_name=spec.group_name,
        owners=spec.owners,
        required_resource_keys=spec.resource_keys,
        kinds={"duckdb", "python"},
        description=(
            "Conversations deleted in Intercom: removed from the mirror with their messages and"
            " recorded in intercom.deleted_conversations (from GET /conversations/deleted,"
            " API 2.16+). Each day it changes gets a new materialization of the conversations"
            " and messages assets with that day's figures."
        ),
    )
    def deleted_conversations(
        context: dg.AssetExecutionContext,
        config: DeletionsConfig,
    ) -> Iterator[dg.AssetMaterialization | dg.MaterializeResult]:
        intercom, duckdb = intercom_resource(context, spec), duckdb_resource(context, spec)
        started = time.monotonic()
        database = prepared_database(duckdb, context.log)
        rejected: list[str] = []
        listed = removed = 0
        ledger = DayLedger()
        with intercom_client(intercom, context.log) as client:
            records = client.deleted_conversations(since=config.deleted_since)
            usable = _usable(records, config.deleted_until, rejected)
            while batch := list(itertools.islice(usable, BATCH)):
                removed += _apply(database, batch, ledger, context.log)
                listed += len(batch)
            api = api_metadata(client, started)
        change = refresh_metrics(database, context.log, removed=True)
        with reader(database, context.log) as conn:
            days = sorted(ledger.changed_days())
            yield from day_events(conn, spec, days, ledger, full_refresh=False)
            yield from metric_events(conn, spec, change, days)
        for cid in rejected:
            context.log.warning("Unusable deletion record for conversation %s: no deleted_at", cid)
        context.log.info(
            "Intercom listed %d deletions; %d of them were in the mirror and are removed.",
            listed,
            removed,
        )
        yield dg.MaterializeResult(
            metadata={
                **api,
                "deletions_listed": listed,
                "conversations_removed": removed,
                "unusable_records": len(rejected),
            }
        )

    return deleted_conversations
