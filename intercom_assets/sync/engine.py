"""The sync itself, free of Dagster: API → transforms → DuckDB in bounded batches.

This module holds the window a sync covers and its conversations side (search, upsert,
deletions); `messages.py` the GETs and their parts; `pipeline.py` runs both at once. Assets,
tests and benchmarks call these functions. Each batch is one DuckDB transaction opened after
the API work for that batch is done, so a crash loses at most the batch in flight and the next
run resumes from the stored markers.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import polars as pl

from intercom_assets.client import IntercomClient, IntercomError
from intercom_assets.client.feed import IdFeed
from intercom_assets.client.scan import full_payloads
from intercom_assets.storage import (
    ConversationChanges,
    SeenIds,
    WriteSession,
    created_days,
    days_of,
    remove_conversations,
    retrying,
    transaction,
    upsert_conversations,
    version_states,
)
from intercom_assets.sync.days import DayLedger, day_of, usable_epoch
from intercom_assets.sync.progress import Progress
from intercom_assets.sync.transforms import (
    Rejected,
    conversation_versions,
    conversations_frame,
    payload_digests,
)
from intercom_assets.sync.tuning import tuned_for_bulk_json
from intercom_assets.sync.writer import BackgroundWriter


@dataclass(frozen=True)
class SyncWindow:
    """Conversations created in [start, end), optionally only those updated in a sub-window."""

    start: datetime
    end: datetime
    updated_since: int | None = None
    updated_before: int | None = None

    @property
    def is_full(self) -> bool:
        """A full refresh sees every conversation of the window, so it may detect deletions."""
        return self.updated_since is None and self.updated_before is None

    def day_windows(self) -> list[tuple[int, int]]:
        """Per-day epoch windows, searched in parallel (one cursor chain each)."""
        windows, day = [], self.start
        while day < self.end:
            nxt = min(day + timedelta(days=1), self.end)
            windows.append((int(day.timestamp()), int(nxt.timestamp())))
            day = nxt
        return windows

    def update_filters(self) -> list[dict[str, Any]]:
        filters = []
        if self.updated_since is not None:
            filters.append({"field": "updated_at", "operator": ">=", "value": self.updated_since})
        if self.updated_before is not None:
            filters.append({"field": "updated_at", "operator": "<", "value": self.updated_before})
        return filters


@dataclass
class ConversationsResult:
    seen: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0
    newest_updated_at: int | None = None
    rejected: list[Rejected] = field(default_factory=list)
    days: DayLedger = field(default_factory=DayLedger)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _batched(
    pages: Iterable[list[dict[str, Any]]], size: int, first: int | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Pages regrouped into batches of `size`; the first closes at `first` already (GETs fed
    by the search wait for it)."""
    batch: list[dict[str, Any]] = []
    limit = size if first is None else min(first, size)
    for page in pages:
        batch.extend(page)
        if len(batch) >= limit:
            yield batch
            batch, limit = [], size
    if batch:
        yield batch


@tuned_for_bulk_json()
def sync_conversations(
    client: IntercomClient,
    database: str,
    window: SyncWindow,
    log: logging.Logger,
    *,
    batch_size: int = 500,
    days: DayLedger | None = None,
) -> ConversationsResult:
    """Search the window and upsert conversations; a full refresh also applies deletions.

    A row is rewritten only when search shows a newer `updated_at` or, at the same
    `updated_at`, another payload digest (a change Intercom made without moving it); an older
    version than the stored one (search-index lag) is ignored. A day whose search fails for
    good is recorded in `days.failed` and the other days go on; deletion detection skips
    failed days and days holding a rejected record.
    """
    result = ConversationsResult(days=days or DayLedger())
    with SeenIds(temp_directory=spill_directory(database)) as seen:
        with (
            WriteSession(database, log) as session,
            BackgroundWriter(run_job, on_idle=session.release) as writer,
        ):
            progress = search_and_upsert(
                client, window, log, result, seen, session, writer.submit, batch_size=batch_size
            )
        finish_search(client, database, window, log, result, seen, progress)
    return result


def run_job(job: Callable[[], None]) -> None:
    """A BackgroundWriter's `write` when its batches are jobs (one writer, several kinds)."""
    job()


def search_and_upsert(
    client: IntercomClient,
    window: SyncWindow,
    log: logging.Logger,
    result: ConversationsResult,
    seen: SeenIds,
    session: WriteSession,
    submit: Callable[[Callable[[], None]], None],
    *,
    batch_size: int = 500,
    feed: IdFeed | None = None,
) -> Progress:
    """Search the window, submitting one upsert job per batch; returns the search's progress.

    With `feed`, each committed batch offers it the ids whose messages are not stored at
    their `updated_at`, so their GETs can start while the search goes on.
    """
    ledger = result.days
    progress = Progress(log, "conversations searched", None)

    def window_failed(day_window: tuple[int, int], error: IntercomError) -> None:
        day = day_of(day_window[0]) or str(day_window[0])
        log.warning("Searching the conversations created on %s failed: %s", day, error)
        ledger.fail(day, f"search failed: {error}")

    # Records without a usable creation time are placed on the day whose window found them.
    window_days: dict[str, str | None] = {}

    def pages() -> Iterator[list[dict[str, Any]]]:
        for (start, _), page in client.search_windows_tagged(
            "created_at",
            window.day_windows(),
            extra_filters=window.update_filters(),
            on_total=progress.add_total,
            on_window_error=window_failed,
            summaries=True,
        ):
            for item in page:
                if not usable_epoch(item.get("created_at")) and item.get("id") is not None:
                    window_days[str(item["id"])] = day_of(start)
            yield page

    def write(
        batch: list[dict[str, Any]], digests: list[str | None], versions: pl.DataFrame
    ) -> None:
        def attempt() -> tuple[int, list[Rejected], ConversationChanges, set[str]]:
            with session.transaction() as conn:
                current, older, unsynced = version_states(conn, versions)
                kept = indices_without(batch, current | older)
                if not kept:
                    return len(current | older), [], ConversationChanges(0, 0, 0), unsynced
                transformed = conversations_frame(
                    full_payloads([batch[n] for n in kept]),
                    utc_now(),
                    digests=[digests[n] for n in kept],
                )
                frame = transformed.frame
                changes = upsert_conversations(conn, frame)
                # New ids the transform rejected are not stored: nothing to fetch.
                dropped = set(versions["id"].to_list()) - current - older
                unsynced -= dropped - set(frame["id"].to_list())
                return len(current | older), transformed.rejected, changes, unsynced

        skipped, rejected, changes, unsynced = retrying(attempt, log)
        if feed is not None and unsynced and feed.wants:
            feed.offer(unsynced)
        for day, (new, changed) in changes.by_day.items():
            ledger.add(day, new=new, changed=changed)
        created = created_days_of(batch) if rejected else {}
        for record in rejected:
            cid = str(record.id)
            ledger.reject(created.get(cid) or window_days.get(cid))
        result.rejected.extend(rejected)
        seen.add(versions["id"])
        result.new += changes.new
        result.changed += changes.changed
        result.unchanged += skipped + changes.unchanged
        if versions.height:
            newest = int(versions["updated_at"].max().timestamp())
            result.newest_updated_at = max(result.newest_updated_at or 0, newest)

    for batch in _batched(pages(), batch_size, first=1 if feed is not None else None):
        # Computed here, beside the searches, so the writer thread mostly waits on DuckDB;
        # each digest once (the rows written reuse them).
        digests = payload_digests(batch)
        submit(partial(write, batch, digests, conversation_versions(batch, digests=digests)))
        progress.advance(len(batch))
    return progress


def finish_search(
    client: IntercomClient,
    database: str,
    window: SyncWindow,
    log: logging.Logger,
    result: ConversationsResult,
    seen: SeenIds,
    progress: Progress,
) -> None:
    """Once every upsert is committed: count what was seen, apply deletions, log the step."""
    result.seen = seen.count()
    if window.is_full:
        result.deleted = _remove_vanished(client, database, window, seen, result.days, log)
    log.info(
        progress.summary(
            f"{result.seen} seen ({result.new} new, {result.changed} changed, "
            f"{result.unchanged} unchanged, {result.deleted} deleted)"
        )
    )


def created_days_of(conversations: list[dict[str, Any]]) -> dict[str, str | None]:
    """id -> created day (None when the timestamp is unusable) of a batch of payloads."""
    return {
        str(c.get("id")): day_of(c.get("created_at")) for c in conversations if isinstance(c, dict)
    }


def spill_directory(database: str) -> str | None:
    return None if database.startswith("md:") or database == ":memory:" else f"{database}.tmp"


def without_ids(conversations: list[dict[str, Any]], ids: set[str]) -> list[dict[str, Any]]:
    """The conversations whose id is not in `ids` (records without an id are kept)."""
    return [conversations[n] for n in indices_without(conversations, ids)]


def indices_without(conversations: list[dict[str, Any]], ids: set[str]) -> list[int]:
    """Positions of `without_ids`' conversations."""
    kept = []
    for n, conversation in enumerate(conversations):
        cid = conversation.get("id") if isinstance(conversation, dict) else None
        if cid is None or str(cid) not in ids:
            kept.append(n)
    return kept


def _remove_vanished(
    client: IntercomClient,
    database: str,
    window: SyncWindow,
    seen: SeenIds,
    ledger: DayLedger,
    log: logging.Logger,
) -> int:
    """Stored ids the complete search no longer returns are removed only once a GET 404s.

    The set difference runs in DuckDB (stored ids of the window anti-joined with the staged
    seen ids), so memory does not grow with the history. Only days whose search completed
    without a rejected record count as complete.
    """
    if ledger.deletion_unsafe is None:
        log.warning("A rejected record has no usable creation day: deletions are not detected.")
        return 0
    skipped = sorted({*ledger.deletion_unsafe, *ledger.failed})
    if skipped:
        log.warning("Deletion detection skipped for %s (incomplete search).", ", ".join(skipped))
    missing = seen.missing(database, window.start, window.end, log)
    if skipped and missing:
        with transaction(database, log) as conn:
            day = created_days(conn, list(missing))
        missing = [cid for cid in missing if day.get(cid) not in skipped]
    gone = [cid for cid, conv in client.get_conversations(missing) if conv is None]
    if gone:
        log.info("Removing %d conversations deleted in Intercom: %s", len(gone), gone[:20])
        with transaction(database, log) as conn:
            for day, count in days_of(conn, gone).items():
                ledger.add(day, deleted=count)
            remove_conversations(conn, gone, utc_now(), "reconcile")
    return len(gone)
