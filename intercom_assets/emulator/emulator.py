"""The `Emulator` facade: a running fake Intercom plus ground truth and mutation hooks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from intercom_assets.emulator.clock import Clock
from intercom_assets.emulator.config import EmulatorConfig
from intercom_assets.emulator.gateway import Gateway
from intercom_assets.emulator.render import render_conversation
from intercom_assets.emulator.server import HttpServer
from intercom_assets.emulator.store import Store


class Emulator:
    """A local Intercom API on `base_url`, with a controllable data clock and live mutations.

    Mutations bump the conversation's `updated_at` to `now()`; lifecycle changes (close,
    reopen, snooze) also append the matching event part, as Intercom does.
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

    def start(self) -> Emulator:
        self._http.start()
        return self

    def stop(self) -> None:
        self._http.stop()

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
