"""The metrics benchmark runs end to end at a small size and recomputes nothing on a no-op."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SMALL = ("--conversations", "300", "--messages", "3000")


def test_metrics_benchmark_reports_its_figures() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.metrics", *SMALL],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "### Metrics over 3,000 messages" in completed.stdout
    assert "| 300 conversations, 30 days |" in completed.stdout
    assert "| no-op refresh (nothing changed)    | " in completed.stdout
    assert ", 0 rows |" in completed.stdout
    assert "| one changed day                    | " in completed.stdout
    assert "s, 10 rows |" in completed.stdout
