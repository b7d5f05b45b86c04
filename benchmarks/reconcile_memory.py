"""Peak memory of a reconcile: a full-refresh conversations sync over the whole history.

The emulated history is loaded once (conversations only: the reconcile's memory is in the
search side, the set difference of seen and stored ids), then the same full-window sync runs
again in a fresh process, as the weekly reconcile does, and reports that process's peak RSS.

    python -m benchmarks.reconcile_memory                          # 10^6 conversations
    python -m benchmarks.reconcile_memory --conversations 100000
"""

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if not __package__:  # `python benchmarks/reconcile_memory.py`: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import Machine, child_env, module_command, print_table
from benchmarks.emulator_process import emulator_process

DAYS = 100
NOW = 1_795_188_600


def _child(base_url: str, token: str, database: str) -> None:
    """One full-window conversations sync; prints its counts and this process's peak RSS."""
    from intercom_assets.client import IntercomClient
    from intercom_assets.storage import prepare_database
    from intercom_assets.sync.engine import SyncWindow, sync_conversations

    log = logging.getLogger("benchmarks.reconcile_memory")
    today = datetime.fromtimestamp(NOW, UTC).replace(hour=0, minute=0, second=0)
    window = SyncWindow(today - timedelta(days=DAYS - 1), today + timedelta(days=1))
    prepare_database(database, log)
    started = time.perf_counter()
    with IntercomClient(base_url, token, max_requests_per_minute=10**7) as client:
        result = sync_conversations(client, database, window, log)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "seen": result.seen,
                "new": result.new,
                "unchanged": result.unchanged,
                "deleted": result.deleted,
                "peak_rss_mib": peak_kib / 1024,
            }
        ),
        flush=True,
    )


def _run_child(base_url: str, token: str, database: Path) -> dict:
    command = module_command(
        "benchmarks.reconcile_memory", "--child", base_url, token, str(database)
    )
    done = subprocess.run(command, env=child_env(), capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, metavar=("BASE_URL", "TOKEN", "DATABASE"))
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    per_day = max(1, args.conversations // DAYS)
    emulator_args = [
        *("--days", str(DAYS), "--conversations-per-day", str(per_day)),
        *("--mean-parts", "0.5", "--large-conversations", "0", "--now", str(NOW)),
        *("--rate-limit", "10000000", "--window-seconds", "10"),
    ]
    machine = Machine.probe()
    with tempfile.TemporaryDirectory() as scratch, emulator_process(emulator_args) as emulator:
        database = Path(scratch) / "mirror.duckdb"
        load = _run_child(emulator.base_url, emulator.token, database)
        reconcile = _run_child(emulator.base_url, emulator.token, database)
    rows = [
        ("conversations", f"{per_day * DAYS:,} over {DAYS} days"),
        (
            "initial load: seconds / peak RSS",
            f"{load['seconds']:.0f} s / {load['peak_rss_mib']:,.0f} MiB",
        ),
        (
            "reconcile: seen / unchanged / deleted",
            f"{reconcile['seen']:,} / {reconcile['unchanged']:,} / {reconcile['deleted']}",
        ),
        ("reconcile: seconds", f"{reconcile['seconds']:.0f} s"),
        ("**reconcile: peak RSS** (goal <= 400 MB)", f"**{reconcile['peak_rss_mib']:,.0f} MiB**"),
    ]
    print_table("Reconcile memory", rows)
    print(machine.line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
