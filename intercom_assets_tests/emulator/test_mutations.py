"""Mutations while running: each bumps updated_at to the data clock and shows up over HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest

from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets_tests.support import FIXED_NOW, Api, error_code

LATER = FIXED_NOW + 3_600


def fetch(api: Api, cid: str) -> dict[str, Any]:
    response = api.get(f"/conversations/{cid}")
    assert response.status_code == 200, response.text
    return response.json()


def updated_since(api: Api, since: int) -> list[str]:
    return api.search_ids({"field": "updated_at", "operator": ">=", "value": since})


def test_clock_is_pinned_and_movable(emulator: Emulator) -> None:
    assert emulator.now() == FIXED_NOW
    assert emulator.advance(60) == FIXED_NOW + 60
    emulator.set_now(LATER)
    assert emulator.now() == LATER


def test_add_parts_appends_parts_and_bumps_updated_at(api: Api, emulator: Emulator) -> None:
    cid = emulator.conversation_ids()[0]
    before = emulator.snapshot(cid)["conversation_parts"]["total_count"]
    emulator.set_now(LATER)
    new_ids = emulator.add_parts(cid, count=2, part_type="note", author_type="admin")
    conversation = fetch(api, cid)
    parts = conversation["conversation_parts"]["conversation_parts"]
    assert [part["id"] for part in parts[-2:]] == new_ids
    assert [part["part_type"] for part in parts[-2:]] == ["note", "note"]
    assert {part["created_at"] for part in parts[-2:]} == {LATER}
    assert conversation["updated_at"] == LATER
    assert conversation["conversation_parts"]["total_count"] == before + 2
    assert updated_since(api, LATER) == [cid]


def test_add_parts_respects_author_type(emulator: Emulator) -> None:
    cid = emulator.conversation_ids()[1]
    (part_id,) = emulator.add_parts(cid, author_type="user")
    part = emulator.snapshot(cid)["conversation_parts"]["conversation_parts"][-1]
    assert part["id"] == part_id
    assert part["author"]["type"] == "user"


def test_close_then_reopen_changes_state_and_adds_event_parts(api: Api, emulator: Emulator) -> None:
    cid = emulator.conversation_ids()[2]
    emulator.set_now(LATER)
    emulator.close(cid)
    closed = fetch(api, cid)
    emulator.set_now(LATER + 10)
    emulator.reopen(cid)
    reopened = fetch(api, cid)
    assert (closed["state"], closed["open"], closed["updated_at"]) == ("closed", False, LATER)
    assert closed["statistics"]["last_close_at"] == LATER
    assert (reopened["state"], reopened["open"], reopened["updated_at"]) == (
        "open",
        True,
        LATER + 10,
    )
    kinds = [p["part_type"] for p in reopened["conversation_parts"]["conversation_parts"][-2:]]
    assert kinds == ["close", "open"]


def test_snooze_sets_snoozed_until(api: Api, emulator: Emulator) -> None:
    cid = emulator.conversation_ids()[3]
    emulator.set_now(LATER)
    emulator.snooze(cid, until=LATER + 7_200)
    conversation = fetch(api, cid)
    assert conversation["state"] == "snoozed"
    assert conversation["snoozed_until"] == LATER + 7_200
    assert conversation["updated_at"] == LATER


def test_redact_part_blanks_the_body_and_bumps_both_timestamps(
    api: Api, emulator: Emulator
) -> None:
    cid = next(
        cid
        for cid in emulator.conversation_ids()
        if 0 < emulator.snapshot(cid)["conversation_parts"]["total_count"] < 500
    )
    target = emulator.snapshot(cid)["conversation_parts"]["conversation_parts"][0]
    emulator.set_now(LATER)
    emulator.redact_part(cid, target["id"])
    conversation = fetch(api, cid)
    redacted = conversation["conversation_parts"]["conversation_parts"][0]
    assert redacted["id"] == target["id"]
    assert redacted["redacted"] is True
    assert redacted["body"] == "<p><i>This message was deleted</i></p>"
    assert redacted["updated_at"] == LATER
    assert redacted["created_at"] == target["created_at"]
    assert conversation["updated_at"] == LATER


def test_redacting_an_unknown_part_raises(emulator: Emulator) -> None:
    with pytest.raises(KeyError):
        emulator.redact_part(emulator.conversation_ids()[0], "1")


def test_delete_removes_everywhere_and_lists_it_as_deleted(api: Api, emulator: Emulator) -> None:
    cid = emulator.conversation_ids()[4]
    emulator.set_now(LATER)
    emulator.delete(cid)
    assert cid not in emulator.conversation_ids()
    assert error_code(api.get(f"/conversations/{cid}")) == (404, "not_found")
    assert cid not in api.search_ids({"field": "created_at", "operator": ">=", "value": 0})
    assert api.search_ids({"field": "id", "operator": "=", "value": cid}) == []
    deleted = api.get("/conversations/deleted").json()["conversations"]
    assert deleted == [
        {"type": "conversation", "id": cid, "metrics_retained": True, "deleted_at": LATER}
    ]


def test_create_conversation_is_immediately_retrievable_and_searchable(
    api: Api, emulator: Emulator
) -> None:
    emulator.set_now(LATER)
    cid = emulator.create_conversation(parts=4)
    conversation = fetch(api, cid)
    assert int(cid) > int(emulator.conversation_ids()[-2])
    assert (conversation["created_at"], conversation["updated_at"]) == (LATER, LATER)
    assert conversation["conversation_parts"]["total_count"] == 4
    assert updated_since(api, LATER) == [cid]


def test_create_conversation_in_the_past_keeps_created_at(api: Api, emulator: Emulator) -> None:
    cid = emulator.create_conversation(created_at=FIXED_NOW - 86_400, parts=0)
    conversation = fetch(api, cid)
    assert conversation["created_at"] == FIXED_NOW - 86_400
    assert conversation["updated_at"] == FIXED_NOW
    assert conversation["statistics"]["count_conversation_parts"] == 1


def test_mutating_an_unknown_conversation_raises_key_error(emulator: Emulator) -> None:
    with pytest.raises(KeyError):
        emulator.close("42")


def test_clock_follows_real_time_when_not_pinned() -> None:
    with running_emulator(EmulatorConfig(days=1, conversations_per_day=2)) as emulator:
        assert abs(emulator.now() - time.time()) <= 2
        assert abs(emulator.advance(3_600) - (time.time() + 3_600)) <= 2


def test_counters_track_requests_per_endpoint_and_status(api: Api, emulator: Emulator) -> None:
    api.get("/me")
    api.get("/conversations/1")
    api.get("/conversations")
    api.get("/conversations/deleted")
    api.search({"field": "id", "operator": "=", "value": "1"})
    assert emulator.requests == {"me": 1, "get": 1, "list": 1, "deleted": 1, "search": 1}
    assert emulator.status_counts == {200: 4, 404: 1}
    emulator.reset_counters()
    assert emulator.requests == {}
    assert emulator.status_counts == {}
