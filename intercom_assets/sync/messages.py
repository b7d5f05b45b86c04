"""The messages side of the sync: GET each stale conversation, write its parts.

Batches close at a count of conversations, parts or body bytes, whichever comes first; each
is one DuckDB transaction committed with the conversations' "synced" markers, so a crash
loses at most the batch in flight and the next run fetches what is still stale.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, partial
from typing import Any

import polars as pl

from intercom_assets.client import IntercomClient, IntercomError
from intercom_assets.client.errors import IntercomRequestError, IntercomUnavailableError
from intercom_assets.client.feed import IdFeed
from intercom_assets.storage import (
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
    write_messages,
)
from intercom_assets.sync.batches import Batch, FetchLimits, Prepared
from intercom_assets.sync.days import DayLedger
from intercom_assets.sync.decoding import PROCESS_MIN_CONVERSATIONS, Decoder, helper_pool
from intercom_assets.sync.engine import created_days_of, run_job, utc_now, without_ids
from intercom_assets.sync.progress import Progress
from intercom_assets.sync.transforms import (
    Rejected,
    Transformed,
    conversations_frame,
)
from intercom_assets.sync.tuning import tuned_for_bulk_json
from intercom_assets.sync.writer import BackgroundWriter


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


# Conversations per messages transaction: a crash loses at most this many GETs. Smaller
# batches hold less memory; a held connection (WriteSession) keeps them cheap to commit.
MESSAGES_BATCH_CONVERSATIONS = 250
# ... and at most this many characters of part bodies (10x larger bodies than the emulator's
# mix would otherwise hold ~10x the memory per batch).
MESSAGES_BATCH_BYTES = 4 * 1024**2


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
    helper_from: int = PROCESS_MIN_CONVERSATIONS,
) -> MessagesResult:
    """GET every stale conversation concurrently and write its messages with its marker.

    A batch closes at whichever comes first: conversations, parts or bytes of bodies, so
    conversations with large bodies cannot make a batch (and the writer queue) balloon. A
    conversation that cannot be retrieved this run marks its day failed (it stays stale, so
    the next run fetches it); the other days are unaffected. From `helper_from` stale
    conversations on, their bodies are decoded in a helper process (`decoding.py`).
    """
    with transaction(database, log) as conn:
        stale = stale_conversation_ids(conn, start, end)
    result = MessagesResult(stale=stale.len(), days=days or DayLedger())
    limits = FetchLimits(batch_conversations, batch_messages, batch_bytes)
    sync_stale(client, database, stale, result, log, limits, helper_from)
    mark_unusable(database, result, log)
    return result


def sync_stale(
    client: IntercomClient,
    database: str,
    stale: pl.Series,
    result: MessagesResult,
    log: logging.Logger,
    limits: FetchLimits,
    helper_from: int = PROCESS_MIN_CONVERSATIONS,
) -> None:
    """GET the `stale` ids and write their messages (the messages step's main loop)."""
    ids = _python_ids(stale)
    _fetch_and_write(client, database, ids, stale.len(), result, log, limits, helper_from)


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
    _fetch_and_write(
        client, database, iter(unique), len(unique), result, log, limits, count_rows=True
    )
    return result


def _fetch_and_write(
    client: IntercomClient,
    database: str,
    ids: Iterator[str],
    total: int,
    result: MessagesResult,
    log: logging.Logger,
    limits: FetchLimits,
    helper_from: int = PROCESS_MIN_CONVERSATIONS,
    *,
    count_rows: bool = False,
) -> None:
    progress = Progress(log, "conversations retrieved", total)
    fetch = fetch_and_submit if total < helper_from else fetch_and_submit_decoded
    with (
        WriteSession(database, log) as session,
        BackgroundWriter(run_job, on_idle=session.release) as writer,
    ):
        fetch(client, ids, progress, result, log, limits, session, writer.submit, count_rows)
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
            _skip(conversation_id, payload, result, log)
        else:
            batch.add(payload)
        if batch.full(limits):
            _submit_batch(session, batch, result, log, submit, count_rows)
            batch = Batch()
    if batch.size:
        _submit_batch(session, batch, result, log, submit, count_rows)


def fetch_and_submit_decoded(
    client: IntercomClient,
    ids: Iterator[str],
    progress: Progress,
    result: MessagesResult,
    log: logging.Logger,
    limits: FetchLimits,
    session: WriteSession,
    submit: Callable[[Callable[[], None]], None],
    count_rows: bool = False,
) -> None:
    """`fetch_and_submit` with the bodies decoded and prepared in a helper process."""

    def refetch(conversation_id: str, batch: Batch) -> None:
        """A body that was not a JSON object: GET it again, decoded (and retried) here."""
        try:
            payload = client.get_conversation(conversation_id)
        except (IntercomRequestError, IntercomUnavailableError) as error:
            _skip(conversation_id, error, result, log)
            return
        if payload is None:
            batch.gone.append(conversation_id)
        else:
            batch.add(payload)

    with helper_pool() as pool:
        decoder = Decoder(pool, limits, refetch)

        def batches() -> Iterator[Batch]:
            for conversation_id, body in client.get_conversations(ids, decode=False):
                progress.advance()
                if isinstance(body, IntercomError):
                    _skip(conversation_id, body, result, log)
                else:
                    yield from decoder.add(conversation_id, body)
            yield from decoder.finish()

        for batch in batches():
            _submit_batch(session, batch, result, log, submit, count_rows)


def _skip(
    conversation_id: str, error: IntercomError, result: MessagesResult, log: logging.Logger
) -> None:
    """A conversation whose GET failed for good: left stale for the next run."""
    log.warning("Skipping conversation %s this run: %s", conversation_id, error)
    result.unusable.append(conversation_id)


def _submit_batch(
    session: WriteSession,
    batch: Batch,
    result: MessagesResult,
    log: logging.Logger,
    submit: Callable[[Callable[[], None]], None],
    count_rows: bool,
) -> None:
    """Prepare the batch here, on the fetching thread: the writer thread (the sync's
    bottleneck at speed) then only decides, writes and commits."""
    prepared = batch.prepared()
    job = partial(_write_batch, session, prepared, batch.gone, result, log, count_rows=count_rows)
    submit(job)


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
    prepared: Prepared,
    gone: list[str],
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
    synced_at = utc_now()

    def attempt() -> tuple[Any, Any, Any, set[str], set[str], dict[str, int], set[str]]:
        found, versions, stored = prepared.found, prepared.versions, set()
        with session.transaction() as conn:
            if count_rows:
                done = current_conversation_ids(conn, versions)
                found = [c for c in found if str(c.get("id")) not in done]
                versions = versions.filter(~pl.col("id").is_in(list(done)))
                stored = stored_ids_among(conn, versions["id"].to_list())
            current, older = stored_versions(conn, versions)
            pending = without_ids(found, current | older)
            # A first sync's batches are all stored by the search already: no polars work
            # (each call lets the fetching thread take the GIL from the writer).
            conversations = conversations_frame(pending, synced_at) if pending else _no_rows()
            usable = current | set(conversations.frame["id"].to_list())
            messages = Transformed(*prepared.accepted(usable, synced_at))
            markers = versions
            if pending or len(current) < versions.height:
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
            return conversations, messages, markers, older, stored, deleted, usable

    conversations, messages, markers, older, stored, deleted, usable = retrying(attempt, log)
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
        {cid: count for cid, count in prepared.counts.items() if cid in usable},
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


@cache
def _no_rows() -> Transformed:
    """The conversation rows of a batch that has none to write."""
    return conversations_frame([], datetime(1970, 1, 1, tzinfo=UTC))


def _tally(
    ledger: DayLedger,
    found: list[dict[str, Any]],
    rows: pl.DataFrame,
    markers: pl.DataFrame,
    written: dict[str, int],
    stored: set[str],
    deleted: dict[str, int],
    count_rows: bool,
) -> None:
    """What one messages batch changed, on each conversation's created day."""
    created = created_days_of(found)
    for day, count in deleted.items():
        ledger.add(day, deleted=count)
    if count_rows:
        for cid in rows["id"].to_list():
            if (day := created.get(cid)) is not None:
                ledger.add(day, **({"changed": 1} if cid in stored else {"new": 1}))
    for cid in markers["id"].to_list():
        if (day := created.get(cid)) is not None:
            ledger.add(day, messages_synced=1)
    for cid, count in written.items():
        if (day := created.get(cid)) is not None:
            ledger.add(day, messages_written=count)
