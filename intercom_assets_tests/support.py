"""The one test support module: payloads, emulator and client helpers, real runs and ticks,
and precise comparisons of the mirror with the emulator's ground truth."""

import json
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dagster as dg
import requests
from dagster_duckdb import DuckDBResource

from intercom_assets.client import IntercomClient
from intercom_assets.definitions import defs
from intercom_assets.emulator import Emulator
from intercom_assets.mirror.assets import build_sync_assets
from intercom_assets.mirror.checks import build_freshness_checks
from intercom_assets.mirror.jobs import build_jobs
from intercom_assets.mirror.resources import IntercomResource
from intercom_assets.mirror.sensor import TickLimits, build_updates_sensor
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.mirror.updates.run_requests import RANGE_END_TAG, RANGE_START_TAG, RUN_KEY_TAG
from intercom_assets.storage import PART_LIMIT, prepare_database, reader, transaction

REPO = Path(__file__).parents[1]
# A fixed "now" (2026-11-20 15:30:00 UTC) keeps partition keys and timestamps reproducible.
FIXED_NOW = 1_795_188_600
HISTORY = ("2026-11-18", "2026-11-20")  # the conftest emulator's three days
# The sync op's four assets, as the README's `dg launch` names them (it cannot be subset).
SYNC_SELECTION = (
    "intercom/conversations,intercom/messages,"
    "intercom/conversation_metrics,intercom/daily_support_metrics"
)


# -- Hand-written payloads shaped like the official 2.16 examples --------------------------


def conversation(
    conv_id: str = "503",
    *,
    created_at: int = 1_734_537_511,
    updated_at: int = 1_734_537_600,
    parts: int = 2,
    version: str = "2.16",
    with_parts: bool = True,
) -> dict[str, Any]:
    unassigned: int | None = 0 if version == "2.16" else None
    body: dict[str, Any] = {
        "type": "conversation",
        "id": conv_id,
        "created_at": created_at,
        "updated_at": updated_at,
        "title": None,
        "open": True,
        "state": "open",
        "read": False,
        "priority": "none" if version == "2.16" else "not_priority",
        "admin_assignee_id": unassigned,
        "team_assignee_id": 5_017_691,
        "waiting_since": created_at,
        "snoozed_until": None,
        "source": {
            "type": "conversation",
            "id": f"src-{conv_id}",
            "delivered_as": "customer_initiated",
            "subject": "",
            "body": "<p>Hello — مرحبا 👋</p>",
            "author": {"type": "user", "id": "u-1", "name": "Ada", "email": "ada@example.com"},
            "attachments": [],
            "url": None,
            "redacted": False,
        },
        "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "c-1"}]},
        "teammates": {"type": "admin.list", "teammates": [{"type": "admin", "id": "274"}]},
        "tags": {"type": "tag.list", "tags": [{"type": "tag", "id": "9", "name": "billing"}]},
        "statistics": {"type": "conversation_statistics", "count_conversation_parts": parts + 1},
        "x_unknown_field": {"nested": [1, 2, 3]},
    }
    if with_parts:
        body["conversation_parts"] = {
            "type": "conversation_part.list",
            "total_count": parts,
            "conversation_parts": [
                {
                    "type": "conversation_part",
                    "id": f"{conv_id}-p{i}",
                    "part_type": "comment" if i % 2 == 0 else "close",
                    "body": f"<p>reply {i}</p>" if i % 2 == 0 else None,
                    "created_at": created_at + 10 * (i + 1),
                    "updated_at": created_at + 10 * (i + 1),
                    "author": {"type": "admin", "id": "274", "name": "Op", "email": "op@x.io"},
                    "redacted": False,
                }
                for i in range(parts)
            ],
        }
    return body


# -- Talking to the emulator as a real client does ----------------------------------------

NEWEST = "2.16"


class Api:
    """A thin requests wrapper: bearer token and Intercom-Version set once."""

    def __init__(self, emulator: Emulator, token: str | None = None, version: str = NEWEST):
        self.base_url = emulator.base_url
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if version:
            self.session.headers["Intercom-Version"] = version

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base_url + path, params=params, timeout=10)

    def search(
        self,
        query: dict[str, Any],
        per_page: int | None = None,
        starting_after: str | None = None,
        sort: dict[str, Any] | None = None,
    ) -> requests.Response:
        body: dict[str, Any] = {"query": query}
        pagination = {"per_page": per_page, "starting_after": starting_after}
        body["pagination"] = {key: value for key, value in pagination.items() if value is not None}
        if sort is not None:
            body["sort"] = sort
        return self.session.post(self.base_url + "/conversations/search", json=body, timeout=10)

    def search_ids(self, query: dict[str, Any], **kwargs: Any) -> list[str]:
        """Every matching id, walking all pages."""
        ids: list[str] = []
        cursor = None
        while True:
            response = self.search(query, starting_after=cursor, **kwargs)
            assert response.status_code == 200, response.text
            payload = response.json()
            ids.extend(item["id"] for item in payload["conversations"])
            next_page = payload["pages"].get("next")
            if next_page is None:
                return ids
            cursor = next_page["starting_after"]


def error_code(response: requests.Response) -> tuple[int, str]:
    """(status, first error code): what clients branch on."""
    return response.status_code, response.json()["errors"][0]["code"]


def everything() -> dict[str, Any]:
    """A query matching every conversation."""
    return {"field": "created_at", "operator": ">=", "value": 0}


def make_client(emu: Emulator, token: str | None = None, **overrides: object) -> IntercomClient:
    """A client with millisecond backoff so fault tests stay fast."""
    options: dict = {
        "max_concurrency": 4,
        "backoff_base_seconds": 0.01,
        "backoff_max_seconds": 0.05,
    }
    options.update(overrides)
    return IntercomClient(emu.base_url, token or emu.token, **options)


# -- Real runs and ticks, and the mirror compared with the emulator -----------------------


DEFAULT_SPEC = MirrorSpec()  # the default workspace: the ★ names
DEFAULT_LIMITS = TickLimits()
# Unbound (no resources attached), so tests hand each run its own emulator and DuckDB file:
# one multi-asset syncing both `intercom/conversations` and `intercom/messages`.
SYNC_ASSETS = build_sync_assets(DEFAULT_SPEC)
SYNC_OP = DEFAULT_SPEC.op_name("sync")
# The sync's own assets; its step also records the metrics (tested in mirror/test_metrics_sync).
SYNCED = frozenset({DEFAULT_SPEC.conversations_key, DEFAULT_SPEC.messages_key})
METRICS = frozenset(
    DEFAULT_SPEC.asset_key(table) for table in ("conversation_metrics", "daily_support_metrics")
)


def updates_sensor(
    limits: TickLimits = DEFAULT_LIMITS, spec: MirrorSpec = DEFAULT_SPEC
) -> dg.SensorDefinition:
    """A freshly built updates sensor (as after a restart), optionally with small tick limits."""
    jobs = build_jobs(spec, build_freshness_checks(spec))
    return build_updates_sensor(spec, jobs, limits)


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
    """Launch each run request as the daemon would: its job, config, tags (with its run key)
    and partition; a failing run is recorded as failed, not raised. Schedules target one job,
    so their requests name none: `default_job` is that job.
    """
    return [
        defs.resolve_job_def(request.job_name or default_job).execute_in_process(
            run_config=request.run_config,
            tags={**request.tags, **({RUN_KEY_TAG: request.run_key} if request.run_key else {})},
            partition_key=request.partition_key,
            resources=resources,
            instance=instance,
            raise_on_error=False,
        )
        for request in requests
    ]


def tick(
    sensor: dg.SensorDefinition,
    resources: dict[str, Any],
    instance: dg.DagsterInstance,
    cursor: str | None,
    log: logging.Handler | None = None,
) -> Any:
    """Evaluate one tick as the daemon does: its run requests, skip message and new cursor
    (`log` receives the tick's log records)."""
    with dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"intercom": resources["intercom"]},
        definitions=defs,
    ) as context:
        if log is not None:
            context.log.addHandler(log)
        return sensor.evaluate_tick(context)


class Records(logging.Handler):
    """Collects log lines (e.g. of a sensor tick)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def without_intercom_env(monkeypatch: Any) -> None:
    """Unset every INTERCOM_* variable: the code location's defaults."""
    for name in list(os.environ):
        if name.startswith("INTERCOM_"):
            monkeypatch.delenv(name)


def _name(key: dg.AssetKey | dg.AssetCheckKey) -> str:
    if isinstance(key, dg.AssetCheckKey):
        return f"{key.asset_key.to_user_string()}:{key.name}"
    return key.to_user_string()


def code_location_snapshot(built: dg.Definitions) -> dict[str, Any]:
    """Every public name a code location defines and what each job, sensor, schedule targets."""
    repository = built.get_repository_def()
    graph = repository.asset_graph
    jobs = {}
    for job in repository.get_all_jobs():
        if not job.name.startswith("__"):
            layer = job.asset_layer
            keys = [*layer.selected_asset_keys, *layer.asset_graph.asset_check_keys]
            jobs[job.name] = sorted(_name(key) for key in keys)
    return {
        "assets": sorted(_name(key) for key in graph.get_all_asset_keys()),
        "checks": sorted(_name(key) for key in graph.asset_check_keys),
        "jobs": jobs,
        "sensors": {
            s.name: sorted(j.name for j in s.jobs) if s.targets else []  # alerts target none
            for s in repository.sensor_defs
        },
        "schedules": {s.name: s.job_name for s in repository.schedule_defs},
        "resources": {
            key: getattr(resource, "access_token_env", None)  # the variable it names
            for key, resource in sorted((built.resources or {}).items())
        },
    }


def query(target: Path | str | dict[str, Any], sql: str, params: list | None = None) -> list[tuple]:
    """Rows of `sql` on a DuckDB file, given its path or the resources that write it."""
    database = target["duckdb"].database if isinstance(target, dict) else str(target)
    with reader(database, logging.getLogger("test")) as conn:
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
        SYNC_ASSETS,
        resources=resources,
        tags={
            "dagster/asset_partition_range_start": start,
            "dagster/asset_partition_range_end": end,
        },
        run_config=run_config,
        raise_on_error=raise_on_error,
        instance=instance,
    )


def _values(metadata: Any) -> dict[str, Any]:
    return {key: value.value for key, value in metadata.items()}


def day_metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, dict[str, Any]]:
    """Per recorded day, the metadata of the run's materialization of `intercom/<asset>`."""
    key = DEFAULT_SPEC.asset_key(asset)
    events = [
        e.event_specific_data.materialization for e in result.get_asset_materialization_events()
    ]
    return {m.partition: _values(m.metadata) for m in events if m.asset_key == key}


def run_metadata(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    """The sync run's run-wide figures (its one partitionless observation)."""
    (observation,) = [
        e.event_specific_data.asset_observation for e in result.get_asset_observation_events()
    ]
    return _values(observation.metadata)


def sync_config(**config: Any) -> dict[str, Any]:
    """Run config of the sync op."""
    return {"ops": {SYNC_OP: {"config": config}}}


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
    return {**resources, "duckdb": DuckDBResource(database=path)}


def evaluation(result: dg.ExecuteInProcessResult, name: str) -> dg.AssetCheckEvaluation:
    (found,) = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
    return found


def check_metadata(found: dg.AssetCheckEvaluation) -> dict[str, Any]:
    return {key: value.value for key, value in found.metadata.items()}


# -- A faulty network in front of the emulator ---------------------------------------------

Hook = Callable[[str, str, dict[str, Any] | None], bool]
Rewrite = Callable[[str, dict[str, Any]], dict[str, Any]]


class Proxy:
    """A loopback HTTP proxy to the emulator that can fail chosen requests (503 HTML, as a
    gateway does) or rewrite JSON answers; what real Intercom may do and the emulator won't."""

    def __init__(
        self, emulator: Emulator, *, fail: Hook | None = None, rewrite: Rewrite | None = None
    ) -> None:
        self.upstream, self.fail, self.rewrite = emulator.base_url, fail, rewrite
        self.failed = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                if proxy.fail and proxy.fail(self.command, self.path, body):
                    proxy.failed += 1
                    page = b"<html><body>503 Service Unavailable</body></html>"
                    self.send_response(503)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                upstream = requests.request(
                    self.command, proxy.upstream + self.path, data=raw, headers=headers, timeout=30
                )
                content = upstream.content
                if proxy.rewrite and "json" in upstream.headers.get("Content-Type", ""):
                    path = self.path.split("?")[0]
                    content = json.dumps(proxy.rewrite(path, upstream.json())).encode()
                self.send_response(upstream.status_code)
                for key, value in upstream.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _forward

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "Proxy":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def via(proxy: Proxy, resources: dict[str, Any], **intercom: Any) -> dict[str, Any]:
    """The same resources talking to Intercom through `proxy`."""
    current = resources["intercom"]
    return {
        **resources,
        "intercom": IntercomResource(
            access_token=current.access_token,
            base_url=proxy.base_url,
            max_requests_per_minute=current.max_requests_per_minute,
            **intercom,
        ),
    }


def created_on(emulator: Emulator, day: date) -> list[str]:
    """Ids of the emulated conversations created on `day` (UTC)."""
    start = int(datetime.combine(day, datetime.min.time(), UTC).timestamp())
    return [
        conversation_id
        for conversation_id in emulator.conversation_ids()
        if start <= emulator.snapshot(conversation_id)["created_at"] < start + 86_400
    ]


BULK_FIRST_DAY = datetime(2026, 8, 1, tzinfo=UTC)
BULK_UPDATED = datetime(2026, 11, 1, tzinfo=UTC)


def bulk_mirror(
    database: str, conversations: int, days: int, *, parts: int = 0, synced: bool = False
) -> None:
    """A mirror of `conversations` minimal rows spread evenly over `days` days from
    BULK_FIRST_DAY (ids 100000000 up, each reporting 3 parts), and `parts` messages for each
    (the first its source; 16-digit ids from 2000000000000000, as long as Intercom's), built
    in SQL in seconds: for queries whose memory grows with the mirror. `synced` marks the
    messages read at updated_at."""
    log, n = logging.getLogger("bulk-mirror"), conversations
    prepare_database(database, log)
    with transaction(database, log) as conn:
        conn.execute(
            "INSERT INTO intercom.conversations"
            " (id, created_at, updated_at, synced_at, parts_reported, messages_synced_updated_at)"
            " SELECT (100000000 + i)::VARCHAR, ? + to_seconds(i * (86400 * ?) // ?), ?, now(), 3,"
            " CASE WHEN ? THEN ? END FROM range(?) t(i)",
            [BULK_FIRST_DAY, days, n, BULK_UPDATED, synced, BULK_UPDATED, n],
        )
        conn.execute(
            "INSERT INTO intercom.messages (conversation_id, id, part_type, body, synced_at)"
            " SELECT (100000000 + i // ?)::VARCHAR, (2000000000000000 + i)::VARCHAR,"
            " CASE WHEN i % ? = 0 THEN 'source' ELSE 'comment' END, '<p>hi</p>', now()"
            " FROM range(?) t(i)",
            [max(parts, 1), max(parts, 1), n * parts],
        )
