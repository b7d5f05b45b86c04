"""Turn changed conversations into a handful of `{prefix}_sync_job` run requests.

Each run covers a contiguous range of created-day partitions and only the update window of
the conversations handed to it, so it costs one search call per day in its range plus one GET
per changed conversation. Days are merged into at most `max_runs` ranges by closing the
smallest gaps first, which adds the fewest extra days to search.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from intercom_assets.mirror.spec import MirrorSpec

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@dataclass(frozen=True)
class Change:
    """A conversation whose new `updated_at` must reach the mirror."""

    id: str
    created_at: int
    updated_at: int

    @property
    def day(self) -> date:
        return datetime.fromtimestamp(self.created_at, UTC).date()


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def group_days(days: set[date], max_ranges: int) -> list[DayRange]:
    """Contiguous day ranges covering `days`, merged across the smallest gaps to `max_ranges`."""
    ranges: list[DayRange] = []
    for day in sorted(days):
        if ranges and day - ranges[-1].last <= timedelta(days=1):
            ranges[-1] = DayRange(ranges[-1].first, day)
        else:
            ranges.append(DayRange(day, day))
    while len(ranges) > max_ranges:
        gap = min(range(len(ranges) - 1), key=lambda i: ranges[i + 1].first - ranges[i].last)
        ranges[gap : gap + 2] = [DayRange(ranges[gap].first, ranges[gap + 1].last)]
    return ranges


def _digest(changes: list[Change]) -> str:
    text = ",".join(f"{c.id}@{c.updated_at}" for c in sorted(changes, key=lambda c: c.id))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def sync_request(spec: MirrorSpec, day_range: DayRange, changes: list[Change]) -> dg.RunRequest:
    """One run refreshing `changes` (all created inside `day_range`)."""
    since = min(c.updated_at for c in changes)
    before = max(c.updated_at for c in changes) + 1
    first, last = day_range.first.isoformat(), day_range.last.isoformat()
    single = first == last
    return dg.RunRequest(
        run_key=f"updates:{first}..{last}:{since}-{before}:{_digest(changes)}",
        job_name=spec.sync_job_name,
        partition_key=first if single else None,
        tags={} if single else {RANGE_START_TAG: first, RANGE_END_TAG: last},
        run_config={
            "ops": {
                spec.op_name("conversations"): {
                    "config": {"updated_since": since, "updated_before": before}
                }
            }
        },
    )


def sync_requests(spec: MirrorSpec, changes: list[Change], max_runs: int) -> list[dg.RunRequest]:
    """At most `max_runs` requests that together refresh every change."""
    ranges = group_days({c.day for c in changes}, max_runs)
    return [
        sync_request(spec, r, [c for c in changes if r.first <= c.day <= r.last]) for r in ranges
    ]


def deletions_request(
    spec: MirrorSpec, since: int | None, until: int, ids: list[str]
) -> dg.RunRequest:
    """One run applying the deletions Intercom recorded in [since, until]."""
    digest = hashlib.sha256(",".join(sorted(ids)).encode()).hexdigest()[:12]
    return dg.RunRequest(
        run_key=f"deletions:{since}-{until}:{digest}",
        job_name=spec.deletions_job_name,
        run_config={
            "ops": {
                spec.op_name("deleted_conversations"): {
                    "config": {"deleted_since": since, "deleted_until": until}
                }
            }
        },
    )
