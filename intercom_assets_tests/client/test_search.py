"""Search: window bounds, pagination, ordering, de-duplication and parallel windows."""

import gc
import math
import time
from collections.abc import Iterable

import pytest

from intercom_assets.client import IntercomAuthError, IntercomClient
from intercom_assets.client.queries import match_all_query
from intercom_assets.emulator import Emulator, EmulatorConfig
from intercom_assets_tests.support import FIXED_NOW, make_client

DAY = 86_400


def ids_of(pages: Iterable[list[dict]]) -> list[str]:
    return [conversation["id"] for page in pages for conversation in page]


def all_conversations(client: IntercomClient) -> list[dict]:
    return [c for page in client.search_pages(match_all_query()) for c in page]


def test_window_includes_start_and_excludes_end_on_created_at(
    emulator: Emulator, client: IntercomClient
) -> None:
    start = FIXED_NOW - 30 * DAY  # long before the generated history: nothing else is there
    end = start + 3_600
    placed = {
        at: emulator.create_conversation(created_at=at) for at in (start - 1, start, end - 1, end)
    }

    found = ids_of(client.search_window("created_at", start, end))

    assert found == [placed[start], placed[end - 1]]


def test_window_bounds_on_updated_at(emulator: Emulator, client: IntercomClient) -> None:
    first, second, third = emulator.conversation_ids()[:3]
    start = FIXED_NOW + 1_000
    for offset, conversation_id in ((-1, first), (0, second), (100, third)):
        emulator.set_now(start + offset)
        emulator.add_parts(conversation_id, 1)

    found = ids_of(client.search_window("updated_at", start, start + 100))

    assert found == [second]


def test_search_pages_follow_the_cursor_to_the_last_page(
    emulator: Emulator, client: IntercomClient
) -> None:
    expected = emulator.conversation_ids()
    emulator.reset_counters()

    pages = list(client.search_pages(match_all_query(), per_page=5))

    assert [len(page) for page in pages] == [5, 5, 5, 5, 4]
    assert sorted(ids_of(pages)) == sorted(expected)
    assert emulator.requests["search"] == client.stats.requests["search"] == 5


def test_window_over_all_history_is_complete_and_sorted(
    emulator: Emulator, client: IntercomClient
) -> None:
    conversations = [
        c for page in client.search_window("created_at", 0, FIXED_NOW + 1) for c in page
    ]

    assert sorted(c["id"] for c in conversations) == sorted(emulator.conversation_ids())
    created = [c["created_at"] for c in conversations]
    assert created == sorted(created)


def test_empty_window_costs_one_request_and_yields_nothing(
    emulator: Emulator, client: IntercomClient
) -> None:
    assert list(client.search_window("created_at", 100, 200)) == []
    assert emulator.requests["search"] == 1


def test_newest_updated_at_is_one_search_call(emulator: Emulator, client: IntercomClient) -> None:
    newest = max(c["updated_at"] for c in all_conversations(client))
    emulator.reset_counters()

    assert client.newest_updated_at() == newest
    assert emulator.requests["search"] == 1


@pytest.mark.parametrize(
    "emulator_config",
    [EmulatorConfig(seed=11, days=3, conversations_per_day=170, window_seconds=1.0, now=FIXED_NOW)],
)
def test_parallel_windows_cost_exactly_the_pages_needed(
    emulator: Emulator, client: IntercomClient
) -> None:
    created = sorted(c["created_at"] for c in all_conversations(client))
    first, last = created[0], created[-1] + 1
    step = math.ceil((last - first) / 4)
    windows = [(first + i * step, min(first + (i + 1) * step, last)) for i in range(4)]
    sizes = [sum(start <= at < end for at in created) for start, end in windows]
    assert all(size % 150 for size in sizes), "a full last page would make the count ambiguous"
    emulator.reset_counters()

    with make_client(emulator) as fresh:
        found = ids_of(fresh.search_windows("created_at", windows))

    assert sorted(found) == sorted(emulator.conversation_ids())
    assert len(found) == len(set(found)) == len(created)
    expected_pages = sum(math.ceil(size / 150) for size in sizes)
    assert emulator.requests["search"] == fresh.stats.requests["search"] == expected_pages


def test_overlapping_windows_yield_each_conversation_once(
    emulator: Emulator, client: IntercomClient
) -> None:
    created = sorted(c["created_at"] for c in all_conversations(client))
    middle = created[len(created) // 2]
    windows = [(created[0], middle + DAY // 2), (middle - DAY // 2, created[-1] + 1)]

    found = ids_of(client.search_windows("created_at", windows))

    assert len(found) == len(set(found))
    assert sorted(found) == sorted(emulator.conversation_ids())


def test_windows_apply_extra_filters(emulator: Emulator, client: IntercomClient) -> None:
    conversations = all_conversations(client)
    expected = sorted(c["id"] for c in conversations if c["state"] == "snoozed")
    windows = [(0, FIXED_NOW - DAY), (FIXED_NOW - DAY, FIXED_NOW + 1)]
    snoozed = [{"field": "state", "operator": "=", "value": "snoozed"}]

    found = ids_of(client.search_windows("created_at", windows, extra_filters=snoozed))

    assert 0 < len(expected) < len(conversations)
    assert sorted(found) == expected


def test_abandoning_parallel_windows_stops_the_workers(
    emulator: Emulator, client: IntercomClient
) -> None:
    windows = [(day, day + 3_600) for day in range(FIXED_NOW - 3 * DAY, FIXED_NOW, 3_600)]
    pages = client.search_windows("created_at", windows)
    next(pages)
    pages.close()
    sent = emulator.requests["search"]

    assert sent < len(windows)
    assert emulator.requests["search"] == sent  # nothing keeps running in the background


def test_a_fatal_error_in_one_window_stops_all_windows(emulator: Emulator) -> None:
    emulator.set_token("revoked-token", "revoked")
    windows = [(day, day + 3_600) for day in range(FIXED_NOW - 3 * DAY, FIXED_NOW, 3_600)]

    with make_client(emulator, token="revoked-token") as revoked, pytest.raises(IntercomAuthError):
        list(revoked.search_windows("created_at", windows))

    assert emulator.requests["search"] <= 4  # one per worker at most, never one per window


@pytest.mark.parametrize(
    "emulator_config",
    [
        EmulatorConfig(
            seed=7, days=1, conversations_per_day=6_000, window_seconds=1.0, now=FIXED_NOW
        )
    ],
)
def test_a_window_of_many_pages_is_split_and_searched_in_parallel(emulator: Emulator) -> None:
    """Its rest in pieces of ~4 pages: pieces of one page took two about half the time
    (~1.46 pages each), pieces of 4 waste at most one partial page each."""
    emulator.config.faults.latency_ms = 50
    with make_client(emulator, max_requests_per_minute=60_000, max_concurrency=16) as client:
        found = ids_of(client.search_windows("created_at", [(0, FIXED_NOW + 1)]))

    assert len(found) == len(set(found)) == 6_000
    assert sorted(found) == sorted(emulator.conversation_ids())
    pages = math.ceil(6_000 / 150)
    assert pages <= emulator.requests["search"] <= pages + math.ceil(pages / 4)
    assert emulator.peak_in_flight >= 5  # the rest of the day: ~10 pieces of <= 4 pages


def decoded_conversations() -> int:
    """Conversation objects alive in this process (a part's `source` has its `type` too)."""
    gc.collect()
    return sum(
        1
        for o in gc.get_objects()
        if type(o) is dict and o.get("type") == "conversation" and "admin_assignee_id" in o
    )


@pytest.mark.parametrize(
    "emulator_config",
    [EmulatorConfig(seed=7, days=3, conversations_per_day=200, window_seconds=1.0, now=FIXED_NOW)],
)
def test_pages_waiting_for_a_busy_consumer_are_held_as_bytes(emulator: Emulator) -> None:
    windows = [(day, day + 3_600) for day in range(FIXED_NOW - 3 * DAY, FIXED_NOW, 3_600)]
    with make_client(emulator, max_requests_per_minute=60_000, max_concurrency=8) as client:
        before = decoded_conversations()  # the emulator's own records
        pages = client.search_windows("created_at", windows)
        page = next(pages)
        sent = -1
        while sent != emulator.requests["search"]:  # until every search thread waits for us
            sent = emulator.requests["search"]
            time.sleep(0.3)
        held, waiting = decoded_conversations() - before, client.payloads.used
        pages.close()

    # ~8 per hour: a queue of 4 pages and a page per blocked thread were held decoded
    assert sent > 6
    assert held == len(page)
    assert waiting > 0 and client.payloads.used == 0
