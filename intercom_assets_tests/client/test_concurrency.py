"""The concurrency controller over real HTTP: in flight follows latency and the budget.

Requests in flight are counted by the emulator itself (`peak_in_flight`), so these tests
check what the server saw, not what the client believes. No timings are asserted.
"""

import math
import threading
import time

import pytest
import requests

from intercom_assets.emulator import Emulator, EmulatorConfig
from intercom_assets_tests.support import FIXED_NOW, make_client


def config(per_window: int = 10_000, window_seconds: float = 1.0) -> EmulatorConfig:
    return EmulatorConfig(
        seed=7,
        days=3,
        conversations_per_day=8,
        rate_limit_per_window=per_window,
        window_seconds=window_seconds,
        now=FIXED_NOW,
    )


def start_of_window(seconds: float) -> None:
    time.sleep(seconds - time.time() % seconds + 0.02)


def test_in_flight_grows_when_latency_rises_and_never_exceeds_the_ceiling(
    emulator: Emulator,
) -> None:
    ids = emulator.conversation_ids() * 8  # 192 GETs per phase
    with make_client(emulator, max_requests_per_minute=12_000, max_concurrency=24) as client:
        emulator.config.faults.latency_ms = 2
        assert len(list(client.get_conversations(ids))) == len(ids)
        fast_limit, fast_peak = client.controller.limit, emulator.peak_in_flight

        emulator.reset_counters()
        emulator.config.faults.latency_ms = 150  # 200/s x 0.15 s: 30 needed, 24 allowed
        assert len(list(client.get_conversations(ids))) == len(ids)
        slow_limit, slow_peak = client.controller.limit, emulator.peak_in_flight

    assert fast_limit < 16  # Little's law at a few ms: a handful (more on a busy machine)
    assert slow_limit == 24 and fast_peak < slow_peak <= 24
    assert client.controller.peak_in_flight <= 24
    assert emulator.status_counts == {200: len(ids)}


def test_waiting_for_the_rate_limiters_pacing_does_not_raise_the_limit(
    emulator: Emulator,
) -> None:
    ids = emulator.conversation_ids() * 4  # 96 GETs paced at 20/s: ~5 s
    emulator.config.faults.latency_ms = 50  # 20/s x 0.05 s x 1.3: 3 in flight needed
    limits: list[int] = []
    with make_client(emulator, max_requests_per_minute=1_200, max_concurrency=64) as client:
        for count, _ in enumerate(client.get_conversations(ids), 1):
            if count == 24:  # past the first 16 sent before any latency was known
                emulator.reset_counters()
            if count >= 24:
                limits.append(client.controller.limit)

    # Counted from before the pacing, the wait for a slot looked like latency: the limit
    # (and the GET threads it lets submit) grew towards the ceiling of 64.
    assert len(limits) == len(ids) - 23
    assert max(limits) <= 6
    assert emulator.peak_in_flight <= 6


def test_parallel_search_windows_share_the_same_limit(emulator: Emulator) -> None:
    first = FIXED_NOW - 3 * 86_400
    hours = [(first + h * 3_600, first + (h + 1) * 3_600) for h in range(3 * 24 + 1)]
    emulator.config.faults.latency_ms = 100
    with make_client(emulator, max_concurrency=6) as client:
        found = [c["id"] for page in client.search_windows("created_at", hours) for c in page]

    assert sorted(found) == sorted(emulator.conversation_ids())
    assert emulator.requests["search"] == len(hours)
    assert 4 <= emulator.peak_in_flight <= 6


@pytest.mark.parametrize("emulator_config", [config()])
def test_a_429_halves_the_limit_until_the_window_resets(emulator: Emulator) -> None:
    ids = emulator.conversation_ids() * 12
    emulator.config.faults.latency_ms = 50
    emulator.config.faults.rate_limit_storm_every = 150  # then 5 x 429
    samples: list[tuple[int, int]] = []  # (429s so far, limit)
    with make_client(emulator, max_requests_per_minute=60_000, max_concurrency=32) as client:
        for _ in client.get_conversations(ids):
            samples.append((client.stats.rate_limited, client.controller.limit))

    before = [limit for seen, limit in samples if seen == 0]
    after = [limit for seen, limit in samples if seen > 0]
    assert max(before) == 32
    assert after and min(after) <= 16
    assert after[-1] == 32  # restored once the window reset
    assert len(samples) == len(ids)


@pytest.mark.parametrize("emulator_config", [config(per_window=40, window_seconds=4.0)])
def test_low_remaining_caps_what_is_in_flight(emulator: Emulator) -> None:
    ids = emulator.conversation_ids()[:10]
    start_of_window(4.0)  # long enough for the other app and us to share one window
    other_app = requests.Session()  # another process spending the shared budget
    headers = {"Authorization": f"Bearer {emulator.token}"}
    for _ in range(34):
        other_app.get(f"{emulator.base_url}/me", headers=headers)
    emulator.reset_counters()
    emulator.config.faults.latency_ms = 100

    with make_client(emulator, max_requests_per_minute=60_000, max_concurrency=32) as client:
        client.get_conversation(ids[0])
        capped = client.controller.limit
        results = dict(client.get_conversations(ids))

    assert capped == 5  # Remaining after our one request
    assert all(isinstance(value, dict) for value in results.values())
    assert emulator.status_counts == {200: 11}
    assert emulator.peak_in_flight <= 5


@pytest.mark.parametrize("charge_on_arrival", [False, True])
@pytest.mark.parametrize("emulator_config", [config(per_window=50)])
def test_the_client_learns_when_the_server_charges_a_request(
    emulator: Emulator, charge_on_arrival: bool
) -> None:
    ids = emulator.conversation_ids() * 6  # 144 GETs: about three 1-second windows
    emulator.config.faults.latency_ms = 200
    emulator.config.faults.charge_on_arrival = charge_on_arrival
    with make_client(emulator, max_requests_per_minute=60_000, max_concurrency=32) as client:
        results = list(client.get_conversations(ids))

    assert len(results) == len(ids)
    assert emulator.status_counts[429] <= 0.02 * len(ids)  # a busy machine delays sends
    if charge_on_arrival:
        assert client.limiter.charge_delay < 0.5
    else:
        assert client.limiter.charge_delay > 0.5


@pytest.mark.parametrize("emulator_config", [config(per_window=60)])
def test_two_clients_with_large_ceilings_share_one_budget(emulator: Emulator) -> None:
    ids = emulator.conversation_ids() * 5  # 120 GETs each, 240 against 60 per window
    emulator.config.faults.latency_ms = 50
    outcomes: dict[str, list] = {}

    def sync(name: str) -> None:
        with make_client(emulator, max_requests_per_minute=60_000, max_concurrency=64) as client:
            outcomes[name] = list(client.get_conversations(ids))

    threads = [threading.Thread(target=sync, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [len(outcomes[name]) for name in ("a", "b")] == [120, 120]
    assert all(isinstance(value, dict) for name in outcomes for _, value in outcomes[name])
    assert emulator.status_counts[200] == 240
    assert emulator.status_counts[429] <= math.ceil(0.05 * 240)  # was 20-70 with bursts at resets


def test_a_payload_budget_smaller_than_one_body_still_lets_one_request_through(
    emulator: Emulator,
) -> None:
    ids = emulator.conversation_ids()
    emulator.config.faults.latency_ms = 20
    with make_client(emulator, max_concurrency=16, max_payload_bytes=1) as client:
        results = dict(client.get_conversations(ids))
        pages = list(
            client.search_windows(
                "created_at", [(0, FIXED_NOW // 2), (FIXED_NOW // 2, FIXED_NOW + 1)]
            )
        )

    assert sorted(results) == sorted(ids)
    assert sum(len(page) for page in pages) == len(ids)
    assert emulator.peak_in_flight == 1
    assert client.payloads.used == 0  # every body given back once consumed
