"""The no-op benchmark mode runs end to end and finds zero conversation GETs on a re-run."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_noop_mode_reports_zero_gets_on_an_unchanged_rerun() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.noop",
            "--conversations",
            "40",
            "--days",
            "2",
            "--latency-ms",
            "0",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "| **conversation GETs** (target 0)" in completed.stdout
    assert "| **0** |" in completed.stdout
