"""Real runs against the emulator, and a precise comparison of the mirror with its ground truth."""

import logging
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from intercom_assets.automation.run_requests import RANGE_END_TAG, RANGE_START_TAG
from intercom_assets.definitions import defs
from intercom_assets.emulator import Emulator
from intercom_assets.resource import IntercomResource
from intercom_assets.storage import reader

HISTORY = ("2026-11-18", "2026-11-20")  # the conftest emulator's three days
PART_LIMIT = 500


def make_resources(emu: Emulator, database: Path, **intercom: Any) -> dict[str, Any]:
    """Resources for runs and sensors; a high request budget keeps range runs fast."""
    options = {"max_requests_per_minute": 1_000_000, **intercom}
    return {
        "intercom": IntercomResource(access_token=emu.token, base_url=emu.base_url, **options),
        "duckdb": DuckDBResource(database=str(database)),
    }


def run_job(
    name: str,
    resources: dict[str, Any],
    instance: dg.DagsterInstance,
    *,
    partition_key: str | None = None,
    first: str | None = None,
    last: str | None = None,
    run_config: dict | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Execute a job of the real code location, for one partition or a range."""
    range_tags = {RANGE_START_TAG: first, RANGE_END_TAG: last} if first and last else {}
    return defs.resolve_job_def(name).execute_in_process(
        run_config=run_config or {},
        tags={**(tags or {}), **range_tags},
        partition_key=partition_key,
        resources=resources,
        instance=instance,
    )


def backfill(resources: dict[str, Any], instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return run_job("intercom_sync_job", resources, instance, first=HISTORY[0], last=HISTORY[1])


def execute(
    requests: list[dg.RunRequest],
    resources: dict[str, Any],
    instance: dg.DagsterInstance,
    default_job: str = "intercom_sync_job",
) -> list[dg.ExecuteInProcessResult]:
    """Launch each run request as the daemon would: its job, config, tags and partition.

    Schedules target one job, so their requests name none: `default_job` is that job.
    """
    return [
        defs.resolve_job_def(request.job_name or default_job).execute_in_process(
            run_config=request.run_config,
            tags=request.tags,
            partition_key=request.partition_key,
            resources=resources,
            instance=instance,
        )
        for request in requests
    ]


def tick(
    sensor: dg.SensorDefinition,
    resources: dict[str, Any],
    instance: dg.DagsterInstance,
    cursor: str | None,
) -> Any:
    """Evaluate one tick as the daemon does: its run requests, skip message and new cursor."""
    with dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"intercom": resources["intercom"]},
        definitions=defs,
    ) as context:
        return sensor.evaluate_tick(context)


def query(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    with reader(str(database), logging.getLogger("test")) as conn:
        return conn.execute(sql, params or []).fetchall()


def _source_id(snapshot: dict) -> str:
    return snapshot["source"]["id"] or f"{snapshot['id']}-source"


def differences(emu: Emulator, database: Path) -> list[str]:
    """Every way the mirror differs from the emulator; [] when it is exactly in line.

    In line: the same live conversations with the same `updated_at`, state and part count;
    every message the API can show (source + newest 500 parts) stored; no stored message the
    emulator does not have; every stored body and redaction flag equal to the emulator's.
    """
    stored = {
        cid: (updated, state, reported)
        for cid, updated, state, reported in query(
            database,
            "SELECT id, epoch(updated_at)::BIGINT, state, parts_reported"
            " FROM intercom.conversations",
        )
    }
    bodies: dict[str, dict[str, tuple]] = {}
    for cid, mid, body, redacted in query(
        database, "SELECT conversation_id, id, body, redacted FROM intercom.messages"
    ):
        bodies.setdefault(cid, {})[mid] = (body, bool(redacted))
    live = set(emu.conversation_ids())
    problems = [f"not in the mirror: {sorted(live - set(stored))}"] if live - set(stored) else []
    if set(stored) - live:
        problems.append(f"deleted in Intercom but still mirrored: {sorted(set(stored) - live)}")
    if set(bodies) - live:
        problems.append(f"messages of deleted conversations: {sorted(set(bodies) - live)}")
    for cid in sorted(live & set(stored)):
        snap = emu.snapshot(cid)
        parts = snap["conversation_parts"]["conversation_parts"]
        reported = snap["statistics"]["count_conversation_parts"] - 1
        truth = (snap["updated_at"], snap["state"], reported)
        if stored[cid] != truth:
            problems.append(f"{cid}: stored {stored[cid]} != {truth}")
        known = {p["id"]: (p["body"], bool(p.get("redacted"))) for p in parts}
        known[_source_id(snap)] = (snap["source"]["body"], bool(snap["source"].get("redacted")))
        mine = bodies.get(cid, {})
        visible = {_source_id(snap), *(p["id"] for p in parts[-PART_LIMIT:])}
        if visible - set(mine):
            problems.append(f"{cid}: messages not stored {sorted(visible - set(mine))}")
        for mid, value in mine.items():
            if known.get(mid) != value:
                problems.append(f"{cid}/{mid}: stored {value} != {known.get(mid)}")
    return problems
