"""GET by id: full conversations, 404 as None, bounded concurrency, per-id vs fatal errors."""

import gc
import itertools
import time
from collections.abc import Iterator

import pytest

from intercom_assets.client import IntercomAuthError, IntercomClient, IntercomUnavailableError
from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import make_client


def part_ids(conversation: dict) -> list[str]:
    return [part["id"] for part in conversation["conversation_parts"]["conversation_parts"]]


def test_get_conversation_returns_every_part(emulator: Emulator, client: IntercomClient) -> None:
    conversation_id = emulator.conversation_ids()[0]

    conversation = client.get_conversation(conversation_id)

    assert conversation is not None
    assert conversation["id"] == conversation_id
    assert part_ids(conversation) == part_ids(emulator.snapshot(conversation_id))
    assert emulator.requests["get"] == client.stats.requests["get"] == 1


def test_deleted_conversation_is_none_and_counted(
    emulator: Emulator, client: IntercomClient
) -> None:
    conversation_id = emulator.conversation_ids()[0]
    emulator.delete(conversation_id)

    assert client.get_conversation(conversation_id) is None
    assert client.stats.not_found == 1
    assert client.stats.retries == 0
    assert emulator.requests["get"] == 1
    assert emulator.status_counts[404] == 1


def test_get_conversations_yields_each_id_once(emulator: Emulator, client: IntercomClient) -> None:
    ids = emulator.conversation_ids()
    emulator.delete(ids[3])

    results = dict(client.get_conversations(ids))

    assert sorted(results) == sorted(ids)
    assert results[ids[3]] is None
    assert all(results[cid]["id"] == cid for cid in ids if cid != ids[3])
    assert emulator.requests["get"] == client.stats.requests["get"] == len(ids)
    assert client.stats.as_metadata()["api_404s"] == 1


def test_get_conversations_keeps_a_bounded_window_in_flight(
    emulator: Emulator, client: IntercomClient
) -> None:
    consumed = 0

    def many_ids() -> Iterator[str]:
        nonlocal consumed
        for cid in itertools.cycle(emulator.conversation_ids()):
            consumed += 1
            yield cid

    results = client.get_conversations(many_ids())
    next(results)
    assert consumed <= client.max_concurrency + 3
    results.close()
    assert emulator.requests["get"] <= client.max_concurrency + 3


def test_exhausted_retries_are_yielded_per_id(emulator: Emulator) -> None:
    ids = emulator.conversation_ids()[:3]
    emulator.config.faults.invalid_json_rate = 1.0

    with make_client(emulator, max_retries=2) as client:
        results = dict(client.get_conversations(ids))

    assert sorted(results) == sorted(ids)
    assert all(isinstance(value, IntercomUnavailableError) for value in results.values())
    assert emulator.requests["get"] == 3 * 3
    assert client.stats.retries == 3 * 2


def test_auth_failure_stops_all_gets(emulator: Emulator) -> None:
    emulator.set_token("revoked-token", "revoked")
    ids = emulator.conversation_ids()

    with make_client(emulator, token="revoked-token") as client, pytest.raises(IntercomAuthError):
        list(client.get_conversations(ids))

    assert emulator.requests["get"] <= client.max_concurrency + 2
    assert client.stats.retries == 0


def test_stats_as_metadata_is_flat(emulator: Emulator, client: IntercomClient) -> None:
    gone = emulator.conversation_ids()[0]
    emulator.delete(gone)
    client.me()
    client.get_conversation(gone)

    assert client.stats.as_metadata() == {
        "api_requests": 2,
        "api_requests_me": 1,
        "api_requests_search": 0,
        "api_requests_list": 0,
        "api_requests_get": 1,
        "api_requests_deleted": 0,
        "api_429s": 0,
        "api_retries": 0,
        "api_404s": 1,
        "api_5xx": 0,
        "api_foreign_404s": 0,
    }


def test_a_gateway_html_404_is_retried_and_never_means_gone(emulator: Emulator) -> None:
    conversation_id = emulator.conversation_ids()[0]
    emulator.config.faults.html_404_rate = 1.0

    with make_client(emulator, max_retries=2) as client:
        with pytest.raises(IntercomUnavailableError, match="404 without Intercom's not_found"):
            client.get_conversation(conversation_id)
        (result,) = dict(client.get_conversations([conversation_id])).values()

    assert isinstance(result, IntercomUnavailableError)
    assert emulator.requests["get"] == 6
    assert client.stats.not_found == 0
    assert client.stats.as_metadata()["api_foreign_404s"] == 6


def test_a_404_after_gateway_404s_is_gone_only_when_it_is_intercoms(emulator: Emulator) -> None:
    conversation_id = emulator.conversation_ids()[1]
    emulator.delete(conversation_id)
    emulator.config.faults.html_404_rate = 0.5
    emulator.config.faults.seed = 3

    with make_client(emulator, max_retries=20) as client:
        assert client.get_conversation(conversation_id) is None

    assert client.stats.not_found == 1
    assert emulator.requests["get"] == client.stats.foreign_404s + 1


def decoded_conversations() -> int:
    """Full conversation objects alive in this process (a part's `source` has a `type` too)."""
    gc.collect()
    return sum(
        1
        for o in gc.get_objects()
        if type(o) is dict and o.get("type") == "conversation" and "conversation_parts" in o
    )


def test_answers_waiting_for_a_busy_consumer_are_held_as_bytes(emulator: Emulator) -> None:
    ids = emulator.conversation_ids()[:40]
    with make_client(emulator, max_requests_per_minute=60_000, max_concurrency=8) as client:
        before = decoded_conversations()  # the emulator's own records
        results = client.get_conversations(ids)
        first = next(results)
        sent = -1
        while sent != emulator.requests["get"]:  # until every GET in flight has been answered
            sent = emulator.requests["get"]
            time.sleep(0.3)
        held, waiting = decoded_conversations() - before, client.payloads.used
        results.close()

    # limit + 2 submitted (10): each answered one was held decoded while the consumer waited
    assert sent >= 9
    assert first[1]["id"] == first[0]
    assert held == 1
    assert waiting > 0 and client.payloads.used == 0
