"""Bookkeeping mode: a first backfill's wall time against Dagster's own no-op cost.

Dagster's per-partition bookkeeping (planned events, materializations) dominates a long range
with little data. The baseline is a two-asset, daily-partitioned multi-asset over the same
partitions that does nothing but record a materialization per partition and asset; the
measured run is the real `intercom_sync_job` backfilling the emulated history. Each runs on a
fresh SQLite DAGSTER_HOME. Target: ratio <= 1.3.

    python -m benchmarks.bookkeeping --days 2526 --conversations 5052 --latency-ms 0
"""

import argparse
import sys
import time
from pathlib import Path

if not __package__:  # `python benchmarks/bookkeeping.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dagster as dg

from benchmarks.common import Machine, SystemLoad, own_usage, prepare_dagster_home, print_table
from benchmarks.job import RANGE_END, RANGE_START, run_sync_job
from benchmarks.scenario import add_arguments, apply_env, scenario


def noop_baseline(first_day: str, last_day: str, home: Path) -> float:
    """Wall seconds of a do-nothing two-asset range run over [first_day, last_day]."""
    partitions = dg.DailyPartitionsDefinition(start_date=first_day, end_offset=1)

    @dg.multi_asset(
        specs=[
            dg.AssetSpec(["baseline", "conversations"], partitions_def=partitions),
            dg.AssetSpec(["baseline", "messages"], partitions_def=partitions),
        ],
        partitions_def=partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def baseline():
        yield dg.Output(None, "baseline__conversations")
        yield dg.Output(None, "baseline__messages")

    class Nothing(dg.IOManager):
        def handle_output(self, context, obj):
            return None

        def load_input(self, context):
            return None

    job = dg.define_asset_job("baseline_job", selection=[baseline]).resolve(
        asset_graph=dg.Definitions(assets=[baseline]).resolve_asset_graph(),
        resource_defs={"io_manager": dg.IOManagerDefinition.hardcoded_io_manager(Nothing())},
    )
    started = time.monotonic()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = job.execute_in_process(
            instance=instance,
            tags={RANGE_START: first_day, RANGE_END: last_day},
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
    assert result.success
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser, conversations=5_052)
    args = parser.parse_args(argv)
    machine = Machine.probe()
    with scenario(args) as scene:
        apply_env(scene.env)
        load = SystemLoad(lambda: own_usage()[0] + scene.emulator.stats().cpu_seconds)
        baseline_home = prepare_dagster_home(scene.database.parent / "baseline")
        baseline = noop_baseline(scene.first_day, scene.last_day, baseline_home)
        backfill = run_sync_job(scene.first_day, scene.last_day, log_level="WARNING")
        load_line = load.line()
    ratio = backfill.wall_seconds / baseline
    rows = [
        ("partitions (days) x assets", f"{args.days:,} x 2"),
        ("conversations", f"{scene.emulator.conversations:,}"),
        ("no-op baseline (Dagster only), wall", f"{baseline:.1f} s"),
        ("first backfill (intercom_sync_job), wall", f"{backfill.wall_seconds:.1f} s"),
        ("**ratio** (target <= 1.3)", f"**{ratio:.2f}**"),
        ("backfill succeeded", str(backfill.success)),
        ("machine", f"{machine.nproc} cores, {load_line}"),
    ]
    print_table("First backfill vs Dagster's no-op baseline", rows)
    return 0 if backfill.success else 1


if __name__ == "__main__":
    sys.exit(main())
