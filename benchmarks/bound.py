"""Bound mode: how close a real backfill gets to Intercom's rate limit.

The emulator runs in its own process with the real budget (1,667 requests per 10 s) and a
per-request latency; `intercom_sync_job` backfills every partition of its history into a
fresh DuckDB file in this process, exactly as a single-run backfill from the UI would. The
rate limit is the floor on sync time, so the figure of merit is bound / actual.

    python -m benchmarks.bound                        # 20,000 conversations, 80 ms
    python -m benchmarks.bound --conversations 2000 --days 10   # a quick run
"""

import argparse
import sys
from pathlib import Path

if not __package__:  # `python benchmarks/bound.py`: make the `benchmarks` package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import Machine, SystemLoad, own_usage, print_table
from benchmarks.job import run_sync_job
from benchmarks.scenario import add_arguments, api_rows, apply_env, scenario, usage_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, conversations=20_000)
    parser.add_argument("--log-level", default="INFO", help="of the job's console log")
    args = parser.parse_args(argv)
    machine = Machine.probe()
    with scenario(args) as scene:
        apply_env(scene.env)
        load = SystemLoad(lambda: own_usage()[0] + scene.emulator.stats().cpu_seconds)
        outcome = run_sync_job(
            scene.first_day, scene.last_day, concurrency=args.concurrency, log_level=args.log_level
        )
        stats = scene.emulator.stats()
        load_line = load.line()
    counters = outcome.counters
    rows = [
        ("run succeeded", str(outcome.success)),
        *api_rows(
            scene,
            stats,
            outcome.wall_seconds,
            scene.emulator.conversations,
            counters["messages_written"],
        ),
        ("step time (conversations, messages)", _steps(outcome.step_seconds)),
        *usage_rows(outcome, stats),
    ]
    print_table(
        f"Bound mode: {scene.emulator.conversations:,} conversations, "
        f"{args.latency_ms:g} ms latency",
        rows,
    )
    print(f"\nMachine: {machine.line()}\nLoad: {load_line}")
    for error in outcome.errors:
        print(f"error: {error}")
    return 0 if outcome.success else 1


def _steps(seconds: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())


if __name__ == "__main__":
    sys.exit(main())
