"""`{prefix}_updates_sensor`: keeps the mirror current between daily refreshes.

Each tick reads conversations updated since its cursor (minus an overlap for Intercom's
search-index lag) with a bounded number of search calls, and hands the changed ones to a few
`{prefix}_sync_job` runs narrowed to their days and update window. On API 2.16+ it also
notices new entries of `GET /conversations/deleted` and requests one deletions run. It never
opens DuckDB: everything it knows lives in its cursor.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import dagster as dg

from intercom_assets.client import IntercomClient
from intercom_assets.client.api import DELETED_PER_PAGE
from intercom_assets.mirror.jobs import MirrorJobs
from intercom_assets.mirror.resources import (
    IntercomResource,
    intercom_resource,
    missing_token_message,
)
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.mirror.updates.cursor import Position, UpdatesCursor
from intercom_assets.mirror.updates.run_requests import Change, deletions_request, sync_requests
from intercom_assets.mirror.updates.scan import Budget, scan_updates

# Intercom's search index lags writes by up to minutes: every pass re-reads this much.
OVERLAP_SECONDS = 300
MAX_RUNS_PER_TICK = 5


@dataclass(frozen=True)
class TickLimits:
    budget: Budget = field(default_factory=Budget)
    overlap_seconds: int = OVERLAP_SECONDS
    max_runs: int = MAX_RUNS_PER_TICK


@dataclass(frozen=True)
class Deletion:
    id: str
    deleted_at: int


@dataclass
class TickReport:
    """What a tick found, for its log line and its skip reason."""

    read: int = 0
    pages: int = 0
    changes: list[Change] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)
    finished: bool = False


def has_deleted_endpoint(api_version: str) -> bool:
    """`GET /conversations/deleted` exists from API 2.16 on."""
    try:
        major, minor = (int(piece) for piece in api_version.strip().split("."))
    except ValueError:
        return api_version.strip() in ("Preview", "Unstable")
    return (major, minor) >= (2, 16)


def _utc(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _as_change(item: dict[str, Any]) -> Change | None:
    try:
        return Change(str(item["id"]), int(item["created_at"]), int(item["updated_at"]))
    except (KeyError, TypeError, ValueError):
        return None


def _read_updates(
    client: IntercomClient,
    cursor: UpdatesCursor,
    limits: TickLimits,
    report: TickReport,
    spec: MirrorSpec,
) -> None:
    """Advance the cursor over one budget of search results, collecting unseen changes."""
    scan = scan_updates(client, cursor.position, limits.budget)
    report.read, report.pages, report.finished = len(scan.conversations), scan.pages, scan.finished
    first, last = spec.partition_bounds()
    changes = filter(None, (_as_change(item) for item in scan.conversations))
    for change in changes:
        cursor.newest = max(cursor.newest, change.updated_at)
        if not cursor.is_new(change.id, change.updated_at):
            continue
        cursor.remember(change.id, change.updated_at)
        if first <= change.day.isoformat() <= last:
            report.changes.append(change)
        else:
            report.out_of_scope.append(change.id)
    restart = Position(max(cursor.newest - limits.overlap_seconds, 0))
    cursor.position = restart if scan.finished else scan.position
    cursor.forget_before(restart.second)


def _read_deletions(client: IntercomClient, cursor: UpdatesCursor) -> list[Deletion]:
    """Deletion records not yet handed to a run (one request: the newest page)."""
    since = cursor.deleted_at or 0
    fresh = []
    for record in islice(client.deleted_conversations(since=since), DELETED_PER_PAGE):
        deleted_at = record.get("deleted_at")
        if record.get("id") is None or not isinstance(deleted_at, int):
            continue
        deletion = Deletion(str(record["id"]), deleted_at)
        if deletion.deleted_at > since or deletion.id not in cursor.deleted_ids:
            fresh.append(deletion)
    return fresh


def _advance_deletions(cursor: UpdatesCursor, deletions: list[Deletion]) -> None:
    """Move the deletions watermark to the newest handled record, remembering its second."""
    if not deletions:
        return
    newest = max(d.deleted_at for d in deletions)
    at_newest = {d.id for d in deletions if d.deleted_at == newest}
    kept = cursor.deleted_ids if newest == cursor.deleted_at else []
    cursor.deleted_at, cursor.deleted_ids = newest, sorted({*kept, *at_newest})


def _nothing_to_do(report: TickReport, since: int, cursor: UpdatesCursor) -> str:
    if not report.finished:
        return (
            f"Nothing new among the {report.read} conversations read this tick (updated since "
            f"{_utc(since)}, all synced already); the next tick continues from "
            f"{_utc(cursor.position.second)}."
        )
    return (
        f"Nothing to sync: no conversation changed in Intercom since {_utc(since)} beyond what "
        f"earlier runs already synced ({report.read} checked), and no new deletions."
    )


def _first_tick(
    client: IntercomClient, intercom: IntercomResource, limits: TickLimits, spec: MirrorSpec
) -> dg.SensorResult:
    """Start at "now minus overlap" and request nothing: history is the backfill's job."""
    newest = client.newest_updated_at() or 0
    start = max(newest - limits.overlap_seconds, 0)
    cursor = UpdatesCursor(position=Position(start), newest=newest)
    _read_updates(client, cursor, limits, TickReport(), spec)
    if has_deleted_endpoint(intercom.api_version):
        cursor.deleted_at = 0
        _advance_deletions(cursor, _read_deletions(client, cursor))
    return dg.SensorResult(
        skip_reason=(
            f"First tick: watching Intercom for conversations updated after {_utc(start)}. "
            "Earlier history is loaded by a backfill, not by this sensor."
        ),
        cursor=cursor.to_json(),
    )


def evaluate_tick(
    context: dg.SensorEvaluationContext, spec: MirrorSpec, limits: TickLimits
) -> dg.SensorResult:
    """One tick: read a bounded slice of updates and deletions, request runs for them."""
    intercom = intercom_resource(context, spec)
    if not intercom.token():  # one line naming the variable, not a tick traceback
        return dg.SensorResult(skip_reason=missing_token_message(intercom.access_token_env))
    with intercom.get_client(logger=context.log) as client:
        if context.cursor is None:
            return _first_tick(client, intercom, limits, spec)
        cursor = UpdatesCursor.from_json(context.cursor)
        since = cursor.position.second
        report = TickReport()
        _read_updates(client, cursor, limits, report, spec)
        deletions: list[Deletion] = []
        if has_deleted_endpoint(intercom.api_version):
            deletions = _read_deletions(client, cursor)
    requests = sync_requests(spec, report.changes, limits.max_runs)
    if deletions:
        requests.append(
            deletions_request(
                spec,
                cursor.deleted_at,
                max(d.deleted_at for d in deletions),
                [d.id for d in deletions],
            )
        )
        _advance_deletions(cursor, deletions)
    if report.out_of_scope:
        context.log.info(
            "Ignoring %d conversations created before the start date %s: %s",
            len(report.out_of_scope),
            spec.start_date,
            report.out_of_scope[:20],
        )
    context.log.info(
        "Read %d conversations updated since %s in %d search calls: %d changed, %d deletions; "
        "requesting %d runs.",
        report.read,
        _utc(since),
        report.pages,
        len(report.changes),
        len(deletions),
        len(requests),
    )
    if not requests:
        return dg.SensorResult(
            skip_reason=_nothing_to_do(report, since, cursor), cursor=cursor.to_json()
        )
    return dg.SensorResult(run_requests=requests, cursor=cursor.to_json())


def build_updates_sensor(
    spec: MirrorSpec, jobs: MirrorJobs, limits: TickLimits = TickLimits()
) -> dg.SensorDefinition:
    """The updates sensor, STOPPED until the operator activates it after the backfill."""

    @dg.sensor(
        name=spec.updates_sensor_name,
        minimum_interval_seconds=spec.sensor_interval_seconds,
        jobs=[jobs.sync, jobs.deletions],
        default_status=dg.DefaultSensorStatus.STOPPED,
        required_resource_keys={spec.intercom_resource_key},
        description=(
            "Keeps the mirror current: every tick finds conversations updated in Intercom since "
            "the last tick and syncs just those (and, on API 2.16+, applies deletions). Turn it "
            "on once the history backfill has finished."
        ),
    )
    def updates_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        return evaluate_tick(context, spec, limits)

    return updates_sensor
