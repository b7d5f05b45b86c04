"""No-op mode: what a re-run costs when nothing changed in Intercom.

A backfill syncs the emulated history, the emulator's counters are reset, and the same job
runs again over the same partitions. It must make zero conversation GETs (only the search
calls that prove nothing changed); its wall time is what a daily reconcile costs.

    python -m benchmarks.noop                         # 20,000 conversations, 80 ms
    python -m benchmarks.noop --conversations 2000 --days 10
"""

import argparse
import sys
from pathlib import Path

if not __package__:  # `python benchmarks/noop.py`: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import Machine, SystemLoad, bound_seconds, own_usage, print_table
from benchmarks.job import run_sync_job
from benchmarks.scenario import add_arguments, apply_env, scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, conversations=20_000)
    parser.add_argument("--log-level", default="WARNING", help="of the job's console log")
    args = parser.parse_args(argv)
    machine = Machine.probe()
    with scenario(args) as scene:
        apply_env(scene.env)
        run = (scene.first_day, scene.last_day)
        initial = run_sync_job(*run, max_concurrency=args.max_concurrency, log_level=args.log_level)
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
        ("conversations upserted / messages written", _written(rerun.counters)),
        ("429s", str(stats.rate_limited)),
        ("peak RSS, job process (both runs)", f"{rerun.peak_rss_mib:,.0f} MiB"),
    ]
    print_table(f"No-op re-run: {scene.emulator.conversations:,} conversations unchanged", rows)
    print(f"\nMachine: {machine.line()}\nLoad (re-run only): {load_line}")
    ok = initial.success and rerun.success and gets == 0
    return 0 if ok else 1


def _written(counters: dict[str, int]) -> str:
    upserted = counters["conversations_new"] + counters["conversations_changed"]
    return f"{upserted:,} / {counters['messages_written']:,}"


if __name__ == "__main__":
    sys.exit(main())
