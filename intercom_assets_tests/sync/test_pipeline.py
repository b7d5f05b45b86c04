"""A full refresh GETs conversations while their window's search still runs, once each."""

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from intercom_assets.client import IntercomClient
from intercom_assets.emulator import EmulatorConfig, FaultConfig, running_emulator
from intercom_assets.storage import prepare_database, transaction
from intercom_assets.sync.engine import SyncWindow
from intercom_assets.sync.pipeline import sync_window
from intercom_assets_tests.support import FIXED_NOW, Proxy, differences, make_client

LOG = logging.getLogger("test")


def _window(days: int) -> SyncWindow:
    end = datetime.fromtimestamp(FIXED_NOW, UTC).replace(hour=0, minute=0, second=0)
    end += timedelta(days=1)
    return SyncWindow(end - timedelta(days=days), end)


def _database(tmp_path: Path) -> str:
    database = str(tmp_path / "mirror.duckdb")
    prepare_database(database, LOG)
    return database


def test_gets_start_while_the_search_still_pages(tmp_path):
    # One day of 4 search pages of 0.3 s, which must be read in turn: without `total_count`
    # the window is not split. GETs (no latency) of the first page's ids come in between.
    faults = FaultConfig(search_latency_ms=300)
    config = EmulatorConfig(days=1, conversations_per_day=600, now=FIXED_NOW, faults=faults)
    arrivals: list[str] = []
    lock = threading.Lock()

    def record(method: str, path: str, body: object) -> bool:
        with lock:
            arrivals.append("search" if path.startswith("/conversations/search") else method)
        return False

    def uncounted(path: str, payload: dict) -> dict:
        return {k: v for k, v in payload.items() if k != "total_count"}

    with (
        running_emulator(config) as emulator,
        Proxy(emulator, fail=record, rewrite=uncounted) as proxy,
        IntercomClient(proxy.base_url, emulator.token) as client,
    ):
        database = _database(tmp_path)
        found, fetched = sync_window(client, database, _window(1), LOG)
        searches = [i for i, kind in enumerate(arrivals) if kind == "search"]
        gets = [i for i, kind in enumerate(arrivals) if kind == "GET"]
        assert found.new == 600 and fetched.conversations_synced == 600
        assert (len(searches), len(gets)) == (4, 600)
        assert gets[0] < searches[-1]  # searched first, every GET would follow the 4th page
        assert differences(emulator, Path(database)) == []


def test_ids_beyond_the_feed_are_fetched_by_the_second_pass_once_each(tmp_path):
    config = EmulatorConfig(days=3, conversations_per_day=100, now=FIXED_NOW)
    with running_emulator(config) as emulator:
        database = _database(tmp_path)
        with make_client(emulator) as client:
            found, fetched = sync_window(client, database, _window(3), LOG, feed_capacity=120)
        assert emulator.requests["get"] == 300  # none twice, none left out
        assert (found.new, fetched.stale, fetched.conversations_synced) == (300, 300, 300)
        assert differences(emulator, Path(database)) == []


def test_a_conversation_left_stale_by_an_earlier_run_is_fetched_with_the_search(tmp_path):
    config = EmulatorConfig(days=2, conversations_per_day=20, now=FIXED_NOW)
    with running_emulator(config) as emulator:
        database = _database(tmp_path)
        with make_client(emulator) as client:
            sync_window(client, database, _window(2), LOG)
            victim = sorted(emulator.conversation_ids())[3]
            with transaction(database, LOG) as conn:
                conn.execute(
                    "UPDATE intercom.conversations SET messages_synced_updated_at = NULL"
                    " WHERE id = ?",
                    [victim],
                )
            emulator.reset_counters()
            found, fetched = sync_window(client, database, _window(2), LOG)
        assert dict(emulator.requests) == {"search": 2, "get": 1}
        assert (found.new, found.changed, fetched.stale, fetched.conversations_synced) == (
            0,
            0,
            1,
            1,
        )
        assert differences(emulator, Path(database)) == []


def test_a_write_that_fails_on_the_last_batch_fails_the_sync_instead_of_hanging(tmp_path):
    # One page, one batch: the writer fails on it (no schema), after the search is done.
    config = EmulatorConfig(days=1, conversations_per_day=8, now=FIXED_NOW)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            sync_window(client, str(tmp_path / "unprepared.duckdb"), _window(1), LOG)
        except BaseException as error:
            outcome.append(error)

    with running_emulator(config) as emulator, make_client(emulator) as client:
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(30)
        assert not worker.is_alive(), "the GETs kept waiting for ids after the writer failed"
    assert len(outcome) == 1 and isinstance(outcome[0], duckdb.Error)
