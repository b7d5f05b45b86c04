"""The `Emulator` facade: a running fake Intercom plus ground truth and mutation hooks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from intercom_assets.emulator.activity import LiveActivity
from intercom_assets.emulator.clock import Clock
from intercom_assets.emulator.config import EmulatorConfig
from intercom_assets.emulator.control import handle_control
from intercom_assets.emulator.gateway import Gateway
from intercom_assets.emulator.render import render_conversation
from intercom_assets.emulator.server import HttpServer
from intercom_assets.emulator.store import Store


class Emulator:
    """A local Intercom API on `base_url`, with a controllable data clock and live mutations.

    Mutations bump the conversation's `updated_at` to `now()` (except `set_attributes(...,
    bump_updated_at=False)`); lifecycle changes (close, reopen, snooze) also append the
    matching event part, as Intercom does.
    """

    def __init__(
        self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or EmulatorConfig()
        self.token = self.config.token
        self._clock = Clock(self.config.now)
        self._store = Store(self.config, self._clock)
        self._gateway = Gateway(self._store, self.config)
        self._http = HttpServer(self._gateway, host, port)
        self.base_url = self._http.base_url
        self._gateway.control = partial(handle_control, self)
        self.activity = (
            LiveActivity(
                self._store,
                self.config.activity_per_minute,
                self.config.activity_kinds,
                self.config.seed,
            )
            if self.config.activity_per_minute > 0
            else None
        )

    def start(self) -> Emulator:
        self._http.start()
        if self.activity is not None:
            self.activity.start()
        return self

    def stop(self) -> None:
        if self.activity is not None:
            self.activity.stop()
        self._http.stop()

    def health(self) -> dict[str, Any]:
        """What `GET /_emulator/health` answers: enough to tell two emulators apart."""
        with self._store.lock:
            self._store.reveal_history()
            return {
                "status": "ok",
                "now": self.now(),
                "seed": self.config.seed,
                "first_day": self.config.first_day,
                "conversations_per_day": self.config.conversations_per_day,
                "conversations": len(self._store.conversations),
                "deleted": len(self._store.deleted),
                "activity_per_minute": self.config.activity_per_minute,
                "activity": dict(self.activity.events) if self.activity else {},
            }

    def now(self) -> int:
        return self._clock.now()

    def set_now(self, ts: int) -> None:
        self._clock.set_now(ts)

    def advance(self, seconds: int) -> int:
        return self._clock.advance(seconds)

    @property
    def requests(self) -> Counter[str]:
        return self._gateway.requests

    @property
    def status_counts(self) -> Counter[int]:
        return self._gateway.status_counts

    @property
    def peak_in_flight(self) -> int:
        """Most requests handled at once since the last `reset_counters`."""
        return self._gateway.peak_in_flight

    def reset_counters(self) -> None:
        self._gateway.reset_counters()

    def set_token(self, token: str, mode: str) -> None:
        self._gateway.set_token(token, mode)

    def conversation_ids(self) -> list[str]:
        return self._store.live_ids()

    def snapshot(self, conversation_id: str) -> dict[str, Any]:
        """The conversation as 2.16 renders it, but with every part (no 500 cap)."""
        with self._store.lock:
            state = self._store.require(conversation_id)
            return render_conversation(self._store, state, modern=True, cap=None)

    def add_parts(
        self,
        conversation_id: str,
        count: int = 1,
        part_type: str = "comment",
        author_type: str = "admin",
    ) -> list[str]:
        return self._store.add_parts(conversation_id, count, part_type, author_type)

    def close(self, conversation_id: str) -> None:
        self._store.close(conversation_id)

    def reopen(self, conversation_id: str) -> None:
        self._store.reopen(conversation_id)

    def snooze(self, conversation_id: str, until: int) -> None:
        self._store.snooze(conversation_id, until)

    def set_attributes(
        self,
        conversation_id: str,
        *,
        read: bool | None = None,
        priority: str | None = None,
        tag_ids: list[str] | None = None,
        bump_updated_at: bool = True,
    ) -> None:
        """Change `read`, `priority` (2.16 values) or the tags (ids); `bump_updated_at=False`
        changes them silently, the way Intercom is suspected to for some fields."""
        self._store.set_attributes(conversation_id, read, priority, tag_ids, bump_updated_at)

    def redact_part(self, conversation_id: str, part_id: str) -> None:
        self._store.redact_part(conversation_id, part_id)

    def delete(self, conversation_id: str) -> None:
        self._store.delete(conversation_id)

    def create_conversation(self, created_at: int | None = None, parts: int = 3) -> str:
        return self._store.create_conversation(created_at, parts)


@contextmanager
def running_emulator(config: EmulatorConfig | None = None) -> Iterator[Emulator]:
    """An emulator on 127.0.0.1 (free port) for the duration of the block."""
    emulator = Emulator(config).start()
    try:
        yield emulator
    finally:
        emulator.stop()
