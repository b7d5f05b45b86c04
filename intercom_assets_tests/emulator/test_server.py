"""HTTP behaviour clients rely on: HTTP/1.1 keep-alive, Content-Length, concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import Api


def test_responses_are_http_1_1_with_content_length(api: Api) -> None:
    response = api.get("/conversations")
    assert response.raw.version == 11
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert response.headers.get("Connection", "keep-alive").lower() != "close"


def test_concurrent_clients_are_all_served(emulator: Emulator) -> None:
    cid = emulator.conversation_ids()[0]

    def burst(_: int) -> list[int]:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {emulator.token}"
            url = f"{emulator.base_url}/conversations/{cid}"
            return [session.get(url, timeout=10).status_code for _ in range(10)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = [status for batch in pool.map(burst, range(16)) for status in batch]
    assert statuses == [200] * 160
    assert emulator.requests["get"] == 160


def test_stop_releases_the_port(emulator: Emulator) -> None:
    url = emulator.base_url
    emulator.stop()
    try:
        requests.get(f"{url}/me", timeout=2)
    except requests.ConnectionError:
        return
    raise AssertionError("emulator still answering after stop()")
