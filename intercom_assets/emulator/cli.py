"""`intercom-assets emulator ...`: run the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import time

from intercom_assets.emulator.config import EmulatorConfig, FaultConfig
from intercom_assets.emulator.emulator import Emulator


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intercom-assets emulator", description="Serve a local, emulated Intercom API."
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1")
    add("--port", type=int, default=8765)
    add("--seed", type=int, default=7)
    add("--days", type=int, default=30)
    add("--conversations-per-day", type=int, default=50)
    add("--token", default="demo-token")
    add("--rate-limit", type=int, default=1667, help="requests per window")
    add("--window-seconds", type=float, default=10.0)
    add("--api-version", default="2.16", help="used when a request has no Intercom-Version")
    add("--large-conversations", type=int, default=2, help="conversations with > 500 parts")
    add("--mean-parts", type=float, default=8.0)
    add("--total-count-capped", action="store_true")
    add("--now", type=int, default=None, help="pin the data clock (epoch seconds)")
    add("--fault-seed", type=int, default=0)
    add("--latency-ms", type=float, default=0.0)
    add("--html-503-rate", type=float, default=0.0)
    add("--json-500-rate", type=float, default=0.0)
    add("--drop-rate", type=float, default=0.0)
    add("--ghost-404-rate", type=float, default=0.0)
    add("--rate-limit-storm-every", type=int, default=0)
    add("--invalid-json-rate", type=float, default=0.0)
    add("--truncated-json-rate", type=float, default=0.0)
    add("--wrong-types-rate", type=float, default=0.0)
    add("--latency-jitter", type=float, default=0.0, help="0.5: each latency within +/-50%%")
    add("--search-latency-ms", type=float, default=0.0, help="search pages (default: latency)")
    add("--charge-on-arrival", action="store_true", help="rate-limit on arrival, then delay")
    return parser


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        seed=args.seed,
        days=args.days,
        conversations_per_day=args.conversations_per_day,
        token=args.token,
        rate_limit_per_window=args.rate_limit,
        window_seconds=args.window_seconds,
        api_version=args.api_version,
        large_conversations=args.large_conversations,
        mean_parts=args.mean_parts,
        total_count_capped=args.total_count_capped,
        now=args.now,
        faults=FaultConfig(
            seed=args.fault_seed,
            latency_ms=args.latency_ms,
            html_503_rate=args.html_503_rate,
            json_500_rate=args.json_500_rate,
            drop_rate=args.drop_rate,
            ghost_404_rate=args.ghost_404_rate,
            rate_limit_storm_every=args.rate_limit_storm_every,
            invalid_json_rate=args.invalid_json_rate,
            truncated_json_rate=args.truncated_json_rate,
            wrong_types_rate=args.wrong_types_rate,
            latency_jitter=args.latency_jitter,
            search_latency_ms=args.search_latency_ms,
            charge_on_arrival=args.charge_on_arrival,
        ),
    )


def serve(argv: list[str] | None = None) -> int:
    """Start the emulator, print where it listens, and serve until interrupted."""
    args = build_parser().parse_args(argv)
    emulator = Emulator(config_from_args(args), host=args.host, port=args.port).start()
    print(f"Intercom emulator on {emulator.base_url} — token: {emulator.token}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        emulator.stop()
