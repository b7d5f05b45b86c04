"""`serve()`: prints one line with URL and token, serves, and exits 0 on Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import requests

from intercom_assets.emulator.cli import build_parser, config_from_args

LAUNCH = "from intercom_assets.emulator.cli import serve; raise SystemExit(serve(sys.argv[1:]))"


def test_serve_prints_url_and_token_then_exits_zero_on_interrupt() -> None:
    argv = ["--port", "0", "--days", "1", "--conversations-per-day", "3", "--token", "t0k"]
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
        me = requests.get(f"{match.group(1)}/me", headers={"Authorization": "Bearer t0k"})
        assert me.status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
    assert process.stdout.read() == ""


def test_flags_map_onto_the_config() -> None:
    args = build_parser().parse_args(
        ["--seed", "3", "--rate-limit", "10", "--window-seconds", "1", "--html-503-rate", "0.2"]
    )
    config = config_from_args(args)
    assert (config.seed, config.rate_limit_per_window, config.window_seconds) == (3, 10, 1.0)
    assert config.faults.html_503_rate == 0.2
    assert (config.days, config.conversations_per_day, config.token) == (30, 50, "demo-token")
