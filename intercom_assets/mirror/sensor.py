"""`{prefix}_updates_sensor`: keeps the mirror current between daily refreshes.

Each tick reads conversations updated since its cursor (minus an overlap for Intercom's
search-index lag) with a bounded number of search calls, and hands the changed ids to a
`{prefix}_sync_job` run that fetches exactly those. On API 2.16+ it also notices new entries
of `GET /conversations/deleted` and requests one deletions run. Runs it requested that failed,
were canceled or crashed are requested again (read from Dagster's run records). The first tick
after a backfill starts from Intercom's newest change when the backfill began (recorded in the
sync runs' observations), so changes made during the backfill are synced. It never opens
DuckDB: everything it knows lives in its cursor and in Dagster's records.
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

from intercom_assets.client import IntercomClient
from intercom_assets.mirror.jobs import MirrorJobs
from intercom_assets.mirror.resources import (
    IntercomResource,
    intercom_resource,
    missing_token_message,
)
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.mirror.updates.cursor import Position, UpdatesCursor
from intercom_assets.mirror.updates.run_requests import (
    MAX_ATTEMPTS,
    RUN_KEY_TAG,
    Change,
    as_change,
    attempt_of,
    deletions_request,
    retry_request,
    sync_requests,
)
from intercom_assets.mirror.updates.scan import Budget, scan_updates

# Intercom's search index lags writes by up to minutes: every pass re-reads this much.
OVERLAP_SECONDS = 300
# A requested run the daemon never created (its tick failed after the request) is forgotten
# after this long; the weekly reconcile repairs what it would have synced.
PENDING_TTL_SECONDS = 6 * 3600
# Sync runs' observations searched for the backfill's watermark on the first tick.
RECENT_RUNS = 100
_RETRY = (dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


@dataclass(frozen=True)
class TickLimits:
    budget: Budget = field(default_factory=Budget)
    overlap_seconds: int = OVERLAP_SECONDS


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
    unusable: list[str] = field(default_factory=list)
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


def _read_updates(
    client: IntercomClient,
    cursor: UpdatesCursor,
    limits: TickLimits,
    report: TickReport,
    spec: MirrorSpec,
) -> None:
    """Advance the cursor over one budget of search results, collecting unseen changes.

    A result whose timestamps are unusable (e.g. milliseconds) is set aside with its id; it
    never moves the cursor, so the walk goes on past it.
    """
    scan = scan_updates(client, cursor.position, limits.budget)
    report.read, report.pages, report.finished = len(scan.conversations), scan.pages, scan.finished
    first, last = spec.partition_bounds()
    for item in scan.conversations:
        change = as_change(item)
        if change is None:
            report.unusable.append(str(item.get("id")))
            continue
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
    """Deletion records not yet handed to a run, whatever order Intercom lists them in."""
    since = cursor.deleted_at or 0
    fresh = []
    for record in client.deleted_conversations(since=since):
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


def backfill_watermark(instance: dg.DagsterInstance, spec: MirrorSpec) -> int | None:
    """The oldest `sync_watermark` of recent full-refresh runs: Intercom's newest change when
    they started. Changes after it may have hit conversations those runs had already read."""
    records = instance.fetch_observations(spec.conversations_key, limit=RECENT_RUNS).records
    marks = []
    for record in records:
        metadata = record.asset_observation.metadata if record.asset_observation else {}
        # A timestamp (epoch seconds as a float); releases before 2026-12 recorded an int.
        mark = getattr(metadata.get("sync_watermark"), "value", None)
        full_refresh = getattr(metadata.get("full_refresh"), "value", None) is True
        if full_refresh and isinstance(mark, int | float) and not isinstance(mark, bool):
            marks.append(int(mark))
    return min(marks, default=None)


def _first_cursor(
    context: dg.SensorEvaluationContext,
    client: IntercomClient,
    intercom: IntercomResource,
    limits: TickLimits,
    spec: MirrorSpec,
) -> tuple[UpdatesCursor, str | None]:
    """Where the first tick starts, and its skip reason when it must request nothing.

    After a backfill: at the backfill's watermark minus the overlap, syncing what changed
    while it ran. Before any sync: "now minus overlap", requesting nothing (history is the
    backfill's job).
    """
    cursor = UpdatesCursor(position=Position(0), newest=0)
    if has_deleted_endpoint(intercom.api_version):
        cursor.deleted_at = 0
    watermark = backfill_watermark(context.instance, spec)
    if watermark is not None:
        start = max(watermark - limits.overlap_seconds, 0)
        cursor.position, cursor.newest = Position(start), watermark
        context.log.info("First tick: syncing changes since the backfill began (%s).", _utc(start))
        return cursor, None
    newest = client.newest_updated_at() or 0
    start = max(newest - limits.overlap_seconds, 0)
    cursor.position, cursor.newest = Position(start), newest
    _read_updates(client, cursor, limits, TickReport(), spec)
    if cursor.deleted_at is not None:
        _advance_deletions(cursor, _read_deletions(client, cursor))
    return cursor, (
        f"First tick: watching Intercom for conversations updated after {_utc(start)}. "
        "Earlier history is loaded by a backfill, not by this sensor."
    )


def _follow_up(context: dg.SensorEvaluationContext, cursor: UpdatesCursor) -> list[dg.RunRequest]:
    """Re-request runs this sensor asked for that failed, were canceled or crashed."""
    retries, now = [], int(time.time())
    for run_key, requested_at in sorted(cursor.pending.items()):
        runs = context.instance.get_runs(dg.RunsFilter(tags={RUN_KEY_TAG: run_key}), limit=1)
        if not runs:
            if now - requested_at > PENDING_TTL_SECONDS:
                context.log.warning("Run %s was never launched; forgetting it.", run_key)
                del cursor.pending[run_key]
            continue
        run = runs[0]
        if run.status == dg.DagsterRunStatus.SUCCESS:
            del cursor.pending[run_key]
        elif run.status in _RETRY:
            del cursor.pending[run_key]
            attempt = attempt_of(run_key)
            if attempt >= MAX_ATTEMPTS:
                context.log.error(
                    "Run %s (%s) ended %s on attempt %d; giving up: the weekly reconcile "
                    "repairs what it would have synced.",
                    run.run_id,
                    run_key,
                    run.status.value,
                    attempt,
                )
                continue
            retry = retry_request(run, run_key)
            context.log.info(
                "Run %s (%s) ended %s: requesting it again as %s.",
                run.run_id,
                run_key,
                run.status.value,
                retry.run_key,
            )
            retries.append(retry)
    return retries


def evaluate_tick(
    context: dg.SensorEvaluationContext, spec: MirrorSpec, limits: TickLimits
) -> dg.SensorResult:
    """One tick: re-request failed runs, read a bounded slice of updates and deletions, and
    request runs for them."""
    intercom = intercom_resource(context, spec)
    if not intercom.token():  # one line naming the variable, not a tick traceback
        return dg.SensorResult(skip_reason=missing_token_message(intercom.access_token_env))
    with intercom.get_client(logger=context.log) as client:
        if context.cursor is None:
            cursor, skip_first = _first_cursor(context, client, intercom, limits, spec)
            if skip_first is not None:
                return dg.SensorResult(skip_reason=skip_first, cursor=cursor.to_json())
        else:
            cursor = UpdatesCursor.from_json(context.cursor)
        since = cursor.position.second
        report = TickReport()
        _read_updates(client, cursor, limits, report, spec)
        deletions: list[Deletion] = []
        if cursor.deleted_at is not None and has_deleted_endpoint(intercom.api_version):
            deletions = _read_deletions(client, cursor)
    retries = _follow_up(context, cursor)
    requests = sync_requests(spec, report.changes)
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
    now = int(time.time())
    cursor.pending |= {request.run_key: now for request in [*requests, *retries]}
    if report.unusable:
        context.log.warning(
            "Skipping %d search results with unusable timestamps (not UNIX seconds): %s",
            len(report.unusable),
            report.unusable[:20],
        )
    if report.out_of_scope:
        context.log.info(
            "Ignoring %d conversations created before the start date %s: %s",
            len(report.out_of_scope),
            spec.start_date,
            report.out_of_scope[:20],
        )
    context.log.info(
        "Read %d conversations updated since %s in %d search calls: %d changed, %d deletions; "
        "requesting %d runs and %d retries.",
        report.read,
        _utc(since),
        report.pages,
        len(report.changes),
        len(deletions),
        len(requests),
        len(retries),
    )
    if not requests and not retries:
        return dg.SensorResult(
            skip_reason=_nothing_to_do(report, since, cursor), cursor=cursor.to_json()
        )
    return dg.SensorResult(run_requests=[*requests, *retries], cursor=cursor.to_json())


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
