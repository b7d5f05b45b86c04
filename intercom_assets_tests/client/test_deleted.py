"""GET /conversations/deleted: newest first, page by page, stopping at `since`."""

import pytest

from intercom_assets.client import IntercomClient, IntercomVersionError
from intercom_assets.emulator import Emulator, EmulatorConfig
from intercom_assets_tests.support import FIXED_NOW, make_client


def delete_at(emulator: Emulator, ids: list[str], first_ts: int) -> dict[str, int]:
    """Delete `ids` one second apart; return id -> deleted_at."""
    stamps = {}
    for offset, conversation_id in enumerate(ids):
        emulator.set_now(first_ts + offset)
        emulator.delete(conversation_id)
        stamps[conversation_id] = first_ts + offset
    return stamps


@pytest.mark.parametrize(
    "emulator_config",
    [EmulatorConfig(seed=3, days=3, conversations_per_day=30, window_seconds=1.0, now=FIXED_NOW)],
)
def test_deletions_page_newest_first(emulator: Emulator, client: IntercomClient) -> None:
    stamps = delete_at(emulator, emulator.conversation_ids()[:65], FIXED_NOW + 10)
    emulator.reset_counters()

    records = list(client.deleted_conversations())

    newest_first = sorted(stamps, key=stamps.__getitem__, reverse=True)
    assert [r["id"] for r in records] == newest_first
    assert [r["deleted_at"] for r in records] == [stamps[cid] for cid in newest_first]
    assert emulator.requests["deleted"] == 2  # 60 + 5


@pytest.mark.parametrize(
    "emulator_config",
    [
        EmulatorConfig(
            seed=3,
            days=3,
            conversations_per_day=30,
            window_seconds=1.0,
            now=FIXED_NOW,
            deleted_order=order,
        )
        for order in ("deleted_at", "id")
    ],
    ids=["by_deleted_at", "by_id"],
)
def test_deletions_since_are_found_whatever_order_intercom_lists_them_in(
    emulator: Emulator, client: IntercomClient
) -> None:
    """The spec says only "ascending or descending": no page is skipped on an assumed order."""
    stamps = delete_at(emulator, emulator.conversation_ids()[:65], FIXED_NOW + 10)
    emulator.reset_counters()

    records = list(client.deleted_conversations(since=FIXED_NOW + 10 + 60))

    assert sorted(r["deleted_at"] for r in records) == [FIXED_NOW + 10 + n for n in range(60, 65)]
    assert {r["id"] for r in records} == {c for c, at in stamps.items() if at >= FIXED_NOW + 70}
    assert emulator.requests["deleted"] == 2  # every page (60 + 5)


def test_deletions_need_api_2_16(emulator: Emulator) -> None:
    with make_client(emulator, api_version="2.15") as old, pytest.raises(IntercomVersionError) as e:
        list(old.deleted_conversations())

    assert e.value.status == 400
    assert e.value.code == "intercom_version_invalid"
    assert "Intercom API version 2.15 does not offer this endpoint" in str(e.value)
    assert "INTERCOM_API_VERSION=2.16" in str(e.value)
    assert emulator.requests["deleted"] == 1
