"""Bound mode: how close a real backfill gets to Intercom's rate limit.

The emulator runs in its own process with the real budget (1,667 requests per 10 s) and a
per-request latency; `intercom_sync_job` backfills every partition of its history into a
fresh DuckDB file in this process, exactly as a single-run backfill from the UI would. The
rate limit is the floor on sync time, so the figure of merit is bound / actual.

    python -m benchmarks.bound                        # 20,000 conversations, 80 ms
    python -m benchmarks.bound --conversations 2000 --days 10   # a quick run
    python -m benchmarks.bound --latency-ms 80,300,1000 --jitter 0.5   # one run per latency

With several latencies each runs in its own process (the definitions read the environment at
import) and a summary table follows: ratio first to last, 429s and peak RSS per latency.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

if not __package__:  # `python benchmarks/bound.py`: make the `benchmarks` package importable
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
from benchmarks.job import run_sync_job
from benchmarks.scenario import add_arguments, api_rows, apply_env, scenario, usage_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, conversations=20_000, latency_list=True)
    parser.add_argument("--log-level", default="INFO", help="of the job's console log")
    parser.add_argument("--summary-json", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    argv = sys.argv[1:] if argv is None else argv
    if len(args.latency_ms) > 1:
        return _each_latency(args, argv)
    args.latency_ms = args.latency_ms[0]
    return _one_latency(args)


def _one_latency(args: argparse.Namespace) -> int:
    machine = Machine.probe()
    with scenario(args) as scene:
        apply_env(scene.env)
        load = SystemLoad(lambda: own_usage()[0] + scene.emulator.stats().cpu_seconds)
        outcome = run_sync_job(
            scene.first_day,
            scene.last_day,
            max_concurrency=args.max_concurrency,
            log_level=args.log_level,
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
        f"{args.latency_ms:g} ms latency (jitter {args.jitter:g})",
        rows,
    )
    print(f"\nMachine: {machine.line()}\nLoad: {load_line}")
    for error in outcome.errors:
        print(f"error: {error}")
    if args.summary_json:
        bound = bound_seconds(stats.total, scene.rate_limit, scene.window_seconds)
        summary = {
            "latency_ms": args.latency_ms,
            "success": outcome.success,
            "conversations": scene.emulator.conversations,
            "requests": stats.total,
            "rate_limited": stats.rate_limited,
            "span": stats.active_seconds,
            "wall": outcome.wall_seconds,
            "ratio": bound / max(stats.active_seconds, 1e-9),
            "ratio_end_to_end": bound / max(outcome.wall_seconds, 1e-9),
            "peak_rss_mib": outcome.peak_rss_mib,
            "load": load_line,
        }
        args.summary_json.write_text(json.dumps(summary))
    return 0 if outcome.success else 1


def _each_latency(args: argparse.Namespace, argv: list[str]) -> int:
    """One child process per latency, then the summary table."""
    passthrough = _without_option(argv, "--latency-ms")
    summaries = []
    with tempfile.TemporaryDirectory(prefix="intercom-bound-") as scratch:
        for latency in args.latency_ms:
            target = Path(scratch) / f"{latency:g}.json"
            command = module_command(
                "benchmarks.bound",
                *passthrough,
                f"--latency-ms={latency:g}",
                f"--summary-json={target}",
            )
            subprocess.run(command, env=child_env(), check=False)
            if target.exists():
                summaries.append(json.loads(target.read_text()))
    rows = [
        (
            f"{summary['latency_ms']:g} ms",
            f"**{summary['ratio']:.3f}** first to last ({summary['ratio_end_to_end']:.3f} end "
            f"to end); {summary['conversations'] / summary['span']:,.1f} conv/s; "
            f"429s {summary['rate_limited']} of {summary['requests']:,}; "
            f"peak RSS {summary['peak_rss_mib']:,.0f} MiB"
            + ("" if summary["success"] else "; RUN FAILED"),
        )
        for summary in summaries
    ]
    print_table(f"Bound mode summary (jitter {args.jitter:g})", rows)
    for summary in summaries:
        print(f"{summary['latency_ms']:g} ms load: {summary['load']}")
    ok = len(summaries) == len(args.latency_ms) and all(s["success"] for s in summaries)
    return 0 if ok else 1


def _without_option(argv: list[str], name: str) -> list[str]:
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == name:
            skip = True
        elif not arg.startswith(f"{name}="):
            kept.append(arg)
    return kept


def _steps(seconds: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())


if __name__ == "__main__":
    sys.exit(main())
