"""The sync itself, free of Dagster: API → transforms → DuckDB in bounded batches.

Assets call these functions; tests and benchmarks can too. Each batch is one DuckDB
transaction opened after the API work for that batch is done, so a crash loses at most the
batch in flight and the next run resumes from the stored markers.
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
from intercom_assets.storage import (
    ConversationChanges,
    SeenIds,
    WriteSession,
    created_days,
    current_conversation_ids,
    days_of,
    remove_conversations,
    retrying,
    stale_conversation_ids,
    stored_ids_among,
    stored_versions,
    transaction,
    upsert_conversations,
    version_states,
    write_messages,
)
from intercom_assets.sync.batches import Batch
from intercom_assets.sync.days import DayLedger, day_of
from intercom_assets.sync.progress import Progress
from intercom_assets.sync.transforms import (
    Rejected,
    Transformed,
    conversation_versions,
    conversations_frame,
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


@dataclass
class MessagesResult:
    stale: int = 0
    conversations_synced: int = 0
    messages_written: int = 0
    not_found: int = 0
    unusable: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    days: DayLedger = field(default_factory=DayLedger)
    newest_updated_at: int | None = None


@dataclass(frozen=True)
class FetchLimits:
    """A batch closes at whichever comes first."""

    conversations: int
    parts: int
    bytes: int


# Conversations per messages transaction: a crash loses at most this many GETs. Smaller
# batches hold less memory; a held connection (WriteSession) keeps them cheap to commit.
MESSAGES_BATCH_CONVERSATIONS = 250
# ... and at most this many characters of part bodies (10x larger bodies than the emulator's
# mix would otherwise hold ~10x the memory per batch).
MESSAGES_BATCH_BYTES = 4 * 1024**2


def _now() -> datetime:
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
        ):
            for item in page:
                if day_of(item.get("created_at")) is None and item.get("id") is not None:
                    window_days[str(item["id"])] = day_of(start)
            yield page

    def write(batch: list[dict[str, Any]], versions: pl.DataFrame) -> None:
        def attempt() -> tuple[int, list[Rejected], ConversationChanges, set[str]]:
            with session.transaction() as conn:
                current, older, unsynced = version_states(conn, versions)
                pending = _without(batch, current | older)
                if not pending:
                    return len(current | older), [], ConversationChanges(0, 0, 0), unsynced
                transformed = conversations_frame(pending, _now())
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
        created = _created_days(batch)
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
        # Computed here, beside the searches, so the writer thread mostly waits on DuckDB.
        submit(partial(write, batch, conversation_versions(batch)))
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


def _created_days(conversations: list[dict[str, Any]]) -> dict[str, str | None]:
    """id -> created day (None when the timestamp is unusable) of a batch of payloads."""
    return {
        str(c.get("id")): day_of(c.get("created_at")) for c in conversations if isinstance(c, dict)
    }


def spill_directory(database: str) -> str | None:
    return None if database.startswith("md:") or database == ":memory:" else f"{database}.tmp"


def _without(conversations: list[dict[str, Any]], ids: set[str]) -> list[dict[str, Any]]:
    """The conversations whose id is not in `ids` (records without an id are kept)."""
    kept = []
    for conversation in conversations:
        cid = conversation.get("id") if isinstance(conversation, dict) else None
        if cid is None or str(cid) not in ids:
            kept.append(conversation)
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
            remove_conversations(conn, gone, _now(), "reconcile")
    return len(gone)


@tuned_for_bulk_json()
def sync_messages(
    client: IntercomClient,
    database: str,
    start: datetime,
    end: datetime,
    log: logging.Logger,
    *,
    batch_conversations: int = MESSAGES_BATCH_CONVERSATIONS,
    batch_messages: int = 5_000,
    batch_bytes: int = MESSAGES_BATCH_BYTES,
    days: DayLedger | None = None,
) -> MessagesResult:
    """GET every stale conversation concurrently and write its messages with its marker.

    A batch closes at whichever comes first: conversations, parts or bytes of bodies, so
    conversations with large bodies cannot make a batch (and the writer queue) balloon. A
    conversation that cannot be retrieved this run marks its day failed (it stays stale, so
    the next run fetches it); the other days are unaffected.
    """
    with transaction(database, log) as conn:
        stale = stale_conversation_ids(conn, start, end)
    result = MessagesResult(stale=stale.len(), days=days or DayLedger())
    limits = FetchLimits(batch_conversations, batch_messages, batch_bytes)
    sync_stale(client, database, stale, result, log, limits)
    mark_unusable(database, result, log)
    return result


def sync_stale(
    client: IntercomClient,
    database: str,
    stale: pl.Series,
    result: MessagesResult,
    log: logging.Logger,
    limits: FetchLimits,
) -> None:
    """GET the `stale` ids and write their messages (the messages step's main loop)."""
    _fetch_and_write(client, database, _python_ids(stale), stale.len(), result, log, limits)


def mark_unusable(database: str, result: MessagesResult, log: logging.Logger) -> None:
    """Conversations that could not be retrieved this run fail their day."""
    if result.unusable:
        with transaction(database, log) as conn:
            for cid, day in created_days(conn, result.unusable).items():
                result.days.fail(day, f"conversation {cid} could not be retrieved")


@tuned_for_bulk_json()
def sync_conversation_ids(
    client: IntercomClient,
    database: str,
    ids: list[str],
    log: logging.Logger,
    *,
    batch_conversations: int = MESSAGES_BATCH_CONVERSATIONS,
    batch_messages: int = 5_000,
    batch_bytes: int = MESSAGES_BATCH_BYTES,
) -> MessagesResult:
    """Fetch exactly `ids` (what the updates sensor saw change): one GET each, no search.

    Each conversation's row, messages and marker are written together; one already stored at
    the fetched `updated_at` with its messages is left alone, so a repeated request costs only
    its GETs. New and changed conversations are counted on their created day.
    """
    unique = list(dict.fromkeys(ids))
    result = MessagesResult(stale=len(unique))
    limits = FetchLimits(batch_conversations, batch_messages, batch_bytes)
    _fetch_and_write(client, database, iter(unique), len(unique), result, log, limits, True)
    return result


def _fetch_and_write(
    client: IntercomClient,
    database: str,
    ids: Iterator[str],
    total: int,
    result: MessagesResult,
    log: logging.Logger,
    limits: FetchLimits,
    count_rows: bool = False,
) -> None:
    progress = Progress(log, "conversations retrieved", total)
    with (
        WriteSession(database, log) as session,
        BackgroundWriter(run_job, on_idle=session.release) as writer,
    ):
        fetch_and_submit(
            client, ids, progress, result, log, limits, session, writer.submit, count_rows
        )
    log_fetched(log, progress, result)


def fetch_and_submit(
    client: IntercomClient,
    ids: Iterator[str] | IdFeed,
    progress: Progress,
    result: MessagesResult,
    log: logging.Logger,
    limits: FetchLimits,
    session: WriteSession,
    submit: Callable[[Callable[[], None]], None],
    count_rows: bool = False,
) -> None:
    """GET `ids` and submit one write job per batch (messages, markers, rows that moved)."""
    batch = Batch()
    for conversation_id, payload in client.get_conversations(ids):
        progress.advance()
        if payload is None:
            batch.gone.append(conversation_id)
        elif isinstance(payload, IntercomError):
            log.warning("Skipping conversation %s this run: %s", conversation_id, payload)
            result.unusable.append(conversation_id)
        else:
            batch.add(payload)
        if (
            batch.size >= limits.conversations
            or batch.parts >= limits.parts
            or batch.bytes >= limits.bytes
        ):
            submit(partial(_write_batch, session, batch, result, log, count_rows=count_rows))
            batch = Batch()
    if batch.size:
        submit(partial(_write_batch, session, batch, result, log, count_rows=count_rows))


def log_fetched(log: logging.Logger, progress: Progress, result: MessagesResult) -> None:
    log.info(
        progress.summary(
            f"{result.conversations_synced} of {result.stale} stale conversations synced, "
            f"{result.messages_written} messages written, {result.not_found} gone, "
            f"{len(result.unusable)} skipped"
        )
    )


def _python_ids(ids: pl.Series, chunk: int = 10_000) -> Iterator[str]:
    """The column's ids as Python strings, a chunk at a time."""
    for offset in range(0, ids.len(), chunk):
        yield from ids.slice(offset, chunk).to_list()


def _write_batch(
    session: WriteSession,
    batch: Batch,
    result: MessagesResult,
    log: logging.Logger,
    *,
    count_rows: bool = False,
) -> None:
    """Messages and markers of a batch; conversation rows only where `updated_at` moved.

    The conversations step usually stored the same version seconds earlier, so transforming
    its row again from the GET payload would be wasted work. A GET older than the stored row
    (a lagging replica) writes nothing: the conversation stays stale and a later run
    fetches it again. Decided and written in one transaction, so a concurrent writer cannot
    slip a newer version in between (a conflict retries the whole batch). With `count_rows`
    (no conversations step ran: a sensor run) rows are counted as new or changed per day, and
    conversations already stored at this version with their messages are skipped.
    """
    gone, synced_at, prepared = batch.gone, _now(), batch.prepared()

    def attempt() -> tuple[Any, Any, Any, set[str], set[str], dict[str, int]]:
        found, versions, stored = prepared.found, prepared.versions, set()
        with session.transaction() as conn:
            if count_rows:
                done = current_conversation_ids(conn, versions)
                found = [c for c in found if str(c.get("id")) not in done]
                versions = versions.filter(~pl.col("id").is_in(list(done)))
                stored = stored_ids_among(conn, versions["id"].to_list())
            current, older = stored_versions(conn, versions)
            conversations = conversations_frame(_without(found, current | older), synced_at)
            usable = current | set(conversations.frame["id"].to_list())
            messages = Transformed(*prepared.accepted(usable, synced_at))
            markers = pl.concat(
                [
                    versions.filter(pl.col("id").is_in(list(current))),
                    conversations.frame.select(versions.columns),
                ]
            )
            deleted = days_of(conn, gone) if gone else {}
            if gone:
                remove_conversations(conn, gone, synced_at, "404")
            write_messages(conn, conversations.frame, markers, messages.frame, synced_at)
            return conversations, messages, markers, older, stored, deleted

    conversations, messages, markers, older, stored, deleted = retrying(attempt, log)
    if older:
        log.info(
            "%d conversations came back older than stored (a lagging replica?); they stay "
            "stale for the next run: %s",
            len(older),
            sorted(older)[:20],
        )
    for rejected in conversations.rejected + messages.rejected:
        log.warning("Unusable %s %s: %s", rejected.kind, rejected.id, rejected.reason)
    result.rejected.extend(conversations.rejected + messages.rejected)
    _tally(
        result.days,
        prepared.found,
        conversations.frame,
        markers,
        messages.frame,
        stored,
        deleted,
        count_rows,
    )
    if markers.height:
        newest = int(markers["updated_at"].max().timestamp())
        result.newest_updated_at = max(result.newest_updated_at or 0, newest)
    result.not_found += len(gone)
    result.conversations_synced += markers.height
    result.messages_written += messages.frame.height


def _tally(
    ledger: DayLedger,
    found: list[dict[str, Any]],
    rows: pl.DataFrame,
    markers: pl.DataFrame,
    messages: pl.DataFrame,
    stored: set[str],
    deleted: dict[str, int],
    count_rows: bool,
) -> None:
    """What one messages batch changed, on each conversation's created day."""
    created = _created_days(found)
    for day, count in deleted.items():
        ledger.add(day, deleted=count)
    if count_rows:
        for cid in rows["id"].to_list():
            if (day := created.get(cid)) is not None:
                ledger.add(day, **({"changed": 1} if cid in stored else {"new": 1}))
    for cid in markers["id"].to_list():
        if (day := created.get(cid)) is not None:
            ledger.add(day, messages_synced=1)
    if messages.height:
        for cid, count in messages.group_by("conversation_id").len().iter_rows():
            if (day := created.get(cid)) is not None:
                ledger.add(day, messages_written=count)
