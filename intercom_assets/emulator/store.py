"""Live workspace state: compact conversation records, time indexes and thread-safe mutations."""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from datetime import date
from heapq import heappop, heappush
from random import Random
from typing import Any

from intercom_assets.emulator.clock import Clock
from intercom_assets.emulator.config import EmulatorConfig
from intercom_assets.emulator.data import (
    DAY,
    FIRST_CONVERSATION_ID,
    PART_ID_STRIDE,
    ConversationState,
    added_part,
    generate_parts,
    generate_states,
    new_state,
    part_time,
)
from intercom_assets.emulator.profile import generate_profile

REDACTED_BODY = "<p><i>This message was deleted</i></p>"
TimeIndex = list[tuple[int, int]]
# Conversations created by mutations on an anchored emulator: ids far above any history id
# and time-based, so two sessions never hand out the same id for different conversations.
LIVE_ID_BASE = 9_000_000_000_000


def anchor_epoch(first_day: str | None) -> int | None:
    """Epoch seconds of the anchored first day's UTC midnight (None: history ends at now)."""
    if not first_day:
        return None
    return date.fromisoformat(first_day).toordinal() * DAY - date(1970, 1, 1).toordinal() * DAY


def _drop(index: TimeIndex, key: tuple[int, int]) -> None:
    del index[bisect_left(index, key)]


class Store:
    """All conversations plus (timestamp, id) indexes sorted for bisect range lookups.

    Callers hold `lock` around anything that reads several facts at once; the mutation
    methods take it themselves.
    """

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.seed = config.seed
        self.clock = clock
        self.lock = threading.RLock()
        now = clock.now()
        first_day = anchor_epoch(config.first_day)
        states = generate_states(
            config.seed,
            now,
            config.days,
            config.conversations_per_day,
            config.mean_parts,
            config.large_conversations,
            first_day,
        )
        self._next_id = (states[-1].id if states else FIRST_CONVERSATION_ID) + 1
        self._creation_rng = Random(config.seed + 1)
        self.deleted: dict[int, int] = {}
        # Anchored history not yet visible: conversations created after `now` (by created_at)
        # and original parts written after `now` (a heap of (part time, conversation id)).
        self._unborn: list[ConversationState] = []
        self._reveals: list[tuple[int, int]] = []
        if first_day is not None:
            self._next_id = max(self._next_id, LIVE_ID_BASE + now * 100)
            for state in states:
                state.planned_parts, state.base_parts = state.base_parts, 0
                state.updated_at = state.created_at
                if state.last_close_at is not None:
                    state.last_close_at = state.created_at
                if state.waiting_since is not None:
                    state.waiting_since = state.created_at
                self._advance(state, now)
                self._schedule_reveal(state)
            self._unborn = [s for s in reversed(states) if s.created_at > now]
            states = [s for s in states if s.created_at <= now]
        self.conversations: dict[int, ConversationState] = {s.id: s for s in states}
        self.by_created: TimeIndex = sorted((s.created_at, s.id) for s in states)
        self.by_updated: TimeIndex = sorted((s.updated_at, s.id) for s in states)

    def catch_up(self) -> None:
        """Make anchored history up to the clock's now visible: time passing only adds.

        Conversations are born at their `created_at`; each original part appears at its own
        time, moving `updated_at` (and the closed / waiting stamps) with it, exactly as if the
        emulator had been running all along.
        """
        with self.lock:
            now = self.clock.now()
            while self._unborn and self._unborn[-1].created_at <= now:
                state = self._unborn.pop()
                self.conversations[state.id] = state
                insort(self.by_created, (state.created_at, state.id))
                insort(self.by_updated, (state.updated_at, state.id))
            while self._reveals and self._reveals[0][0] <= now:
                _, conversation_id = heappop(self._reveals)
                state = self.conversations.get(conversation_id)
                if state is None:
                    continue  # deleted meanwhile
                _drop(self.by_updated, (state.updated_at, state.id))
                self._advance(state, now)
                insort(self.by_updated, (state.updated_at, state.id))
                self._schedule_reveal(state)

    def _next_part_time(self, state: ConversationState) -> int | None:
        if state.planned_parts is None or state.base_parts >= state.planned_parts:
            return None
        return part_time(state.created_at, state.parts_end, state.planned_parts, state.base_parts)

    def _schedule_reveal(self, state: ConversationState) -> None:
        when = self._next_part_time(state)
        if when is not None:
            heappush(self._reveals, (when, state.id))

    def _advance(self, state: ConversationState, now: int) -> None:
        """Show every original part written by `now`; `updated_at` becomes the newest's time.

        Callers keep `by_updated` in step."""
        newest = None
        while (when := self._next_part_time(state)) is not None and when <= now:
            state.base_parts += 1
            newest = when
        if newest is None or newest <= state.updated_at:
            return
        state.updated_at = newest
        if state.last_close_at is not None:
            state.last_close_at = newest
        if state.waiting_since is not None:
            state.waiting_since = newest

    def index(self, field: str) -> TimeIndex:
        return self.by_created if field == "created_at" else self.by_updated

    def find(self, conversation_id: str | int) -> ConversationState | None:
        """The live conversation with this id, or None (unknown, deleted or not numeric)."""
        try:
            return self.conversations.get(int(conversation_id))
        except (TypeError, ValueError):
            return None

    def require(self, conversation_id: str | int) -> ConversationState:
        self.catch_up()
        state = self.find(conversation_id)
        if state is None:
            raise KeyError(f"no live conversation {conversation_id!r}")
        return state

    def live_ids(self) -> list[str]:
        with self.lock:
            self.catch_up()
            return [str(cid) for cid in sorted(self.conversations)]

    @staticmethod
    def total_parts(state: ConversationState) -> int:
        return state.base_parts + len(state.extra_parts or ())

    def profile(self, state: ConversationState) -> dict[str, Any]:
        return generate_profile(self.seed, state.id, state.created_at, state.parts_end)

    def parts(self, state: ConversationState) -> list[dict[str, Any]]:
        """Every part, oldest first, with redactions applied (no 500 cap here)."""
        planned = state.planned_parts or state.base_parts
        base = generate_parts(self.seed, state.id, state.created_at, state.parts_end, planned)
        parts = [*base[: state.base_parts], *(state.extra_parts or ())]
        if state.extra_parts and state.planned_parts is not None:
            parts.sort(key=lambda part: part["created_at"])  # revealed after a mutation's part
        if not state.redactions:
            return parts
        for position, part in enumerate(parts):
            redacted_at = state.redactions.get(part["id"])
            if redacted_at is not None:
                parts[position] = {
                    **part,
                    "body": REDACTED_BODY,
                    "redacted": True,
                    "updated_at": redacted_at,
                }
        return parts

    def _touch(self, state: ConversationState) -> int:
        """Bump `updated_at` to the data clock, keeping the index sorted."""
        now = self.clock.now()
        _drop(self.by_updated, (state.updated_at, state.id))
        state.updated_at = now
        insort(self.by_updated, (now, state.id))
        return now

    def add_parts(
        self, conversation_id: str, count: int, part_type: str, author_type: str
    ) -> list[str]:
        with self.lock:
            state = self.require(conversation_id)
            now = self._touch(state)
            extra = state.extra_parts = state.extra_parts or []
            new_ids = []
            for _ in range(count):
                index = (state.planned_parts or state.base_parts) + len(extra)
                extra.append(added_part(state.id, index, now, state.state, part_type, author_type))
                new_ids.append(extra[-1]["id"])
            return new_ids

    def close(self, conversation_id: str) -> None:
        with self.lock:
            state = self.require(conversation_id)
            state.state, state.snoozed_until, state.waiting_since = "closed", None, None
            state.last_close_at = self.clock.now()
            self.add_parts(conversation_id, 1, "close", "admin")

    def reopen(self, conversation_id: str) -> None:
        with self.lock:
            state = self.require(conversation_id)
            state.state, state.snoozed_until = "open", None
            state.count_reopens += 1
            self.add_parts(conversation_id, 1, "open", "admin")

    def snooze(self, conversation_id: str, until: int) -> None:
        with self.lock:
            state = self.require(conversation_id)
            state.state, state.snoozed_until, state.waiting_since = "snoozed", until, None
            self.add_parts(conversation_id, 1, "snoozed", "admin")

    def redact_part(self, conversation_id: str, part_id: str) -> None:
        with self.lock:
            state = self.require(conversation_id)
            index = int(part_id) - state.id * PART_ID_STRIDE
            planned = state.planned_parts or state.base_parts
            if not (
                0 <= index < state.base_parts or 0 <= index - planned < len(state.extra_parts or ())
            ):
                raise KeyError(f"conversation {conversation_id} has no part {part_id!r}")
            now = self._touch(state)
            state.redactions = {**(state.redactions or {}), part_id: now}

    def delete(self, conversation_id: str) -> None:
        with self.lock:
            state = self.require(conversation_id)
            del self.conversations[state.id]
            _drop(self.by_created, (state.created_at, state.id))
            _drop(self.by_updated, (state.updated_at, state.id))
            self.deleted[state.id] = self.clock.now()

    def create_conversation(self, created_at: int | None, parts: int) -> str:
        with self.lock:
            now = self.clock.now()
            created = now if created_at is None else created_at
            state = new_state(self._creation_rng, self._next_id, created, now, parts, now)
            state.updated_at = now
            self._next_id += 1
            self.conversations[state.id] = state
            insort(self.by_created, (state.created_at, state.id))
            insort(self.by_updated, (state.updated_at, state.id))
            return str(state.id)
