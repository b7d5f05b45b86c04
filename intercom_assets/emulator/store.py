"""Live workspace state: compact conversation records, time indexes and thread-safe mutations."""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_left, insort
from collections import Counter
from dataclasses import replace
from random import Random
from typing import Any

from intercom_assets.emulator.clock import Clock
from intercom_assets.emulator.config import EmulatorConfig
from intercom_assets.emulator.data import (
    FIRST_CONVERSATION_ID,
    PART_ID_STRIDE,
    PRIORITIES,
    ConversationState,
    added_part,
    generate_parts,
    generate_states,
    new_state,
)
from intercom_assets.emulator.history import LIVE_ID_BASE, AnchoredHistory, anchor_epoch
from intercom_assets.emulator.profile import generate_profile

REDACTED_BODY = "<p><i>This message was deleted</i></p>"
TimeIndex = list[tuple[int, int]]


def _drop(index: TimeIndex, key: tuple[int, int]) -> None:
    del index[bisect_left(index, key)]


def _copy(state: ConversationState) -> ConversationState:
    """A frozen version: mutations change states in place, lists and dicts included."""
    return replace(
        state,
        extra_parts=list(state.extra_parts) if state.extra_parts else None,
        redactions=dict(state.redactions) if state.redactions else None,
    )


class Store:
    """All conversations plus (timestamp, id) indexes sorted for bisect range lookups.

    `conversations` is the truth (what GET reads). The time indexes are the *search index*:
    with `search_lag_seconds` each change reaches them only after the lag (`catch_up`), and
    until then search reads the version it indexed (`search_state`). `previous` keeps the
    version before each conversation's latest change, for stale replica reads.

    Callers hold `lock` around anything that reads several facts at once; the mutation
    methods take it themselves.
    """

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
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
            config.long_id_share,
            anchor_epoch(config.first_day),
        )
        self.history: AnchoredHistory | None = None
        next_id = (states[-1].id if states else FIRST_CONVERSATION_ID) + 1
        if config.first_day:
            self.history = AnchoredHistory(states, now)
            states = self.history.visible
            next_id = max(next_id, LIVE_ID_BASE + now * 100)
        self.conversations: dict[int, ConversationState] = {s.id: s for s in states}
        self.by_created: TimeIndex = sorted((s.created_at, s.id) for s in states)
        self.by_updated: TimeIndex = sorted((s.updated_at, s.id) for s in states)
        self.deleted: dict[int, int] = {}
        self._next_id = next_id
        self._creation_rng = Random(config.seed + 1)
        self.previous: dict[int, tuple[int, ConversationState]] = {}
        # Search-visible versions that differ from the truth (None: not searchable yet/any more)
        self._visible: dict[int, ConversationState | None] = {}
        self._indexing: list[tuple[int, int, int, ConversationState | None]] = []
        self._pending: Counter[int] = Counter()
        self._sequence = 0

    def index(self, field: str) -> TimeIndex:
        return self.by_created if field == "created_at" else self.by_updated

    def find(self, conversation_id: str | int) -> ConversationState | None:
        """The live conversation with this id, or None (unknown, deleted or not numeric)."""
        try:
            return self.conversations.get(int(conversation_id))
        except (TypeError, ValueError):
            return None

    def require(self, conversation_id: str | int) -> ConversationState:
        self.reveal_history()
        state = self.find(conversation_id)
        if state is None:
            raise KeyError(f"no live conversation {conversation_id!r}")
        return state

    def reveal_history(self) -> None:
        """Show the anchored history up to the clock's now (see history.py)."""
        if self.history is not None:
            with self.lock:
                self.history.reveal(self)

    def lagging_ids(self) -> dict[int, ConversationState | None]:
        """Conversations whose search-index entry lags their truth."""
        return self._visible

    def live_ids(self) -> list[str]:
        with self.lock:
            self.reveal_history()
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

    def search_state(self, conversation_id: int) -> ConversationState:
        """The version search sees of a conversation in the time indexes."""
        state = self._visible.get(conversation_id) or self.conversations[conversation_id]
        return state

    def searchable(self) -> list[ConversationState]:
        """Every conversation search can see (the time indexes), in the versions it sees."""
        return [self.search_state(cid) for _, cid in self.by_created]

    def stale_version(self, conversation_id: int, within: int) -> ConversationState | None:
        """The version before the latest change, if that change is at most `within` s old."""
        changed = self.previous.get(conversation_id)
        if changed is None or self.clock.now() - changed[0] > within:
            return None
        return changed[1]

    def catch_up(self) -> None:
        """Index every change older than the search lag, as a lagging indexer would."""
        now = self.clock.now()
        while self._indexing and self._indexing[0][0] <= now:
            _, _, cid, version = heapq.heappop(self._indexing)
            old = self._visible[cid]
            if old is not None:
                _drop(self.by_created, (old.created_at, cid))
                _drop(self.by_updated, (old.updated_at, cid))
            if version is not None:
                insort(self.by_created, (version.created_at, cid))
                insort(self.by_updated, (version.updated_at, cid))
            self._pending[cid] -= 1
            if self._pending[cid]:
                self._visible[cid] = version
            else:
                del self._pending[cid], self._visible[cid]

    def _lagging(self) -> bool:
        return self.config.search_lag_seconds > 0 or bool(self._indexing)

    def _begin(self, state: ConversationState) -> None:
        """Before a change: keep the current version for stale reads and a lagging index."""
        version = _copy(state)
        self.previous[state.id] = (self.clock.now(), version)
        if self._lagging() and state.id not in self._visible:
            self._visible[state.id] = version

    def _commit(self, conversation_id: int, version: ConversationState | None) -> None:
        """After a change: queue the new version (None: deleted) for the lagging index."""
        if conversation_id not in self._visible:
            return
        self._sequence += 1
        due = self.clock.now() + self.config.search_lag_seconds
        copy = None if version is None else _copy(version)
        heapq.heappush(self._indexing, (due, self._sequence, conversation_id, copy))
        self._pending[conversation_id] += 1

    def _touch(self, state: ConversationState) -> int:
        """Bump `updated_at` to the data clock, keeping the (unlagged) index sorted."""
        now = self.clock.now()
        if state.id not in self._visible:
            _drop(self.by_updated, (state.updated_at, state.id))
            insort(self.by_updated, (now, state.id))
        state.updated_at = now
        return now

    def _append_parts(
        self, state: ConversationState, count: int, part_type: str, author_type: str
    ) -> list[str]:
        now = self._touch(state)
        extra = state.extra_parts = state.extra_parts or []
        new_ids = []
        for _ in range(count):
            index = (state.planned_parts or state.base_parts) + len(extra)  # never a planned id
            extra.append(added_part(state.id, index, now, state.state, part_type, author_type))
            new_ids.append(extra[-1]["id"])
        return new_ids

    def add_parts(
        self, conversation_id: str, count: int, part_type: str, author_type: str
    ) -> list[str]:
        with self.lock:
            state = self.require(conversation_id)
            self._begin(state)
            new_ids = self._append_parts(state, count, part_type, author_type)
            self._commit(state.id, state)
            return new_ids

    def close(self, conversation_id: str) -> None:
        with self.lock:
            state = self.require(conversation_id)
            self._begin(state)
            state.state, state.snoozed_until, state.waiting_since = "closed", None, None
            state.last_close_at = self.clock.now()
            self._append_parts(state, 1, "close", "admin")
            self._commit(state.id, state)

    def reopen(self, conversation_id: str) -> None:
        with self.lock:
            state = self.require(conversation_id)
            self._begin(state)
            state.state, state.snoozed_until = "open", None
            state.count_reopens += 1
            self._append_parts(state, 1, "open", "admin")
            self._commit(state.id, state)

    def snooze(self, conversation_id: str, until: int) -> None:
        with self.lock:
            state = self.require(conversation_id)
            self._begin(state)
            state.state, state.snoozed_until, state.waiting_since = "snoozed", until, None
            self._append_parts(state, 1, "snoozed", "admin")
            self._commit(state.id, state)

    def set_attributes(
        self,
        conversation_id: str,
        read: bool | None,
        priority: str | None,
        tag_ids: list[str] | None,
        bump_updated_at: bool,
    ) -> None:
        """Change `read` / `priority` / tags; with `bump_updated_at=False` silently, as some
        Intercom changes are suspected to be (`updated_at` keeps its value)."""
        if priority is not None and priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}")
        with self.lock:
            state = self.require(conversation_id)
            self._begin(state)
            if read is not None:
                state.read = read
            if priority is not None:
                state.priority = priority
            if tag_ids is not None:
                state.tag_ids = tuple(tag_ids)
            if bump_updated_at:
                self._touch(state)
            self._commit(state.id, state)

    def redact_part(self, conversation_id: str, part_id: str) -> None:
        with self.lock:
            state = self.require(conversation_id)
            index = int(part_id) - state.id * PART_ID_STRIDE
            added = index - (state.planned_parts or state.base_parts)
            if not (0 <= index < state.base_parts or 0 <= added < len(state.extra_parts or ())):
                raise KeyError(f"conversation {conversation_id} has no part {part_id!r}")
            self._begin(state)
            now = self._touch(state)
            state.redactions = {**(state.redactions or {}), part_id: now}
            self._commit(state.id, state)

    def delete(self, conversation_id: str) -> None:
        with self.lock:
            state = self.require(conversation_id)
            self._begin(state)
            del self.conversations[state.id]
            self.previous.pop(state.id, None)
            if state.id not in self._visible:
                _drop(self.by_created, (state.created_at, state.id))
                _drop(self.by_updated, (state.updated_at, state.id))
            self._commit(state.id, None)
            self.deleted[state.id] = self.clock.now()

    def create_conversation(self, created_at: int | None, parts: int) -> str:
        with self.lock:
            now = self.clock.now()
            created = now if created_at is None else created_at
            state = new_state(self._creation_rng, self._next_id, created, now, parts, now)
            state.updated_at = now
            self._next_id += 1
            self.conversations[state.id] = state
            if self._lagging():
                self._visible[state.id] = None
                self._commit(state.id, state)
            else:
                insort(self.by_created, (state.created_at, state.id))
                insort(self.by_updated, (state.updated_at, state.id))
            return str(state.id)
