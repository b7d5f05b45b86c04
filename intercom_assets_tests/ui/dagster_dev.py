"""`dagster dev` (webserver + daemon) as a subprocess, and GraphQL waits on what it runs.

The browser performs every action; GraphQL is only used to *wait* (for a run to end, for a
sensor tick) so a failed run fails the test at once instead of after a UI timeout.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psutil
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DAGSTER = Path(sys.executable).parent / "dagster"
LOCATION = "intercom_assets"
RUN_ENDED = ("SUCCESS", "FAILURE", "CANCELED")
EMULATED_DAYS = 3  # the live emulator's history behind every browser test
TICK_DONE = ("SKIPPED", "SUCCESS")

T = TypeVar("T")

_RUN_STATUS = """
query RunStatus($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { status } }
}
"""
_SENSOR_TICKS = """
query SensorTicks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { ticks(limit: 20) { status runIds error { message } } } }
  }
}
"""


def wait_for(probe: Callable[[], T | None], what: str, timeout: float) -> T:
    """Poll `probe` every half second until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)
    return value


@dataclass(frozen=True)
class DagsterDev:
    """A running `dagster dev`: its URL, process and combined log."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def _check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"dagster dev exited ({self.process.returncode}):\n{tail}")

    def is_serving(self) -> bool:
        self._check_alive()
        try:
            return requests.get(f"{self.url}/server_info", timeout=2).ok
        except requests.ConnectionError:
            return False

    def graphql(self, query: str, **variables: Any) -> dict[str, Any]:
        self._check_alive()
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=30
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), f"GraphQL errors: {body['errors']}"
        return body["data"]

    def wait_for_run(self, run_id: str, timeout: float = 180) -> str:
        """The run's final status (SUCCESS, FAILURE or CANCELED)."""

        def ended() -> str | None:
            run = self.graphql(_RUN_STATUS, runId=run_id)["runOrError"]
            assert run["__typename"] == "Run", f"run {run_id}: {run['__typename']}"
            return run["status"] if run["status"] in RUN_ENDED else None

        return wait_for(ended, f"run {run_id} to end", timeout)

    def _ticks(self, sensor: str) -> list[dict[str, Any]]:
        selector = {
            "repositoryLocationName": LOCATION,
            "repositoryName": "__repository__",
            "sensorName": sensor,
        }
        found = self.graphql(_SENSOR_TICKS, selector=selector)["sensorOrError"]
        assert found["__typename"] == "Sensor", f"sensor {sensor}: {found['__typename']}"
        ticks = found["sensorState"]["ticks"]
        failed = [tick["error"]["message"] for tick in ticks if tick["status"] == "FAILURE"]
        assert not failed, f"{sensor} tick failed: {failed[0]}"
        return ticks

    def wait_for_tick(self, sensor: str, timeout: float = 60) -> None:
        """Until the sensor has completed a tick (so its cursor is set)."""
        wait_for(
            lambda: any(tick["status"] in TICK_DONE for tick in self._ticks(sensor)),
            f"a completed tick of {sensor}",
            timeout,
        )

    def requested_runs(self, sensor: str) -> set[str]:
        """Every run id the sensor's recent ticks requested."""
        return {run_id for tick in self._ticks(sensor) for run_id in tick["runIds"]}

    def wait_for_requested_runs(
        self, sensor: str, timeout: float = 60, known: frozenset[str] = frozenset()
    ) -> list[str]:
        """The run ids requested by the sensor's first tick that requested any not `known`."""

        def requested() -> list[str] | None:
            ticks = self._ticks(sensor)  # newest first
            with_runs = [tick["runIds"] for tick in ticks if set(tick["runIds"]) - known]
            return with_runs[-1] if with_runs else None

        return wait_for(requested, f"{sensor} to request a run", timeout)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _still_running(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those not yet gone (a zombie left to an init that does not reap counts as gone)."""
    running = []
    for proc in processes:
        with suppress(psutil.NoSuchProcess):
            if proc.status() != psutil.STATUS_ZOMBIE:
                running.append(proc)
    return running


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group (dagster dev stops its children), then SIGKILL leftovers."""
    family: list[psutil.Process] = []
    with suppress(psutil.NoSuchProcess):
        family = psutil.Process(process.pid).children(recursive=True)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    process.kill()
    process.wait()
    psutil.wait_procs(family, timeout=10)
    for leftover in _still_running(family):
        with suppress(psutil.NoSuchProcess):
            leftover.kill()
    psutil.wait_procs(family, timeout=5)
    stray = _still_running(family)
    assert not stray, f"processes outlived dagster dev: {[proc.pid for proc in stray]}"


@contextmanager
def running_dagster_dev(
    env: dict[str, str], log: Path, timeout: float = 120
) -> Iterator[DagsterDev]:
    """`dagster dev -w workspace.yaml` on a free port, in its own process group."""
    port = _free_port()
    # dagster dev maps SIGTERM to its SIGINT handling; started from a shell's background job
    # SIGINT would be inherited as ignored and dagster dev could only be killed, not stopped.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(DAGSTER), "dev", "-w", "workspace.yaml", "-p", str(port)],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    finally:
        signal.signal(signal.SIGINT, inherited)
    dev = DagsterDev(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_for(dev.is_serving, "dagster dev to answer /server_info", timeout)
        yield dev
    finally:
        _stop(process)
