"""A newcomer's path: run the demo, then every command it prints, exactly as printed, in a
fresh shell at the repo root (no venv activated): one-shot commands exit 0 with the expected
output, the server command starts and answers its health endpoints, and Ctrl-C stops it."""

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from intercom_assets_tests.ui.dagster_dev import wait_for

REPO = Path(__file__).parents[2]
DEMO_ARGS = ("demo", "--days", "2", "--conversations-per-day", "5")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_shell_env(tmp_path: Path) -> dict[str, str]:
    """What a new terminal has: no venv on PATH, no Dagster or Intercom settings."""
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}


def test_every_command_the_demo_prints_works_as_printed(tmp_path: Path) -> None:
    ports = {"INTERCOM_DEV_PORT": str(_free_port()), "INTERCOM_EMULATOR_PORT": str(_free_port())}
    demo_env = {
        **_fresh_shell_env(tmp_path),
        "DAGSTER_HOME": str(tmp_path / "home"),
        "INTERCOM_DUCKDB_PATH": str(tmp_path / "mirror.duckdb"),
        **ports,  # 3000 and 8765 may be taken on a shared machine; the demo prints them then
    }
    demo = subprocess.run(
        [*(sys.executable, "-m", "intercom_assets.cli.main"), *DEMO_ARGS],
        env=demo_env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    steps = demo.stdout.split("Next steps")[1]
    commands = [line.strip() for line in steps.splitlines() if "intercom-assets " in line]
    assert [re.search(r"intercom-assets (\w+)", c).group(1) for c in commands] == ["dev", "query"]
    assert all(" .venv/bin/intercom-assets " in f" {c} " for c in commands), commands

    dev_command, query_command = commands
    query = subprocess.run(
        ["bash", "-c", query_command],
        env=_fresh_shell_env(tmp_path),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert query.returncode == 0, query.stderr
    sources = re.search(r"│ source\s+│\s+(\d+)\s+│", query.stdout)
    assert sources and 5 <= int(sources.group(1)) <= 10, query.stdout  # yesterday's 5 + today's

    server = subprocess.Popen(
        ["bash", "-c", dev_command],
        env=_fresh_shell_env(tmp_path),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        ui = f"http://127.0.0.1:{ports['INTERCOM_DEV_PORT']}/server_info"
        emulator = f"http://127.0.0.1:{ports['INTERCOM_EMULATOR_PORT']}/_emulator/health"

        def answering() -> bool:
            try:
                return requests.get(ui, timeout=2).ok and requests.get(emulator, timeout=2).ok
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read().decode()[-3000:]
                return False

        wait_for(answering, "the dev server's health endpoints", 150)
        health = requests.get(emulator, timeout=5).json()
        assert (health["conversations_per_day"], health["first_day"]) == (5, _first_day(tmp_path))
    finally:
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C in that terminal
        assert server.wait(timeout=60) == 0


def _first_day(tmp_path: Path) -> str:
    import json

    return json.loads((tmp_path / "home" / "intercom_emulator.json").read_text())["first_day"]


assert os.sep == "/"  # the printed commands are POSIX shell lines
