"""Run the production job, `intercom_sync_job`, over a partition range, and measure it.

Used in-process by the bound and no-op modes (so RUSAGE_SELF is the job's process) and as a
worker process by the shared-budget mode: `python -m benchmarks.job FIRST LAST` prints one JSON
line. The INTERCOM_* environment must be set before this module runs the job, because
`intercom_assets.definitions` reads it at import.
"""

import argparse
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field

import dagster as dg

from benchmarks.common import RssSampler, own_usage

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
_LOCK_WAIT = re.compile(r"is locked by .*; waiting (?P<seconds>[\d.]+)s")
# Run-metadata counters summed over both assets.
_COUNTERS = (
    "api_requests",
    "api_requests_search",
    "api_requests_get",
    "api_429s",
    "api_retries",
    "conversations_seen",
    "conversations_new",
    "conversations_changed",
    "conversations_synced",
    "messages_written",
)


@dataclass
class JobOutcome:
    success: bool
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    counters: dict[str, int] = field(default_factory=dict)
    step_seconds: dict[str, float] = field(default_factory=dict)
    step_peak_rss_mib: dict[str, float] = field(default_factory=dict)
    lock_waits: int = 0
    lock_wait_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)


def _summarize(
    result: dg.ExecuteInProcessResult, instance: dg.DagsterInstance, rss: RssSampler
) -> JobOutcome:
    # Run-wide figures are one partitionless observation; new/changed are per-day figures.
    counters = dict.fromkeys(_COUNTERS, 0)
    steps: dict[str, float] = {}
    per_day = ("conversations_new", "conversations_changed")
    for event in result.get_asset_observation_events():
        for key, entry in event.event_specific_data.asset_observation.metadata.items():
            if key in counters and key not in per_day and isinstance(entry.value, int):
                counters[key] += entry.value
            if key == "duration_seconds":
                steps["sync"] = float(entry.value)  # type: ignore[arg-type]
    for event in result.get_asset_materialization_events():
        metadata = event.step_materialization_data.materialization.metadata
        for key in per_day:
            if isinstance(value := getattr(metadata.get(key), "value", None), int):
                counters[key] += value
    outcome = JobOutcome(result.success, 0.0, 0.0, 0.0, counters, steps)
    started: dict[str, float] = {}
    for record in instance.all_logs(result.run_id):
        event, step = record.dagster_event, record.step_key
        if event is not None and step is not None:
            if event.is_step_start:
                started[step] = record.timestamp
            elif event.is_step_success or event.is_step_failure:
                peak = rss.peak(started.get(step, record.timestamp), record.timestamp)
                outcome.step_peak_rss_mib[step] = peak
        message = record.user_message or ""
        if match := _LOCK_WAIT.search(message):
            outcome.lock_waits += 1
            outcome.lock_wait_seconds += float(match["seconds"])
    for event in result.all_events:
        if event.is_step_failure or event.is_run_failure:
            outcome.errors.append(event.message or event.event_type_value)
    return outcome


def run_sync_job(
    first_day: str,
    last_day: str,
    *,
    max_concurrency: int | None = None,
    log_level: str = "INFO",
) -> JobOutcome:
    """One single-run backfill of [first_day, last_day], as the UI's backfill dialog launches it.

    `max_concurrency` sets INTERCOM_MAX_CONCURRENCY (default: the production value); like
    every INTERCOM_* variable it counts only before the definitions are first imported.
    """
    if max_concurrency is not None:
        os.environ["INTERCOM_MAX_CONCURRENCY"] = str(max_concurrency)
    from intercom_assets.definitions import defs

    job = defs.resolve_job_def("intercom_sync_job")
    started, rss = time.monotonic(), RssSampler()
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            tags={RANGE_START: first_day, RANGE_END: last_day},
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
            raise_on_error=False,
        )
        rss.stop()
        outcome = _summarize(result, instance, rss)
    outcome.wall_seconds = time.monotonic() - started
    outcome.cpu_seconds, outcome.peak_rss_mib = own_usage()
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run intercom_sync_job; print a JSON outcome.")
    parser.add_argument("first_day")
    parser.add_argument("last_day")
    parser.add_argument("--max-concurrency", type=int, default=None)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    outcome = run_sync_job(
        args.first_day,
        args.last_day,
        max_concurrency=args.max_concurrency,
        log_level=args.log_level,
    )
    print(json.dumps(asdict(outcome)), flush=True)
    return 0 if outcome.success else 1


if __name__ == "__main__":
    sys.exit(main())
