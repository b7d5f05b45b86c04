"""Slow-search mode: a sensor tick when Intercom's search pages take seconds.

Dagster gives a sensor evaluation 60 s (DAGSTER_SENSOR_GRPC_TIMEOUT_SECONDS). With search
pages of 2-5 s a tick that read every changed conversation could take minutes, so the tick
caps its pages (and seconds) and the next tick carries on from its cursor. This mode runs
the real `intercom_updates_sensor` against an emulator whose search pages take
`--search-latency-ms` ± `--jitter`, touches `--changed` conversations, and times ticks until
the sensor has read them all. (The full refresh at the same latency is bound mode:
`python -m benchmarks.bound --search-latency-ms 3500 --jitter 0.43 ...`.)

    python -m benchmarks.slow_search                  # 3,000 changed, pages 2-5 s
"""

import argparse
import os
import sys
import time
from pathlib import Path

import dagster as dg

if not __package__:  # `python benchmarks/slow_search.py`: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import Machine, SystemLoad, own_usage, print_table
from intercom_assets.emulator import EmulatorConfig, FaultConfig, running_emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations-per-day", type=int, default=300)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--changed", type=int, default=3_000)
    parser.add_argument("--search-latency-ms", type=float, default=3_500.0)
    parser.add_argument("--jitter", type=float, default=0.43, help="3.5 s +/- 43%%: 2-5 s")
    parser.add_argument("--max-ticks", type=int, default=10)
    args = parser.parse_args(argv)
    machine = Machine.probe()
    faults = FaultConfig(
        latency_ms=80,
        search_latency_ms=args.search_latency_ms,
        latency_jitter=args.jitter,
        charge_on_arrival=True,
    )
    config = EmulatorConfig(
        days=args.days, conversations_per_day=args.conversations_per_day, faults=faults
    )
    with running_emulator(config) as emulator:
        os.environ.update(
            {"INTERCOM_BASE_URL": emulator.base_url, "INTERCOM_ACCESS_TOKEN": emulator.token}
        )
        from intercom_assets.definitions import defs
        from intercom_assets.mirror.resources import IntercomResource

        sensor = defs.get_sensor_def("intercom_updates_sensor")
        intercom = IntercomResource(access_token=emulator.token, base_url=emulator.base_url)
        load = SystemLoad(lambda: own_usage()[0])
        rows, cursor = [], None
        with dg.instance_for_test() as instance:
            for number in range(args.max_ticks + 1):
                if number == 1:  # the first tick only sets the cursor; then things change
                    emulator.advance(60)
                    for cid in emulator.conversation_ids()[: args.changed]:
                        emulator.close(cid)
                    emulator.advance(60)
                emulator.reset_counters()
                started = time.monotonic()
                with dg.build_sensor_context(
                    instance=instance,
                    cursor=cursor,
                    resources={"intercom": intercom},
                    definitions=defs,
                ) as context:
                    result = sensor.evaluate_tick(context)
                seconds = time.monotonic() - started
                cursor = result.cursor
                runs = len(result.run_requests or [])
                searches = emulator.requests.get("search", 0)
                rows.append(
                    (
                        f"tick {number}",
                        f"{seconds:.1f} s, {searches} search pages, {runs} run requests"
                        + (f"; skipped: {result.skip_message}" if result.skip_message else ""),
                    )
                )
                if number > 1 and runs == 0 and searches <= 1:
                    break
        load_line = load.line()
    print_table(
        f"Slow search: pages {args.search_latency_ms / 1000:g} s +/- {args.jitter:.0%}, "
        f"{args.changed:,} conversations changed",
        rows,
    )
    print(f"\nMachine: {machine.line()}\nLoad: {load_line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
