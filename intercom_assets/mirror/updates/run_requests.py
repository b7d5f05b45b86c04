"""Turn what a tick saw into run requests, and re-request runs that did not succeed.

A sync request carries the changed conversation ids in run config: the run fetches exactly
those (one GET each, no search, no partitions), so a tick with k changes costs O(k) GETs and
the search-index lag between the sensor's search and the run cannot drop a change. The run
records a materialization only for the days it changed.

The sensor daemon skips a request whose `run_key` already has a run, whatever its status, so
a failed, canceled or crashed run is re-requested under the same key plus an attempt counter
(`…#2`), with the failed run's own config read back from its run record.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg

from intercom_assets.mirror.spec import MirrorSpec

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
RUN_KEY_TAG = "dagster/run_key"
ATTEMPT_TAG = "intercom/attempt"
# The largest UNIX-seconds value a timestamp column holds (9999-12-31T23:59:59Z); a
# millisecond timestamp is far beyond it.
MAX_EPOCH = 253_402_300_799
# Ids per sync run: keeps one run's config and its GET batch bounded.
MAX_IDS_PER_RUN = 2_000
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Change:
    """A conversation whose new `updated_at` must reach the mirror."""

    id: str
    created_at: int
    updated_at: int

    @property
    def day(self) -> date:
        return datetime.fromtimestamp(self.created_at, UTC).date()


def _epoch(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_EPOCH else None


def as_change(item: dict) -> Change | None:
    """The change a search result describes, or None when its timestamps are unusable
    (missing, not integers, or milliseconds instead of seconds)."""
    created_at, updated_at = _epoch(item.get("created_at")), _epoch(item.get("updated_at"))
    if item.get("id") is None or created_at is None or updated_at is None:
        return None
    return Change(str(item["id"]), created_at, updated_at)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def sync_request(spec: MirrorSpec, changes: list[Change]) -> dg.RunRequest:
    """One run fetching exactly `changes`' conversations."""
    ids = sorted({c.id for c in changes})
    versions = ",".join(f"{c.id}@{c.updated_at}" for c in sorted(changes, key=lambda c: c.id))
    since, until = min(c.updated_at for c in changes), max(c.updated_at for c in changes)
    return dg.RunRequest(
        run_key=f"updates:{since}-{until}:{_digest(versions)}",
        job_name=spec.sync_job_name,
        tags={ATTEMPT_TAG: "1"},
        run_config={"ops": {spec.op_name("sync"): {"config": {"conversation_ids": ids}}}},
    )


def sync_requests(spec: MirrorSpec, changes: list[Change]) -> list[dg.RunRequest]:
    """Requests that together fetch every change, at most MAX_IDS_PER_RUN ids each."""
    ordered = sorted(changes, key=lambda c: (c.updated_at, c.id))
    return [
        sync_request(spec, ordered[i : i + MAX_IDS_PER_RUN])
        for i in range(0, len(ordered), MAX_IDS_PER_RUN)
    ]


def deletions_request(
    spec: MirrorSpec, since: int | None, until: int, ids: list[str]
) -> dg.RunRequest:
    """One run applying the deletions Intercom recorded in [since, until]."""
    return dg.RunRequest(
        run_key=f"deletions:{since}-{until}:{_digest(','.join(sorted(ids)))}",
        job_name=spec.deletions_job_name,
        tags={ATTEMPT_TAG: "1"},
        run_config={
            "ops": {
                spec.op_name("deleted_conversations"): {
                    "config": {"deleted_since": since, "deleted_until": until}
                }
            }
        },
    )


def attempt_of(run_key: str) -> int:
    base, _, attempt = run_key.rpartition("#")
    return int(attempt) if base and attempt.isdigit() else 1


def retry_request(run: dg.DagsterRun, run_key: str) -> dg.RunRequest:
    """The same run again (its own config and job) under the next attempt's key."""
    attempt = attempt_of(run_key) + 1
    base = run_key.rpartition("#")[0] if "#" in run_key else run_key
    return dg.RunRequest(
        run_key=f"{base}#{attempt}",
        job_name=run.job_name,
        tags={ATTEMPT_TAG: str(attempt)},
        run_config=dict(run.run_config),
    )
