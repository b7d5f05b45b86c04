"""Emulator scale benchmark: build 100k conversations (~1M parts), time searches and GETs.

Run: /work/venv/bin/python benchmarks/emulator_bench.py [--days 100 --per-day 1000]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any

import requests

from intercom_assets.emulator import EmulatorConfig, running_emulator

DAY = 86_400


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms  (n={len(ordered)})"


def _timed(call: Callable[[], requests.Response]) -> float:
    started = time.perf_counter()
    call().raise_for_status()
    return (time.perf_counter() - started) * 1000


def _window(low: int, high: int) -> dict[str, Any]:
    return {
        "operator": "AND",
        "value": [
            {"field": "updated_at", "operator": ">=", "value": low},
            {"field": "updated_at", "operator": "<", "value": high},
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=100)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--mean-parts", type=float, default=10.5)
    parser.add_argument("--samples", type=int, default=100)
    args = parser.parse_args()
    config = EmulatorConfig(
        days=args.days,
        conversations_per_day=args.per_day,
        mean_parts=args.mean_parts,
        large_conversations=20,
        rate_limit_per_window=10**9,
        now=1_795_188_600,
    )
    started = time.perf_counter()
    with running_emulator(config) as emulator:
        build_s = time.perf_counter() - started
        ids = emulator.conversation_ids()
        store = emulator._store  # ground-truth part count; the public API has no aggregate
        total_parts = sum(store.total_parts(state) for state in store.conversations.values())
        large = [cid for cid in ids if store.total_parts(store.conversations[int(cid)]) > 500]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {emulator.token}"
        search_url = f"{emulator.base_url}/conversations/search"
        now = emulator.now()
        ascending = {"field": "updated_at", "order": "ascending"}

        def day_page(day: int, cursor: str | None = None) -> requests.Response:
            low = now - (day % args.days + 1) * DAY
            body = {
                "query": _window(low, low + DAY),
                "pagination": {"per_page": 150, "starting_after": cursor},
                "sort": ascending,
            }
            return session.post(search_url, json=body)

        def search(query: dict[str, Any]) -> requests.Response:
            return session.post(search_url, json={"query": query})

        first_pages = [_timed(lambda d=d: day_page(d)) for d in range(args.samples)]
        cursor = day_page(3).json()["pages"]["next"]["starting_after"]
        later_pages = [_timed(lambda: day_page(3, cursor)) for _ in range(args.samples)]
        everything = {"field": "created_at", "operator": ">", "value": 0}
        all_pages = [_timed(lambda: search(everything)) for _ in range(20)]
        scan = {"field": "source.author.type", "operator": "=", "value": "lead"}
        scans = [_timed(lambda: search(scan)) for _ in range(3)]
        step = max(1, len(ids) // args.samples)
        gets = [
            _timed(lambda cid=cid: session.get(f"{emulator.base_url}/conversations/{cid}"))
            for cid in ids[::step]
        ]
        large_gets = [
            _timed(lambda cid=cid: session.get(f"{emulator.base_url}/conversations/{cid}"))
            for cid in large
        ]
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"conversations             {len(ids):,}  parts {total_parts:,}  >500: {len(large)}")
    print(f"build + start             {build_s:7.2f} s")
    print(f"search 1-day window, p.1  {_percentiles(first_pages)}")
    print(f"search 1-day window, p.2  {_percentiles(later_pages)}")
    print(f"search all, default order {_percentiles(all_pages)}")
    print(f"search full scan (source) {_percentiles(scans)}")
    print(f"GET conversation          {_percentiles(gets)}")
    print(f"GET conversation >500     {_percentiles(large_gets)}")
    print(f"max RSS                   {rss_mib:7.0f} MiB")


if __name__ == "__main__":
    main()
