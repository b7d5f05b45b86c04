"""`intercom-assets emulator ...`: run the emulator in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import errno
import sys
import time
from pathlib import Path

from intercom_assets.emulator.activity import parse_kinds
from intercom_assets.emulator.anchor import ANCHOR_FILE, default_home, resolve_first_day
from intercom_assets.emulator.config import ACTIVITY_KINDS, EmulatorConfig, FaultConfig
from intercom_assets.emulator.emulator import Emulator
from intercom_assets.emulator.gateway import TOKEN_MODES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intercom-assets emulator", description="Serve a local, emulated Intercom API."
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1")
    add("--port", type=int, default=8765)
    add("--seed", type=int, default=7)
    add("--days", type=int, default=30, help="history length when no first day is recorded yet")
    add(
        "--first-day",
        default=None,
        help=f"first day of the history (YYYY-MM-DD); default: {ANCHOR_FILE} in --home, "
        "recorded there on first use",
    )
    add("--home", type=Path, default=None, help="where the anchor lives (default: DAGSTER_HOME)")
    add("--conversations-per-day", type=int, default=50)
    add("--token", default="demo-token")
    modes = "|".join(sorted(TOKEN_MODES))
    add("--token-mode", default="valid", choices=sorted(TOKEN_MODES), help="mode of --token")
    add(
        "--extra-token",
        action="append",
        default=[],
        metavar="TOKEN=MODE",
        help=f"another token and its mode ({modes}); repeatable",
    )
    add("--activity-per-minute", type=float, default=0.0, help="live activity events per minute")
    add(
        "--activity-kinds",
        type=parse_kinds,
        default=ACTIVITY_KINDS,
        help=f"comma-separated subset of {','.join(ACTIVITY_KINDS)}",
    )
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
    add("--html-404-rate", type=float, default=0.0, help="gateway HTML 404s on conversation GETs")
    add("--stale-read-rate", type=float, default=0.0, help="GETs served by a lagging replica")
    add("--stale-read-seconds", type=int, default=300)
    add("--id-comparison", choices=("numeric", "string", "reject"), default="numeric")
    add("--search-lag-seconds", type=int, default=0)
    add("--deleted-order", choices=("deleted_at", "id"), default="deleted_at")
    add("--long-id-share", type=float, default=0.0, help="newest share with 12-digit ids")
    add("--body-scale", type=int, default=1, help="10: each part's body 10x, in GETs")
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
        first_day=args.first_day,
        activity_per_minute=args.activity_per_minute,
        activity_kinds=args.activity_kinds,
        id_comparison=args.id_comparison,
        search_lag_seconds=args.search_lag_seconds,
        deleted_order=args.deleted_order,
        long_id_share=args.long_id_share,
        body_scale=args.body_scale,
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
            html_404_rate=args.html_404_rate,
            stale_read_rate=args.stale_read_rate,
            stale_read_seconds=args.stale_read_seconds,
        ),
    )


def extra_tokens(pairs: list[str]) -> list[tuple[str, str]]:
    """`TOKEN=MODE` flags → pairs; raises ValueError naming the bad one."""
    tokens = []
    for pair in pairs:
        token, _, mode = pair.partition("=")
        if not token or mode not in TOKEN_MODES:
            raise ValueError(
                f"--extra-token {pair!r}: use TOKEN=MODE, MODE in {sorted(TOKEN_MODES)}"
            )
        tokens.append((token, mode))
    return tokens


def serve(argv: list[str] | None = None) -> int:
    """Start the emulator, print where it listens, and serve until interrupted."""
    args = build_parser().parse_args(argv)
    try:
        tokens = [(args.token, args.token_mode), *extra_tokens(args.extra_token)]
        args.first_day = resolve_first_day(args.home or default_home(), args.days, args.first_day)
        emulator = Emulator(config_from_args(args), host=args.host, port=args.port)
    except ValueError as error:
        print(f"intercom-assets emulator: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(
            f"intercom-assets emulator: port {args.port} on {args.host} is already in use "
            "(another emulator or `intercom-assets dev`?): stop it or pass --port N.",
            file=sys.stderr,
        )
        return 2
    for token, mode in tokens:
        emulator.set_token(token, mode)
    emulator.start()
    print(f"Intercom emulator on {emulator.base_url} — token: {emulator.token}", flush=True)
    activity = f", {args.activity_per_minute:g} events/min" if args.activity_per_minute else ""
    print(
        f"History from {args.first_day} (seed {args.seed}, {args.conversations_per_day}/day"
        f"{activity}); control: {emulator.base_url}/_emulator/health",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        emulator.stop()
