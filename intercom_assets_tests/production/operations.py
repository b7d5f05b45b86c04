"""What an operator does through the webserver's GraphQL API: backfills, runs, sensors.

Every call goes to `dagster-webserver` over HTTP; the daemon and the code server act on it.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from intercom_assets.emulator import Emulator
from intercom_assets_tests.production.postgres import Cluster
from intercom_assets_tests.production.processes import LOCATION, Deployment, wait_for
from intercom_assets_tests.support import differences

REPOSITORY = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"}
RUN_ENDED = ("SUCCESS", "FAILURE", "CANCELED")
DAYS = 3
# The sync op's assets: it cannot be subset (it writes the support metrics too).
ASSETS = [
    {"path": ["intercom", name]}
    for name in ("conversations", "messages", "conversation_metrics", "daily_support_metrics")
]

_LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidStepError { invalidStepKey }
  }
}
"""
_BACKFILL = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status runs(limit: 20) { runId status } }
  }
}
"""
_LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
_RUN = """
query($id: ID!) {
  runOrError(runId: $id) {
    __typename
    ... on Run { runId status tags { key value } }
  }
}
"""
_RUNS = """
query($filter: RunsFilter!) {
  runsOrError(filter: $filter, limit: 50) {
    ... on Runs { results { runId status tags { key value } } }
  }
}
"""
_START_SENSOR = """
mutation($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { id status } }
    ... on PythonError { message }
  }
}
"""
_STOP_SENSOR = """
mutation($id: String!) {
  stopSensor(id: $id) {
    __typename
    ... on StopSensorMutationResult { instigationState { status } }
  }
}
"""
_SENSOR = """
query($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor {
      sensorState {
        id status typeSpecificData { ... on SensorData { lastCursor } }
        ticks(limit: 50) { id status runIds cursor timestamp error { message } }
      }
    }
  }
}
"""
_SCHEDULES = """
query($selector: RepositorySelector!) {
  schedulesOrError(repositorySelector: $selector) {
    __typename
    ... on Schedules { results { name cronSchedule executionTimezone
                                 scheduleState { status } } }
  }
}
"""


def launch_backfill(dagster: Deployment, first: str, last: str) -> str:
    """What the UI's "Materialize partitions" dialog sends for both assets over a range."""
    keys = _days(first, last)
    params = {"assetSelection": ASSETS, "partitionNames": keys, "fromFailure": False}
    result = dagster.graphql(_LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
    assert result["__typename"] == "LaunchBackfillSuccess", result
    return result["backfillId"]


def backfill(dagster: Deployment, backfill_id: str) -> dict[str, Any]:
    found = dagster.graphql(_BACKFILL, id=backfill_id)["partitionBackfillOrError"]
    assert found["__typename"] == "PartitionBackfill", found
    return found


def wait_for_backfill(dagster: Deployment, backfill_id: str, timeout: float = 180) -> str:
    def ended() -> str | None:
        status = backfill(dagster, backfill_id)["status"]
        return status if status not in ("REQUESTED", "CANCELING") else None

    return wait_for(ended, f"backfill {backfill_id} to end", timeout)


def launch_sync_run(
    dagster: Deployment,
    first: str,
    last: str,
    tags: dict[str, str] | None = None,
    run_config: dict[str, Any] | None = None,
) -> str:
    """`intercom_sync_job` over [first, last] as one range run, the way schedules request it."""
    range_tags = {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }
    params = {
        "selector": {**REPOSITORY, "jobName": "intercom_sync_job"},
        "runConfigData": run_config or {},
        "executionMetadata": {
            "tags": [{"key": k, "value": v} for k, v in {**range_tags, **(tags or {})}.items()]
        },
    }
    result = dagster.graphql(_LAUNCH_RUN, params=params)["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    return result["run"]["runId"]


def run(dagster: Deployment, run_id: str) -> dict[str, Any]:
    found = dagster.graphql(_RUN, id=run_id)["runOrError"]
    assert found["__typename"] == "Run", found
    return {**found, "tags": {t["key"]: t["value"] for t in found["tags"]}}


def runs(dagster: Deployment, **run_filter: Any) -> list[dict[str, Any]]:
    results = dagster.graphql(_RUNS, filter=run_filter)["runsOrError"]["results"]
    return [{**r, "tags": {t["key"]: t["value"] for t in r["tags"]}} for r in results]


def wait_for_run(dagster: Deployment, run_id: str, timeout: float = 180) -> str:
    def ended() -> str | None:
        status = run(dagster, run_id)["status"]
        return status if status in RUN_ENDED else None

    return wait_for(ended, f"run {run_id} to end", timeout)


def wait_for_status(dagster: Deployment, run_id: str, status: str, timeout: float = 120) -> None:
    def reached() -> bool:
        now = run(dagster, run_id)["status"]
        assert now not in RUN_ENDED or now == status, f"run {run_id} ended {now}"
        return now == status

    wait_for(reached, f"run {run_id} to be {status}", timeout)


def _sensor_selector(name: str) -> dict[str, str]:
    return {**REPOSITORY, "sensorName": name}


def sensor_state(dagster: Deployment, name: str) -> dict[str, Any]:
    found = dagster.graphql(_SENSOR, selector=_sensor_selector(name))["sensorOrError"]
    assert found["__typename"] == "Sensor", found
    return found["sensorState"]


def start_sensor(dagster: Deployment, name: str) -> str:
    result = dagster.graphql(_START_SENSOR, selector=_sensor_selector(name))["startSensor"]
    assert result["__typename"] == "Sensor", result
    return result["sensorState"]["id"]


def stop_sensor(dagster: Deployment, state_id: str) -> None:
    result = dagster.graphql(_STOP_SENSOR, id=state_id)["stopSensor"]
    assert result["instigationState"]["status"] == "STOPPED", result


def schedules(dagster: Deployment) -> dict[str, dict[str, Any]]:
    found = dagster.graphql(_SCHEDULES, selector=REPOSITORY)["schedulesOrError"]
    assert found["__typename"] == "Schedules", found
    return {s["name"]: s for s in found["results"]}


def history() -> tuple[str, str]:
    """The emulator's days, which are the deployment's partitions: today and the two before."""
    today = datetime.now(UTC).date()
    return (today - timedelta(days=DAYS - 1)).isoformat(), today.isoformat()


def _days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def run_worker_pid(cluster: Cluster, run_id: str) -> int:
    """The pid the run worker logged at start ("Started process for run (pid: N).")."""

    def logged() -> int | None:
        rows = cluster.query(
            "SELECT event FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
            (run_id, "ENGINE_EVENT"),
        )
        for (event,) in rows:
            if found := re.search(r"Started process for run \(pid: (\d+)\)", event):
                return int(found.group(1))
        return None

    return wait_for(logged, f"run {run_id}'s worker to log its pid", 120)


def run_times(cluster: Cluster, run_id: str) -> tuple[float, float]:
    """(start_time, end_time) of a finished run, as stored in PostgreSQL."""
    ((start, end),) = cluster.query(
        "SELECT start_time, end_time FROM runs WHERE run_id = %s", (run_id,)
    )
    return start, end


@contextmanager
def slow_emulator(emulator: Emulator, latency_ms: float) -> Iterator[None]:
    """Every emulator response takes `latency_ms` (so a run is caught mid-flight)."""
    emulator.config.faults.latency_ms = latency_ms
    try:
        yield
    finally:
        emulator.config.faults.latency_ms = 0.0


def wait_for_requests(
    emulator: Emulator, endpoint: str, more_than: int, timeout: float = 120
) -> None:
    """Until the emulator has received more than `more_than` requests to `endpoint`."""
    wait_for(
        lambda: emulator.requests[endpoint] > more_than,
        f"a {endpoint} request to reach the emulator",
        timeout,
    )


def sync_exactly(dagster: Deployment, emulator: Emulator, mirror: Path) -> None:
    """Bring the mirror exactly in line with one range run (a test's starting point)."""
    if mirror.exists() and not differences(emulator, mirror):
        return
    first, last = history()
    assert wait_for_run(dagster, launch_sync_run(dagster, first, last)) == "SUCCESS"
    assert differences(emulator, mirror) == []
