"""Live workspace state: compact conversation records, time indexes and thread-safe mutations."""

from __future__ import annotations

import threading
from bisect import bisect_left, insort
from random import Random
from typing import Any

from intercom_assets.emulator.clock import Clock
from intercom_assets.emulator.config import EmulatorConfig
from intercom_assets.emulator.data import (
    FIRST_CONVERSATION_ID,
    PART_ID_STRIDE,
    ConversationState,
    added_part,
    generate_parts,
    generate_states,
    new_state,
)
from intercom_assets.emulator.profile import generate_profile

REDACTED_BODY = "<p><i>This message was deleted</i></p>"
TimeIndex = list[tuple[int, int]]


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
        states = generate_states(
            config.seed,
            now,
            config.days,
            config.conversations_per_day,
            config.mean_parts,
            config.large_conversations,
        )
        self.conversations: dict[int, ConversationState] = {s.id: s for s in states}
        self.by_created: TimeIndex = sorted((s.created_at, s.id) for s in states)
        self.by_updated: TimeIndex = sorted((s.updated_at, s.id) for s in states)
        self.deleted: dict[int, int] = {}
        self._next_id = (states[-1].id if states else FIRST_CONVERSATION_ID) + 1
        self._creation_rng = Random(config.seed + 1)

    def index(self, field: str) -> TimeIndex:
        return self.by_created if field == "created_at" else self.by_updated

    def find(self, conversation_id: str | int) -> ConversationState | None:
        """The live conversation with this id, or None (unknown, deleted or not numeric)."""
        try:
            return self.conversations.get(int(conversation_id))
        except (TypeError, ValueError):
            return None

    def require(self, conversation_id: str | int) -> ConversationState:
        state = self.find(conversation_id)
        if state is None:
            raise KeyError(f"no live conversation {conversation_id!r}")
        return state

    def live_ids(self) -> list[str]:
        with self.lock:
            return [str(cid) for cid in sorted(self.conversations)]

    @staticmethod
    def total_parts(state: ConversationState) -> int:
        return state.base_parts + len(state.extra_parts or ())

    def profile(self, state: ConversationState) -> dict[str, Any]:
        return generate_profile(self.seed, state.id, state.created_at, state.parts_end)

    def parts(self, state: ConversationState) -> list[dict[str, Any]]:
        """Every part, oldest first, with redactions applied (no 500 cap here)."""
        base = generate_parts(
            self.seed, state.id, state.created_at, state.parts_end, state.base_parts
        )
        parts = [*base, *(state.extra_parts or ())]
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
                index = self.total_parts(state)
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
            if not 0 <= index < self.total_parts(state):
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
