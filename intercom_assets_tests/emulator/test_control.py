"""The `/_emulator/` control endpoint and live activity, driven over HTTP as a person would."""

from __future__ import annotations

import time

import requests

from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets.emulator.activity import KINDS, LiveActivity
from intercom_assets.emulator.gateway import TOKEN_MODES
from intercom_assets_tests.support import FIXED_NOW


def _control(emulator: Emulator, method: str, path: str, **body) -> requests.Response:
    return requests.request(method, f"{emulator.base_url}/_emulator/{path}", json=body or None)


def test_control_mutates_moves_the_clock_and_counts_requests_without_counting_itself(
    emulator: Emulator,
) -> None:
    auth = {"Authorization": f"Bearer {emulator.token}"}
    newest = requests.get(f"{emulator.base_url}/_emulator/conversations?limit=1").json()["ids"][0]
    reply = _control(emulator, "POST", f"conversations/{newest}/reply", author_type="user")
    assert reply.status_code == 200 and len(reply.json()["part_ids"]) == 1
    assert _control(emulator, "POST", "clock", advance_seconds=60).json() == {"now": FIXED_NOW + 60}
    assert _control(emulator, "POST", f"conversations/{newest}/close").status_code == 200
    conversation = requests.get(f"{emulator.base_url}/conversations/{newest}", headers=auth).json()
    assert (conversation["state"], conversation["updated_at"]) == ("closed", FIXED_NOW + 60)
    part = reply.json()["part_ids"][0]
    assert _control(emulator, "POST", f"conversations/{newest}/parts/{part}/redact").ok
    created = _control(emulator, "POST", "conversations", parts=2).json()["id"]
    assert _control(emulator, "DELETE", f"conversations/{created}").json() == {"deleted": created}

    counters = _control(emulator, "GET", "requests").json()
    assert counters == {"requests": {"get": 1}, "statuses": {"200": 1}}
    health = _control(emulator, "GET", "health").json()
    assert (health["status"], health["now"], health["deleted"]) == ("ok", FIXED_NOW + 60, 1)
    assert health["conversations"] == 24


def test_control_revokes_a_token_and_rejects_bad_requests_in_one_line(emulator: Emulator) -> None:
    assert _control(emulator, "POST", "tokens", token=emulator.token, mode="revoked").ok
    me = requests.get(f"{emulator.base_url}/me", headers={"Authorization": "Bearer demo-token"})
    assert me.json()["errors"][0]["code"] == "token_revoked"
    bad_mode = _control(emulator, "POST", "tokens", token="x", mode="sleepy")
    assert bad_mode.status_code == 400
    assert bad_mode.json() == {"error": f"need a token and a mode in {sorted(TOKEN_MODES)}"}
    missing = _control(emulator, "POST", "conversations/42/close")
    assert (missing.status_code, missing.json()) == (404, {"error": "no live conversation '42'"})
    assert _control(emulator, "GET", "nothing").status_code == 404


def test_live_activity_applies_seeded_events_to_the_newest_conversations() -> None:
    def run(seed: int) -> tuple[list[str], int]:
        config = EmulatorConfig(seed=3, days=2, conversations_per_day=5, now=FIXED_NOW)
        with running_emulator(config) as emulator:
            live = LiveActivity(emulator._store, 60, KINDS, seed=seed)
            kinds = [live.step() for _ in range(40)]
            return kinds, len(emulator.conversation_ids())

    kinds, live_count = run(3)
    assert set(kinds) == set(KINDS)
    assert live_count == 10 + kinds.count("new") - kinds.count("delete")
    assert run(3) == (kinds, live_count)
    assert run(4)[0] != kinds


def test_activity_flag_runs_in_the_background_and_shows_in_health() -> None:
    config = EmulatorConfig(days=1, conversations_per_day=3, activity_per_minute=1200)
    with running_emulator(config) as emulator:
        deadline = time.monotonic() + 5
        while sum(emulator.health()["activity"].values()) < 3:
            assert time.monotonic() < deadline, "no activity within 5 s"
            time.sleep(0.05)
        assert emulator.health()["activity_per_minute"] == 1200
