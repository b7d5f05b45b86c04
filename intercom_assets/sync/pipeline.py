"""A full refresh of a window with the search and the GETs running at once.

Searched in turn, the conversations step left the budget idle: at 1 s latency each day costs
two search pages in a row and 20,000 upserts take seconds of CPU, so the first GET waited
5-11 s (0.91 of the rate-limit bound at 20,000 conversations); with search pages of 2-5 s
it would wait for every window. Here each committed batch of searched conversations hands
the ids whose messages are not stored at their `updated_at` to the GETs at once. One writer
thread applies both kinds of batches, in order (a process may attach the DuckDB file only
once, and a conversation's row is committed before its messages batch is written).

The hand-off holds at most `feed_capacity` ids; beyond that (a long backfill) the search goes
on and a second pass fetches what is still stale once the first pass is done: the same query
the messages step always ran, less the ids already fetched. That pass also catches stale
conversations the search did not return and those with parts missing.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from intercom_assets.client import IntercomClient
from intercom_assets.client.feed import IdFeed
from intercom_assets.storage import SeenIds, WriteSession, stale_conversation_ids, transaction
from intercom_assets.sync.days import DayLedger
from intercom_assets.sync.engine import (
    ConversationsResult,
    SyncWindow,
    finish_search,
    run_job,
    search_and_upsert,
    spill_directory,
)
from intercom_assets.sync.messages import (
    MESSAGES_BATCH_BYTES,
    MESSAGES_BATCH_CONVERSATIONS,
    FetchLimits,
    MessagesResult,
    fetch_and_submit,
    log_fetched,
    mark_unusable,
    sync_stale,
)
from intercom_assets.sync.progress import Progress
from intercom_assets.sync.tuning import tuned_for_bulk_json
from intercom_assets.sync.writer import BackgroundWriter

# Ids handed from the search to the GETs: ~5 minutes of GETs at the 166/s budget, enough to
# cover the search of 10^6 conversations; a few MiB of strings.
FEED_CAPACITY = 50_000


@tuned_for_bulk_json()
def sync_window(
    client: IntercomClient,
    database: str,
    window: SyncWindow,
    log: logging.Logger,
    *,
    batch_size: int = 500,
    batch_conversations: int = MESSAGES_BATCH_CONVERSATIONS,
    batch_messages: int = 5_000,
    batch_bytes: int = MESSAGES_BATCH_BYTES,
    days: DayLedger | None = None,
    feed_capacity: int = FEED_CAPACITY,
) -> tuple[ConversationsResult, MessagesResult]:
    """`sync_conversations` then `sync_messages` of one window, overlapped; same results."""
    found = ConversationsResult(days=days or DayLedger())
    fetched = MessagesResult(days=found.days)
    limits = FetchLimits(batch_conversations, batch_messages, batch_bytes)
    feed = IdFeed(feed_capacity)
    with SeenIds(temp_directory=spill_directory(database)) as seen:
        with (
            WriteSession(database, log) as session,
            BackgroundWriter(run_job, on_idle=session.release) as writer,
            ThreadPoolExecutor(1, thread_name_prefix="intercom-searcher") as searcher,
        ):

            def search() -> Progress:
                try:
                    progress = search_and_upsert(
                        client,
                        window,
                        log,
                        found,
                        seen,
                        session,
                        writer.submit,
                        batch_size=batch_size,
                        feed=feed,
                    )
                except BaseException as error:
                    feed.close(error)
                    raise
                writer.submit(feed.close)  # after the last upsert has offered its ids
                # A writer that failed skips that job too: then close the feed with its error.
                while not feed.closed:
                    if writer.error is not None:
                        feed.close(writer.error)
                    time.sleep(0.05)
                return progress

            searching = searcher.submit(search)
            retrieved = Progress(log, "conversations retrieved", None)
            try:
                fetch_and_submit(
                    client, feed, retrieved, fetched, log, limits, session, writer.submit
                )
            except BaseException:
                feed.abandon()
                raise
            searched = searching.result()
        finish_search(client, database, window, log, found, seen, searched)
    first = feed.accepted
    with transaction(database, log) as conn:
        stale = stale_conversation_ids(conn, window.start, window.end)
    rest = stale.filter(~stale.is_in(list(first))) if first else stale
    fetched.stale = len(first) + rest.len()
    if rest.len():
        sync_stale(client, database, rest, fetched, log, limits)
    else:
        log_fetched(log, retrieved, fetched)
    mark_unusable(database, fetched, log)
    return found, fetched
