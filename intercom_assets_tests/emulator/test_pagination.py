"""Cursor pagination (search, list) and page-number pagination (deleted) are complete and stable."""

from __future__ import annotations

import base64
import json

from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import Api, everything

ASCENDING = {"field": "updated_at", "order": "ascending"}


def test_walking_search_pages_returns_every_match_exactly_once(
    api: Api, emulator: Emulator
) -> None:
    ids = api.search_ids(everything(), per_page=5, sort=ASCENDING)
    assert len(ids) == len(set(ids)) == 24
    assert sorted(ids, key=int) == emulator.conversation_ids()


def test_pages_report_page_numbers_totals_and_omit_next_on_the_last_page(api: Api) -> None:
    cursor, seen = None, []
    while True:
        pages = api.search(everything(), per_page=10, starting_after=cursor).json()["pages"]
        seen.append((pages["page"], pages["total_pages"], "next" in pages))
        if "next" not in pages:
            break
        assert pages["next"]["page"] == pages["page"] + 1
        cursor = pages["next"]["starting_after"]
    assert seen == [(1, 3, True), (2, 3, True), (3, 3, False)]


def test_cursor_is_base64_of_sort_value_in_ms_id_and_next_page(api: Api) -> None:
    payload = api.search(everything(), per_page=3, sort=ASCENDING).json()
    last = payload["conversations"][-1]
    decoded = json.loads(base64.b64decode(payload["pages"]["next"]["starting_after"]))
    assert decoded == [last["updated_at"] * 1000, int(last["id"]), 2]


def test_total_count_is_the_same_on_every_page(api: Api) -> None:
    first = api.search(everything(), per_page=10).json()
    cursor = first["pages"]["next"]["starting_after"]
    second = api.search(everything(), per_page=10, starting_after=cursor).json()
    assert first["total_count"] == second["total_count"] == 24


def test_list_endpoint_walks_all_conversations_without_parts(api: Api, emulator: Emulator) -> None:
    ids, cursor = [], None
    while True:
        params = {"per_page": 7} | ({"starting_after": cursor} if cursor else {})
        payload = api.get("/conversations", **params).json()
        assert payload["type"] == "conversation.list"
        assert all("conversation_parts" not in item for item in payload["conversations"])
        ids.extend(item["id"] for item in payload["conversations"])
        if "next" not in payload["pages"]:
            break
        cursor = payload["pages"]["next"]["starting_after"]
    assert sorted(ids, key=int) == emulator.conversation_ids()
    assert len(ids) == 24


def test_list_per_page_defaults_to_20_and_rejects_over_150(api: Api) -> None:
    assert len(api.get("/conversations").json()["conversations"]) == 20
    assert api.get("/conversations", per_page=151).status_code == 400


def test_deleted_conversations_page_by_number_with_url_next(api: Api, emulator: Emulator) -> None:
    doomed = emulator.conversation_ids()[:5]
    for offset, cid in enumerate(doomed):
        emulator.set_now(emulator.now() + offset)
        emulator.delete(cid)
    first = api.get("/conversations/deleted", per_page=2).json()
    assert first["total_count"] == 5
    assert [item["id"] for item in first["conversations"]] == doomed[:-3:-1]
    assert first["pages"]["next"] == (
        f"{api.base_url}/conversations/deleted?per_page=2&order=desc&page=2"
    )
    last = api.get("/conversations/deleted", per_page=2, page=3).json()
    assert [item["id"] for item in last["conversations"]] == doomed[:1]
    assert "next" not in last["pages"]
    ascending = api.get("/conversations/deleted", order="asc", per_page=60).json()
    assert [item["id"] for item in ascending["conversations"]] == doomed


def test_deleted_endpoint_validates_its_parameters(api: Api) -> None:
    assert api.get("/conversations/deleted", per_page=61).status_code == 400
    assert api.get("/conversations/deleted", order="descending").status_code == 400
    assert api.get("/conversations/deleted", page=0).status_code == 400
    default = api.get("/conversations/deleted").json()
    assert default["pages"] == {"type": "pages", "page": 1, "per_page": 20, "total_pages": 0}
