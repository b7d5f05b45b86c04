"""`serve()`: prints one line with URL and token, serves, and exits 0 on Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import requests

from intercom_assets.emulator.anchor import ANCHOR_FILE, resolve_first_day
from intercom_assets.emulator.cli import build_parser, config_from_args

LAUNCH = "from intercom_assets.emulator.cli import serve; raise SystemExit(serve(sys.argv[1:]))"


def test_serve_prints_url_and_token_then_exits_zero_on_interrupt() -> None:
    argv = ["--port", "0", "--first-day", "2026-11-01", "--conversations-per-day", "3"]
    argv += ["--token", "t0k", "--extra-token", "old=revoked", "--activity-per-minute", "6"]
    process = subprocess.Popen(
        [sys.executable, "-c", f"import sys; {LAUNCH}", *argv],
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().rstrip("\n")
        match = re.fullmatch(r"Intercom emulator on (http://127\.0\.0\.1:\d+) — token: t0k", line)
        assert match, line
        assert process.stdout.readline() == (
            "History from 2026-11-01 (seed 7, 3/day, 6 events/min); "
            f"control: {match.group(1)}/_emulator/health\n"
        )
        me = requests.get(f"{match.group(1)}/me", headers={"Authorization": "Bearer t0k"})
        assert me.status_code == 200
        old = requests.get(f"{match.group(1)}/me", headers={"Authorization": "Bearer old"})
        assert old.json()["errors"][0]["code"] == "token_revoked"
        health = requests.get(f"{match.group(1)}/_emulator/health").json()
        assert (health["first_day"], health["activity_per_minute"]) == ("2026-11-01", 6)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
    assert process.stdout.read() == ""


def _serve(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    return subprocess.run(
        [sys.executable, "-c", f"import sys; {LAUNCH}", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=30,
    )


def test_a_port_already_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = _serve("--port", str(port), "--first-day", "2026-11-01", cwd=tmp_path)
    assert run.returncode == 2
    assert run.stderr == (
        f"intercom-assets emulator: port {port} on 127.0.0.1 is already in use (another "
        "emulator or `intercom-assets dev`?): stop it or pass --port N.\n"
    )
    assert run.stdout == ""


def test_bad_flags_are_one_line_and_exit_2(tmp_path: Path) -> None:
    future = _serve("--first-day", "2999-01-01", cwd=tmp_path)
    assert (future.returncode, future.stderr) == (
        2,
        "intercom-assets emulator: --first-day: 2999-01-01 is in the future; "
        "the history must start by today\n",
    )
    token = _serve("--extra-token", "nomode", "--first-day", "2026-11-01", cwd=tmp_path)
    assert token.returncode == 2
    assert token.stderr.startswith("intercom-assets emulator: --extra-token 'nomode': use")


def test_the_first_day_is_recorded_in_the_dagster_home_on_first_use(tmp_path: Path) -> None:
    home = tmp_path / ".dagster_home"
    assert resolve_first_day(home, days=3) == (date.today() - timedelta(days=2)).isoformat()
    recorded = json.loads((home / ANCHOR_FILE).read_text())
    assert resolve_first_day(home, days=30) == recorded["first_day"]  # later: the anchor wins
    assert resolve_first_day(home, days=30, first_day="2026-01-05") == "2026-01-05"


def test_flags_map_onto_the_config() -> None:
    args = build_parser().parse_args(
        ["--seed", "3", "--rate-limit", "10", "--window-seconds", "1", "--html-503-rate", "0.2"]
    )
    config = config_from_args(args)
    assert (config.seed, config.rate_limit_per_window, config.window_seconds) == (3, 10, 1.0)
    assert config.faults.html_503_rate == 0.2
    assert (config.days, config.conversations_per_day, config.token) == (30, 50, "demo-token")
