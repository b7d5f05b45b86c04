"""A measured sync scenario: an emulator process, a fresh DuckDB file and DAGSTER_HOME.

Shared by the bound, no-op and shared-budget modes so they emulate the same workspace with
the same flags and report API-bound runs the same way.
"""

import argparse
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import (
    BUDGET_PER_MINUTE,
    bound_seconds,
    history_days,
    ideal_requests,
    prepare_dagster_home,
    sync_env,
)
from benchmarks.emulator_process import EmulatorProcess, EmulatorStats, emulator_process
from benchmarks.job import JobOutcome


def add_arguments(
    parser: argparse.ArgumentParser, *, conversations: int, latency_list: bool = False
) -> None:
    """`latency_list`: `--latency-ms` takes a comma-separated list (one run per latency)."""
    add = parser.add_argument
    add("--conversations", type=int, default=conversations, help="N, spread over --days")
    add("--days", type=int, default=100, help="days of emulated history (one partition each)")
    if latency_list:
        add("--latency-ms", type=_floats, default=[80.0], help="e.g. 80,300,1000")
    else:
        add("--latency-ms", type=float, default=80.0, help="emulated per-request latency")
    add("--jitter", type=float, default=0.0, help="0.5: each latency within +/-50%%")
    add("--search-latency-ms", type=float, default=0.0, help="search pages (default: latency)")
    add(
        "--charge-after-latency",
        action="store_true",
        help="the emulator charges a request to the rate-limit window when it answers, "
        "not when it arrives (the default: Intercom's latency is processing time)",
    )
    add("--rate-limit", type=int, default=1667, help="emulated budget per window")
    add("--window-seconds", type=float, default=10.0)
    add("--mean-parts", type=float, default=8.0, help="mean parts per conversation")
    add("--body-scale", type=int, default=1, help="10: each part's body 10x larger")
    add("--seed", type=int, default=7)
    add("--max-concurrency", type=int, default=None, help="override INTERCOM_MAX_CONCURRENCY")
    add("--workdir", type=Path, default=None, help="keep DuckDB and DAGSTER_HOME here")


def _floats(raw: str) -> list[float]:
    return [float(value) for value in raw.split(",") if value.strip()]


@dataclass(frozen=True)
class Scenario:
    emulator: EmulatorProcess
    first_day: str
    last_day: str
    database: Path
    env: dict[str, str]  # INTERCOM_* and DAGSTER_HOME for the job process
    rate_limit: int
    window_seconds: float


@contextmanager
def scenario(args: argparse.Namespace) -> Iterator[Scenario]:
    """Start the emulator for `args` and yield where a job should sync it to."""
    per_day = max(1, args.conversations // args.days)
    emulator_args = [
        f"--days={args.days}",
        f"--conversations-per-day={per_day}",
        f"--latency-ms={args.latency_ms}",
        f"--latency-jitter={args.jitter}",
        f"--search-latency-ms={args.search_latency_ms}",
        *([] if args.charge_after_latency else ["--charge-on-arrival"]),
        f"--rate-limit={args.rate_limit}",
        f"--window-seconds={args.window_seconds}",
        f"--mean-parts={args.mean_parts}",
        f"--body-scale={args.body_scale}",
        f"--seed={args.seed}",
    ]
    with tempfile.TemporaryDirectory(prefix="intercom-bench-") as scratch:
        folder = args.workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "intercom.duckdb"
        for stale in (database, database.with_suffix(".duckdb.wal")):
            stale.unlink(missing_ok=True)  # always a fresh mirror
        home = prepare_dagster_home(folder)
        first_day, last_day = history_days(args.days)
        with emulator_process(emulator_args) as emulator:
            print(
                f"emulator pid {emulator.pid}: {emulator.conversations:,} conversations over "
                f"{args.days} days (built in {emulator.build_seconds:.1f}s), "
                f"latency {args.latency_ms:g} ms (jitter {args.jitter:g}), "
                f"budget {args.rate_limit}/"
                f"{args.window_seconds:g}s",
                flush=True,
            )
            env = sync_env(emulator.base_url, emulator.token, first_day, database)
            env["DAGSTER_HOME"] = str(home)
            yield Scenario(
                emulator, first_day, last_day, database, env, args.rate_limit, args.window_seconds
            )


def apply_env(env: dict[str, str]) -> None:
    """For an in-process job: must run before `intercom_assets.definitions` is imported."""
    os.environ.update(env)


def api_rows(
    scene: Scenario, stats: EmulatorStats, wall_seconds: float, conversations: int, messages: int
) -> list[tuple[str, str]]:
    """The API-bound metrics of a sync, timed both first-to-last request and end to end."""
    span = stats.active_seconds
    made = stats.total
    bound = bound_seconds(made, scene.rate_limit, scene.window_seconds)
    ideal = bound_seconds(ideal_requests(conversations), scene.rate_limit, scene.window_seconds)
    per_second = min(BUDGET_PER_MINUTE / 60, scene.rate_limit / scene.window_seconds)
    by_endpoint = ", ".join(f"{name} {count:,}" for name, count in sorted(stats.requests.items()))
    busiest = max(stats.window_counts[1:-1] or stats.window_counts or [0])

    def rates(count: int) -> str:
        return (
            f"{count / max(span, 1e-9):,.1f} first-to-last, {count / wall_seconds:,.1f} end to end"
        )

    return [
        ("conversations", f"{conversations:,}"),
        ("messages written", f"{messages:,}"),
        ("wall time, end to end (job run)", f"{wall_seconds:.1f} s"),
        ("wall time, first to last API request", f"{span:.1f} s"),
        ("conversations/s", rates(conversations)),
        ("messages/s", rates(messages)),
        ("requests", f"{made:,} ({by_endpoint})"),
        ("requests/s", f"{rates(made)} (budget {per_second:.1f})"),
        (
            "429s",
            f"{stats.rate_limited} ({100 * stats.rate_limited / max(made, 1):.2f}% of requests)",
        ),
        ("busiest full rate-limit window", f"{busiest:,} requests (limit {scene.rate_limit:,})"),
        ("bound for requests made", f"{bound:.1f} s ({made:,} / {per_second:.1f} per s)"),
        ("**bound / actual**, first to last request", f"**{bound / max(span, 1e-9):.3f}**"),
        ("bound / actual, end to end", f"{bound / wall_seconds:.3f}"),
        (
            "issue bound (N/150 + N requests) / actual",
            f"{ideal:.1f} s: {ideal / max(span, 1e-9):.3f} first to last, "
            f"{ideal / wall_seconds:.3f} end to end",
        ),
    ]


def usage_rows(outcome: JobOutcome, stats: EmulatorStats) -> list[tuple[str, str]]:
    wall = max(outcome.wall_seconds, 1e-9)
    return [
        ("peak RSS, job process", f"{outcome.peak_rss_mib:,.0f} MiB"),
        (
            "peak RSS by step",
            ", ".join(f"{step} {mib:,.0f}" for step, mib in outcome.step_peak_rss_mib.items()),
        ),
        (
            "CPU, job process",
            f"{outcome.cpu_seconds:.1f} s ({outcome.cpu_seconds / wall:.0%} of a core)",
        ),
        (
            "CPU, emulator process",
            f"{stats.cpu_seconds:.1f} s, peak RSS {stats.peak_rss_mib:.0f} MiB",
        ),
    ]
