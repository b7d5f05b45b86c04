"""Anchored history: generated from a fixed first day, made visible as the data clock passes.

The whole planned history (through tomorrow) is drawn up front without looking at `now`;
conversations are born at their `created_at` and each original part appears at its own time,
moving `updated_at` with it, exactly as if the emulator had been running all along. So any two
emulators with the same seed and first day agree on every conversation both show, and time
passing only adds conversations and parts: it never removes or renumbers them.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from datetime import date
from heapq import heappop, heappush
from typing import TYPE_CHECKING

from intercom_assets.emulator.data import DAY, ConversationState, part_time

if TYPE_CHECKING:
    from intercom_assets.emulator.store import Store

# Conversations created by mutations on an anchored emulator: ids far above any history id
# and time-based, so two sessions never hand out the same id for different conversations.
LIVE_ID_BASE = 9_000_000_000_000


def anchor_epoch(first_day: str | None) -> int | None:
    """Epoch seconds of the anchored first day's UTC midnight (None: history ends at now)."""
    if not first_day:
        return None
    return (date.fromisoformat(first_day) - date(1970, 1, 1)).days * DAY


def next_part_time(state: ConversationState) -> int | None:
    """When the next original part appears (None: all shown, or not anchored)."""
    if state.planned_parts is None or state.base_parts >= state.planned_parts:
        return None
    return part_time(state.created_at, state.parts_end, state.planned_parts, state.base_parts)


def advance(state: ConversationState, now: int) -> None:
    """Show every original part written by `now`; `updated_at` becomes the newest's time.
    Callers keep the store's `by_updated` index in step."""
    newest = None
    while (when := next_part_time(state)) is not None and when <= now:
        state.base_parts += 1
        newest = when
    if newest is None or newest <= state.updated_at:
        return
    state.updated_at = newest
    if state.last_close_at is not None:
        state.last_close_at = newest
    if state.waiting_since is not None:
        state.waiting_since = newest


class AnchoredHistory:
    """The part of the planned history the clock has not reached yet."""

    def __init__(self, states: list[ConversationState], now: int) -> None:
        self._reveals: list[tuple[int, int]] = []  # heap of (next part time, conversation id)
        for state in states:
            state.planned_parts, state.base_parts = state.base_parts, 0
            state.updated_at = state.created_at
            if state.last_close_at is not None:
                state.last_close_at = state.created_at
            if state.waiting_since is not None:
                state.waiting_since = state.created_at
            advance(state, now)
            self._schedule(state)
        self.visible = [s for s in states if s.created_at <= now]
        self._unborn = [s for s in reversed(states) if s.created_at > now]  # newest first

    def _schedule(self, state: ConversationState) -> None:
        when = next_part_time(state)
        if when is not None:
            heappush(self._reveals, (when, state.id))

    def reveal(self, store: Store) -> None:
        """Births and parts up to the store clock's now (the caller holds `store.lock`)."""
        now = store.clock.now()
        while self._unborn and self._unborn[-1].created_at <= now:
            state = self._unborn.pop()
            store.conversations[state.id] = state
            insort(store.by_created, (state.created_at, state.id))
            insort(store.by_updated, (state.updated_at, state.id))
        while self._reveals and self._reveals[0][0] <= now:
            _, conversation_id = heappop(self._reveals)
            state = store.conversations.get(conversation_id)
            if state is None:
                continue  # deleted meanwhile
            if conversation_id in store.lagging_ids():
                advance(state, now)  # the lagging index catches up on the next change
            else:
                key = (state.updated_at, state.id)
                del store.by_updated[bisect_left(store.by_updated, key)]
                advance(state, now)
                insort(store.by_updated, (state.updated_at, state.id))
            self._schedule(state)
