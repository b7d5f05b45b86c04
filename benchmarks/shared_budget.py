"""Shared-budget mode: two backfill runs at once, one rate-limit budget, one DuckDB file.

Two job processes backfill disjoint halves of the emulated history against one emulator.
Each client paces itself at our ceiling, so together they would send twice the budget; they
must stay under it by following X-RateLimit-Remaining / -Reset, and must interleave their
DuckDB batches (waiting on the file lock) instead of failing.

    python -m benchmarks.shared_budget                # 20,000 conversations in two runs
    python -m benchmarks.shared_budget --conversations 2000 --days 10
"""

import argparse
import json
import resource
import subprocess
import sys
from pathlib import Path

import dagster as dg

if not __package__:  # `python benchmarks/shared_budget.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (
    Machine,
    SystemLoad,
    child_env,
    module_command,
    print_table,
    split_days,
)
from benchmarks.job import JobOutcome
from benchmarks.scenario import add_arguments, api_rows, scenario


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _start_run(
    first: str, last: str, env: dict[str, str], args: argparse.Namespace
) -> subprocess.Popen:
    extra = ["--max-concurrency", str(args.max_concurrency)] if args.max_concurrency else []
    command = module_command("benchmarks.job", first, last, "--log-level", args.log_level, *extra)
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=child_env(**env))


def _outcome(process: subprocess.Popen) -> JobOutcome:
    stdout, _ = process.communicate()
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        return JobOutcome(False, 0.0, 0.0, 0.0, errors=[f"exit code {process.returncode}"])
    return JobOutcome(**json.loads(lines[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, conversations=20_000)
    parser.add_argument("--log-level", default="WARNING", help="of each job's console log")
    args = parser.parse_args(argv)
    machine = Machine.probe()
    with scenario(args) as scene:
        halves = split_days(scene.first_day, scene.last_day)
        load = SystemLoad(lambda: _children_cpu() + scene.emulator.stats().cpu_seconds)
        # Two processes creating a fresh SQLite instance at once race on its tables.
        with dg.DagsterInstance.from_config(scene.env["DAGSTER_HOME"]):
            pass
        processes = [_start_run(first, last, scene.env, args) for first, last in halves]
        outcomes = [_outcome(process) for process in processes]
        stats = scene.emulator.stats()
        load_line = load.line()
    wall = max(outcome.wall_seconds for outcome in outcomes)
    messages = sum(outcome.counters.get("messages_written", 0) for outcome in outcomes)
    rows = [("both runs succeeded", str(all(outcome.success for outcome in outcomes)))]
    for (first, last), outcome in zip(halves, outcomes, strict=True):
        rows.append((f"run {first}..{last}", _run_line(outcome)))
    rows += api_rows(scene, stats, wall, scene.emulator.conversations, messages)
    print_table(
        f"Shared budget: two runs, {scene.emulator.conversations:,} conversations, "
        f"{args.latency_ms:g} ms latency, budget {args.rate_limit}/{args.window_seconds:g}s",
        rows,
    )
    print(f"\nMachine: {machine.line()}\nLoad: {load_line}")
    for outcome in outcomes:
        for error in outcome.errors:
            print(f"error: {error}")
    return 0 if all(outcome.success for outcome in outcomes) else 1


def _run_line(outcome: JobOutcome) -> str:
    counters = outcome.counters
    return (
        f"{'ok' if outcome.success else 'FAILED'} in {outcome.wall_seconds:.1f} s, "
        f"{counters.get('api_requests', 0):,} requests, {counters.get('api_429s', 0)} 429s, "
        f"{outcome.lock_waits} DuckDB lock waits ({outcome.lock_wait_seconds:.1f} s), "
        f"peak RSS {outcome.peak_rss_mib:,.0f} MiB"
    )


if __name__ == "__main__":
    sys.exit(main())
