"""No-op mode: what a re-run costs when nothing changed in Intercom.

A backfill syncs the emulated history, the emulator's counters are reset, and the same job
runs again over the same partitions. It must make zero conversation GETs (only the search
calls that prove nothing changed); its wall time is what a daily reconcile costs.

    python -m benchmarks.noop                         # 20,000 conversations, 80 ms
    python -m benchmarks.noop --conversations 2000 --days 10
    python -m benchmarks.noop --conversations 100000 --fast-backfill

`--fast-backfill` makes sizes of 10^5-10^6 practical (the real budget would take ~100 min
per 10^6): the emulator drops its latency and budget and the backfill runs in a child
process with a high request ceiling; then the emulator gets the real latency and budget
back and the measured re-run runs here as usual.
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

if not __package__:  # `python benchmarks/noop.py`: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (
    Machine,
    SystemLoad,
    bound_seconds,
    child_env,
    module_command,
    own_usage,
    print_table,
)
from benchmarks.job import JobOutcome, run_sync_job
from benchmarks.scenario import Scenario, add_arguments, apply_env, scenario

# The fast backfill's ceiling and the emulator's budget meanwhile: no limit in practice.
UNLIMITED = 10**9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, conversations=20_000)
    parser.add_argument("--log-level", default="WARNING", help="of the job's console log")
    parser.add_argument(
        "--fast-backfill",
        action="store_true",
        help="backfill without latency or budget (in a child process), then measure the "
        "re-run at the real ones",
    )
    args = parser.parse_args(argv)
    machine = Machine.probe()
    with scenario(args) as scene:
        apply_env(scene.env)
        run = (scene.first_day, scene.last_day)
        if args.fast_backfill:
            initial = _fast_backfill(scene, args)
        else:
            initial = run_sync_job(
                *run, max_concurrency=args.max_concurrency, log_level=args.log_level
            )
        print(
            f"initial sync: {'ok' if initial.success else 'FAILED'} in "
            f"{initial.wall_seconds:.1f}s, {initial.counters['api_requests']:,} requests",
            flush=True,
        )
        scene.emulator.reset()
        load = SystemLoad(lambda: own_usage()[0] + scene.emulator.stats().cpu_seconds)
        rerun = run_sync_job(*run, max_concurrency=args.max_concurrency, log_level=args.log_level)
        stats = scene.emulator.stats()
        load_line = load.line()
    gets = stats.requests.get("get", 0)
    searches = stats.requests.get("search", 0)
    bound = bound_seconds(stats.total, scene.rate_limit, scene.window_seconds)
    by_endpoint = ", ".join(f"{name} {count:,}" for name, count in sorted(stats.requests.items()))
    rows = [
        ("initial sync succeeded", str(initial.success)),
        ("re-run succeeded", str(rerun.success)),
        ("conversations", f"{scene.emulator.conversations:,}"),
        ("re-run requests by endpoint", by_endpoint or "none"),
        ("**conversation GETs** (target 0)", f"**{gets}**"),
        ("search calls", f"{searches:,} (N/150 = {-(-scene.emulator.conversations // 150):,})"),
        ("re-run wall time, end to end", f"{rerun.wall_seconds:.1f} s"),
        ("re-run wall time, first to last request", f"{stats.active_seconds:.1f} s"),
        ("rate-limit bound for those requests", f"{bound:.1f} s"),
        (
            "**first to last / bound** (target <= 1.2)",
            f"**{stats.active_seconds / max(bound, 1e-9):.2f}**",
        ),
        ("conversations upserted / messages written", _written(rerun.counters)),
        ("429s", str(stats.rate_limited)),
        ("peak RSS, job process (both runs)", f"{rerun.peak_rss_mib:,.0f} MiB"),
    ]
    print_table(f"No-op re-run: {scene.emulator.conversations:,} conversations unchanged", rows)
    print(f"\nMachine: {machine.line()}\nLoad (re-run only): {load_line}")
    for name, outcome in (("initial sync", initial), ("re-run", rerun)):
        for error in outcome.errors:
            print(f"{name} failed: {error}")
    ok = initial.success and rerun.success and gets == 0
    return 0 if ok else 1


def _fast_backfill(scene: Scenario, args: argparse.Namespace) -> JobOutcome:
    """The initial sync without latency or budget, in a child process (the definitions read
    the request ceiling at import, and the measured re-run needs the real one)."""
    emulator = scene.emulator
    emulator.configure(
        latency_ms=0, search_latency_ms=0, latency_jitter=0, rate_limit_per_window=UNLIMITED
    )
    env = child_env(**{**scene.env, "INTERCOM_MAX_REQUESTS_PER_MINUTE": str(UNLIMITED)})
    if args.max_concurrency is not None:
        env["INTERCOM_MAX_CONCURRENCY"] = str(args.max_concurrency)
    command = module_command(
        "benchmarks.job", scene.first_day, scene.last_day, "--log-level", args.log_level
    )
    started = time.monotonic()
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    emulator.configure(
        latency_ms=args.latency_ms,
        search_latency_ms=args.search_latency_ms,
        latency_jitter=args.jitter,
        rate_limit_per_window=args.rate_limit,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return JobOutcome(False, time.monotonic() - started, 0.0, 0.0, {"api_requests": 0})
    return JobOutcome(**json.loads(lines[-1]))


def _written(counters: dict[str, int]) -> str:
    upserted = counters["conversations_new"] + counters["conversations_changed"]
    return f"{upserted:,} / {counters['messages_written']:,}"


if __name__ == "__main__":
    sys.exit(main())
