"""Generated history: deterministic by seed, realistic, and ending at the data clock's now."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets_tests.support import FIXED_NOW

DAY = 86_400
TODAY = FIXED_NOW - FIXED_NOW % DAY


@pytest.fixture(scope="module")
def workspace() -> dict[str, dict[str, Any]]:
    """A 600-conversation workspace, rendered in full (module-scoped: built once)."""
    config = EmulatorConfig(seed=11, days=20, conversations_per_day=30, now=FIXED_NOW)
    with running_emulator(config) as emulator:
        return {cid: emulator.snapshot(cid) for cid in emulator.conversation_ids()}


def all_parts(workspace: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        part
        for conversation in workspace.values()
        for part in conversation["conversation_parts"]["conversation_parts"]
    ]


def test_same_seed_gives_identical_data(emulator_config: EmulatorConfig) -> None:
    def dump(config: EmulatorConfig) -> list[dict[str, Any]]:
        with running_emulator(config) as emulator:
            return [emulator.snapshot(cid) for cid in emulator.conversation_ids()]

    assert dump(emulator_config) == dump(emulator_config)
    emulator_config.seed = 8
    other = dump(emulator_config)
    emulator_config.seed = 7
    assert other != dump(emulator_config)


def test_history_covers_days_ending_today(emulator: Emulator) -> None:
    created = [emulator.snapshot(cid)["created_at"] for cid in emulator.conversation_ids()]
    per_day = Counter((ts - TODAY) // DAY for ts in created)
    assert per_day == {-2: 8, -1: 8, 0: 8}
    assert max(created) <= FIXED_NOW


def test_ids_are_ascending_numeric_strings_in_creation_order(emulator: Emulator) -> None:
    ids = emulator.conversation_ids()
    created = [emulator.snapshot(cid)["created_at"] for cid in ids]
    assert all(cid.isdigit() for cid in ids)
    assert ids == sorted(ids, key=int)
    assert created == sorted(created)


def test_some_conversations_start_exactly_at_utc_midnight(workspace: dict) -> None:
    assert any(c["created_at"] % DAY == 0 for c in workspace.values())


def test_part_counts_are_skewed_with_configured_large_conversations(workspace: dict) -> None:
    counts = sorted(c["conversation_parts"]["total_count"] for c in workspace.values())
    assert counts[len(counts) // 2] <= 10
    assert sum(1 for count in counts if count > 500) == 2
    assert any(100 <= count <= 500 for count in counts)
    assert 0 in counts


def test_all_documented_part_types_and_author_types_occur(workspace: dict) -> None:
    parts = all_parts(workspace)
    assert {part["part_type"] for part in parts} >= {
        "comment",
        "note",
        "assignment",
        "open",
        "close",
        "snoozed",
        "assign_and_reopen",
        "quick_reply",
        "conversation_attribute_updated_by_admin",
        "custom_action_started",
        "custom_action_finished",
        "merged_primary_conversation",
        "call_summary",
    }
    assert {part["author"]["type"] for part in parts} == {"admin", "user", "lead", "bot"}


def test_event_parts_have_null_bodies_and_messages_are_messy(workspace: dict) -> None:
    parts = all_parts(workspace)
    bodies = [part["body"] for part in parts if part["body"] is not None]
    assert all(part["body"] is None for part in parts if part["part_type"] == "close")
    assert any("😕" in body for body in bodies)
    assert any("مرحبا" in body for body in bodies)
    assert any(len(body) > 5_000 for body in bodies)
    assert any("<a href=" in body for body in bodies)


def test_part_ids_are_unique_strings(workspace: dict) -> None:
    ids = [part["id"] for part in all_parts(workspace)]
    assert all(isinstance(part_id, str) for part_id in ids)
    assert len(ids) == len(set(ids))


def test_parts_are_oldest_first_within_the_conversation_lifetime(workspace: dict) -> None:
    for conversation in workspace.values():
        times = [p["created_at"] for p in conversation["conversation_parts"]["conversation_parts"]]
        assert times == sorted(times)
        assert all(conversation["created_at"] <= ts <= conversation["updated_at"] for ts in times)


def test_sources_have_ids_except_a_few_nulls(workspace: dict) -> None:
    source_ids = [c["source"]["id"] for c in workspace.values()]
    nulls = source_ids.count(None)
    assert 0 < nulls < len(source_ids) * 0.1


def test_rich_conversation_attributes_and_unknown_fields_occur(workspace: dict) -> None:
    conversations = list(workspace.values())
    assert any(c["tags"]["tags"] for c in conversations)
    assert any(c["conversation_rating"] for c in conversations)
    assert any("Notes" in c["custom_attributes"] for c in conversations)
    assert any("x_emulator_extra" in c for c in conversations)
    assert {c["state"] for c in conversations} == {"open", "closed", "snoozed"}
    assert all(c["contacts"]["contacts"] and c["teammates"]["teammates"] for c in conversations)
