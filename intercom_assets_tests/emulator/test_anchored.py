"""Anchored history: the same seed and first day serve the same workspace at any later time;
time passing only adds conversations and parts, never removes or renumbers them."""

from __future__ import annotations

from typing import Any

from intercom_assets.emulator import EmulatorConfig, running_emulator
from intercom_assets_tests.support import FIXED_NOW

DAY = 86_400
FIRST_DAY = "2026-11-10"  # FIXED_NOW is 2026-11-20 15:30 UTC


def _workspace(now: int, **overrides: Any) -> dict[str, dict[str, Any]]:
    config = EmulatorConfig(
        seed=5, conversations_per_day=12, first_day=FIRST_DAY, now=now, **overrides
    )
    with running_emulator(config) as emulator:
        return {cid: emulator.snapshot(cid) for cid in emulator.conversation_ids()}


def _parts(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    return conversation["conversation_parts"]["conversation_parts"]


def test_a_later_emulator_serves_a_superset_with_identical_conversations_and_part_prefixes():
    earlier = _workspace(FIXED_NOW)
    later = _workspace(FIXED_NOW + 3 * DAY + 7_200, days=99)  # `days` is ignored when anchored

    assert set(earlier) < set(later)
    assert min(c["created_at"] for c in earlier.values()) == 1_794_268_800  # 2026-11-10 00:00
    assert max(c["created_at"] for c in earlier.values()) <= FIXED_NOW
    grown = 0
    for cid, before in earlier.items():
        after = later[cid]
        assert after["created_at"] == before["created_at"]
        assert after["source"] == before["source"]
        assert after["updated_at"] >= before["updated_at"]
        assert _parts(after)[: len(_parts(before))] == _parts(before)
        grown += len(_parts(after)) > len(_parts(before))
    assert grown > 0  # conversations still active at FIXED_NOW got their later replies


def test_the_history_runs_from_the_first_day_to_now_with_full_past_days():
    workspace = _workspace(FIXED_NOW)
    days = sorted({(c["created_at"] - 1_794_268_800) // DAY for c in workspace.values()})
    assert days == list(range(11))  # 2026-11-10 .. 2026-11-20 (today, partly)
    per_day = [
        sum(1 for c in workspace.values() if (c["created_at"] - 1_794_268_800) // DAY == day)
        for day in days
    ]
    assert per_day[:10] == [12] * 10
    assert 0 < per_day[10] <= 12
    assert all(c["updated_at"] <= FIXED_NOW for c in workspace.values())
    assert all(p["created_at"] <= FIXED_NOW for c in workspace.values() for p in _parts(c))


def test_moving_the_clock_reveals_exactly_what_a_fresh_emulator_has_at_that_time():
    config = EmulatorConfig(seed=5, conversations_per_day=12, first_day=FIRST_DAY, now=FIXED_NOW)
    with running_emulator(config) as emulator:
        emulator.advance(DAY)
        moved = {cid: emulator.snapshot(cid) for cid in emulator.conversation_ids()}
    assert moved == _workspace(FIXED_NOW + DAY)


def test_a_mutation_before_a_reveal_keeps_part_ids_unique_and_parts_in_time_order():
    config = EmulatorConfig(seed=5, conversations_per_day=12, first_day=FIRST_DAY, now=FIXED_NOW)
    with running_emulator(config) as emulator:
        growing = [
            cid
            for cid in emulator.conversation_ids()
            if emulator.snapshot(cid)["updated_at"] < _workspace_end(cid)
        ]
        cid = growing[0]
        added = emulator.add_parts(cid, 1)
        emulator.advance(4 * DAY)
        parts = _parts(emulator.snapshot(cid))
    ids = [part["id"] for part in parts]
    assert len(ids) == len(set(ids))
    assert added[0] in ids
    assert [p["created_at"] for p in parts] == sorted(p["created_at"] for p in parts)


_FAR = None


def _workspace_end(cid: str) -> int:
    """The conversation's updated_at once all its planned parts are out (10 days later)."""
    global _FAR
    if _FAR is None:
        _FAR = _workspace(FIXED_NOW + 10 * DAY)
    return _FAR[cid]["updated_at"]
