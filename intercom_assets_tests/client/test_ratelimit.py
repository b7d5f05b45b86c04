"""Rate limiting: our own ceiling, the server's window, and 429s that wait for the reset."""

import math
import threading
import time

import pytest
import requests

from intercom_assets.emulator import Emulator, EmulatorConfig
from intercom_assets_tests.support import FIXED_NOW, make_client


def auth(emulator: Emulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emulator.token}", "Accept": "application/json"}


def small_budget(per_window: int) -> EmulatorConfig:
    return EmulatorConfig(
        seed=7,
        days=3,
        conversations_per_day=8,
        rate_limit_per_window=per_window,
        window_seconds=1.0,
        now=FIXED_NOW,
    )


@pytest.mark.parametrize("emulator_config", [small_budget(5)])
def test_429_waits_for_the_reset_then_succeeds(emulator: Emulator) -> None:
    conversation_id = emulator.conversation_ids()[0]
    time.sleep(math.ceil(time.time()) - time.time() + 0.05)  # start of a 1-second window
    other_app = requests.Session()  # another process spending the shared budget
    while other_app.get(f"{emulator.base_url}/me", headers=auth(emulator)).status_code != 429:
        pass
    emulator.reset_counters()

    with make_client(emulator) as client:
        conversation = client.get_conversation(conversation_id)

    assert conversation is not None and conversation["id"] == conversation_id
    assert (client.stats.rate_limited, client.stats.retries) == (1, 1)
    assert emulator.requests["get"] == 2  # the 429, then one retry after the reset
    assert emulator.status_counts == {429: 1, 200: 1}


@pytest.mark.parametrize("emulator_config", [small_budget(25)])
def test_client_paces_itself_under_max_requests_per_minute(emulator: Emulator) -> None:
    ids = emulator.conversation_ids() * 2  # 48 GETs at 20 per second
    with make_client(emulator, max_requests_per_minute=1_200, max_concurrency=8) as client:
        started = time.monotonic()
        results = dict(client.get_conversations(ids))
        elapsed = time.monotonic() - started

    assert len(results) == 24
    assert elapsed >= 47 / 20
    assert emulator.requests["get"] == 48
    assert emulator.status_counts[429] == 0


@pytest.mark.parametrize("emulator_config", [small_budget(20)])
def test_client_follows_the_server_window(emulator: Emulator) -> None:
    ids = emulator.conversation_ids() * 2  # 48 GETs against 20 per 1-second window
    with make_client(emulator, max_concurrency=8) as client:
        results = list(client.get_conversations(ids))

    assert len(results) == 48
    assert all(isinstance(value, dict) for _, value in results)
    assert emulator.status_counts[429] == client.stats.rate_limited == 0
    assert emulator.requests["get"] == 48


@pytest.mark.parametrize("emulator_config", [small_budget(40)])
def test_two_clients_share_one_budget_with_few_429s(emulator: Emulator) -> None:
    ids = emulator.conversation_ids() * 3  # 72 GETs each, 144 against 40 per window
    outcomes: dict[str, list] = {}

    def sync(name: str) -> None:
        with make_client(emulator, max_concurrency=4) as client:
            outcomes[name] = list(client.get_conversations(ids))

    threads = [threading.Thread(target=sync, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [len(outcomes[name]) for name in ("a", "b")] == [72, 72]
    assert all(isinstance(value, dict) for name in outcomes for _, value in outcomes[name])
    assert emulator.requests["get"] - emulator.status_counts[429] == 144
    assert emulator.status_counts[429] <= 3  # ~2% of requests at most
