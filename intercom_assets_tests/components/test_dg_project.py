"""The `dg` face of the project: the component is listed, and the code location loads from a
plain (non-editable) wheel install, where no pyproject.toml sits above the package."""

import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import requests

from intercom_assets.definitions import defs
from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import HISTORY, REPO, SYNC_SELECTION, query

BIN = Path(sys.executable).parent
DG = str(BIN / "dg")


def _run(args: list[str], cwd: Path, timeout: float = 300, **env: str) -> str:
    """stdout + stderr of a command that must succeed."""
    done = subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, "VIRTUAL_ENV": str(BIN.parent), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _PortTaken(Exception):
    """Another process bound the probed port before `dg dev`'s webserver did."""


def _location_served_by_dg_dev(env: dict[str, str], log: Path) -> str:
    """The code location's name as `dg dev` serves it, on the first port nobody else took."""
    for _ in range(3):
        try:
            return _serve_once(env, log)
        except _PortTaken:
            continue
    raise AssertionError("dg dev found every probed port taken")


def _serve_once(env: dict[str, str], log: Path) -> str:
    """Start `dg dev`, wait for the webserver, return the code location's name, stop it."""
    port = _free_port()
    with log.open("w") as out:
        server = subprocess.Popen(
            [DG, "dev", "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO,
            env={**os.environ, "VIRTUAL_ENV": str(BIN.parent), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            try:
                names = requests.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={
                        "query": "{ workspaceOrError { ... on Workspace {"
                        " locationEntries { name } } } }"
                    },
                    timeout=5,
                ).json()["data"]["workspaceOrError"]["locationEntries"]
                return ",".join(entry["name"] for entry in names)
            except (requests.RequestException, KeyError, TypeError):
                assert server.poll() is None, log.read_text()[-3000:]
                if "address already in use" in log.read_text():
                    raise _PortTaken from None
                time.sleep(1)
        raise AssertionError("dg dev did not answer within 150 s: " + log.read_text()[-3000:])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)


def test_dg_lists_the_component():
    listed = _run([str(BIN / "dg"), "list", "components"], REPO, COLUMNS="200")
    assert "intercom_assets.IntercomWorkspaceComponent" in listed


def test_the_code_location_loads_from_a_wheel_installed_in_a_fresh_venv(tmp_path):
    wheels = tmp_path / "wheels"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(REPO),
        ],
        tmp_path,
    )
    (wheel,) = wheels.glob("intercom_assets-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # Dependencies come from this venv's site-packages as a plain path entry: its .pth files
    # (the editable install's finder) are not processed, so only the wheel provides the package.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        tmp_path,
    )
    loaded = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import intercom_assets, intercom_assets.definitions as d;"
            "print(intercom_assets.__file__);"
            "print(sorted(k.to_user_string() for k in d.defs.resolve_all_asset_keys()))",
        ],
        tmp_path,
    )
    package, keys = loaded.strip().splitlines()[-2:]
    assert package.startswith(str(site))
    assert keys == str(sorted(k.to_user_string() for k in defs.resolve_all_asset_keys()))
    assert "'intercom/messages'" in keys


def test_the_readmes_dg_commands_work_without_supersession_warnings(
    emulator: Emulator, tmp_path: Path
):
    home, database = tmp_path / "home", tmp_path / "mirror.duckdb"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        "DAGSTER_HOME": str(home),
        "INTERCOM_BASE_URL": emulator.base_url,
        "INTERCOM_ACCESS_TOKEN": emulator.token,
        "INTERCOM_DUCKDB_PATH": str(database),
        "INTERCOM_MAX_REQUESTS_PER_MINUTE": "1000000",
    }
    printed = [
        _run([DG, "check", "yaml"], REPO, **env),
        _run([DG, "check", "defs"], REPO, **env),
        _run(
            [
                DG,
                "launch",
                "--assets",
                SYNC_SELECTION,
                "--partition-range",
                f"{HISTORY[0]}...{HISTORY[1]}",
            ],
            REPO,
            **env,
        ),
    ]
    location = _location_served_by_dg_dev(env, tmp_path / "dg-dev.log")
    printed.append((tmp_path / "dg-dev.log").read_text())

    assert "All definitions loaded successfully." in printed[1]
    assert query(database, "SELECT count(*) FROM intercom.conversations") == [
        (len(emulator.conversation_ids()),)
    ]
    # the same location name as workspace.yaml: sensor and schedule state are shared
    assert location == "intercom_assets"
    assert not [text for text in printed if "SupersessionWarning" in text]
