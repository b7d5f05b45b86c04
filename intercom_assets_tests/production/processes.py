"""The production topology as separate OS processes: a gRPC code server, `dagster-daemon`
and `dagster-webserver`, each in its own process group with its own log file.

Only the code server gets the Intercom token (run workers are its children); the daemon and
the webserver reach the code location through `workspace.yaml`'s `grpc_server` entry.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

import psutil
import requests

from intercom_assets_tests.production.artifacts import image_command, service_command, with_options

BIN = Path(sys.executable).parent
LOCATION = "intercom_assets"
T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], what: str, timeout: float) -> T:
    """Poll `probe` every half second until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while not (value := probe()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}")
        time.sleep(0.5)
    return value


class Service:
    """One long-running Dagster process: start, stop (SIGTERM, then SIGKILL), kill, restart."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.log = logs / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Service":
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{self.name} is not running:\n{tail}")

    def family(self) -> list[psutil.Process]:
        with suppress(psutil.NoSuchProcess):
            root = psutil.Process(self.pid)
            return [root, *root.children(recursive=True)]
        return []

    def kill(self) -> None:
        """SIGKILL the whole process group, as an OOM kill or a lost node would."""
        self._signal_group(signal.SIGKILL)
        self._reap(timeout=10)

    def stop(self) -> None:
        if self.process is None:
            return
        self._signal_group(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=15)
        self._signal_group(signal.SIGKILL)
        self._reap(timeout=10)

    def _signal_group(self, sig: signal.Signals) -> None:
        family = self.family()
        with suppress(ProcessLookupError):
            os.killpg(self.pid, sig)
        if sig == signal.SIGKILL:  # children that moved to their own group too
            for proc in family:
                with suppress(psutil.NoSuchProcess):
                    proc.kill()

    def _reap(self, timeout: float) -> None:
        family = self.family()
        assert self.process is not None
        self.process.wait(timeout=timeout)
        psutil.wait_procs(family, timeout=timeout)


class Deployment:
    """Code server + daemon + webserver over one DAGSTER_HOME (PostgreSQL-backed)."""

    def __init__(self, home: Path, base_env: dict[str, str], code_env: dict[str, str]) -> None:
        from intercom_assets_tests.production.postgres import free_port

        self.home = home
        self.grpc_port, self.web_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        workspace = home / "workspace.yaml"
        workspace.write_text(
            "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
            f"      port: {self.grpc_port}\n      location_name: {LOCATION}\n"
        )
        logs = home.parent / "process-logs"
        logs.mkdir(exist_ok=True)
        # The commands of deploy/Dockerfile and deploy/compose.yaml, on loopback ports.
        loopback = {"h": "127.0.0.1"}
        commands = {
            "code_location": with_options(image_command(), **loopback, p=str(self.grpc_port)),
            "daemon": with_options(service_command("daemon"), w=str(workspace)),
            "webserver": with_options(
                service_command("webserver"), **loopback, p=str(self.web_port), w=str(workspace)
            ),
        }
        argv = {name: [str(BIN / cmd[0]), *cmd[1:]] for name, cmd in commands.items()}
        self.code_server = Service(
            "code-server", argv["code_location"], {**base_env, **code_env}, logs
        )
        self.daemon = Service("daemon", argv["daemon"], base_env, logs)
        self.webserver = Service("webserver", argv["webserver"], base_env, logs)

    @property
    def services(self) -> list[Service]:
        return [self.code_server, self.daemon, self.webserver]

    def start(self, timeout: float = 180) -> None:
        for service in self.services:
            service.start()
        self.wait_until_loaded(timeout)
        wait_for(self.daemon_healthy, "every daemon to report a heartbeat", timeout)

    def stop(self) -> list[int]:
        """Stop every service; the pids of any process that outlived it (expected: none)."""
        family = [proc for service in self.services for proc in service.family()]
        for service in reversed(self.services):
            service.stop()
        alive = []
        for proc in family:
            with suppress(psutil.NoSuchProcess):
                if proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(proc.pid)
        return alive

    def is_serving(self) -> bool:
        self.webserver.check_alive()
        try:
            return requests.get(f"{self.url}/server_info", timeout=2).ok
        except requests.RequestException:
            return False

    def graphql(self, query: str, **variables: object) -> dict:
        self.webserver.check_alive()
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), f"GraphQL errors: {body['errors']}"
        return body["data"]

    def location_loaded(self) -> bool:
        if not self.is_serving():
            return False
        self.code_server.check_alive()
        data = self.graphql(
            "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus"
            " locationOrLoadError { __typename } } } } }"
        )
        entries = data["workspaceOrError"]["locationEntries"]
        return any(
            e["name"] == LOCATION
            and e["loadStatus"] == "LOADED"
            and e["locationOrLoadError"]["__typename"] == "RepositoryLocation"
            for e in entries
        )

    def reload_location(self) -> bool:
        """Ask the webserver to reconnect to the code server (after a restart)."""
        data = self.graphql(
            "mutation($name: String!) { reloadRepositoryLocation(repositoryLocationName: $name)"
            " { __typename ... on WorkspaceLocationEntry { loadStatus locationOrLoadError"
            " { __typename } } } }",
            name=LOCATION,
        )["reloadRepositoryLocation"]
        return data.get("locationOrLoadError", {}).get("__typename") == "RepositoryLocation"

    def wait_until_loaded(self, timeout: float = 180) -> None:
        wait_for(self.is_serving, "dagster-webserver to answer /server_info", timeout)
        wait_for(
            lambda: self.location_loaded() or (self.reload_location() and False),
            "the webserver to load the code location over gRPC",
            timeout,
        )

    def daemon_healthy(self) -> bool:
        self.daemon.check_alive()
        data = self.graphql(
            "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }"
        )
        statuses = data["instance"]["daemonHealth"]["allDaemonStatuses"]
        return all(s["healthy"] for s in statuses if s["required"])

    def restart_code_server(self, timeout: float = 180) -> None:
        self.code_server.kill()
        self.code_server.start()
        wait_for(self.reload_location, "the restarted code server to load", timeout)
