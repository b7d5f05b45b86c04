"""Live activity: a background thread that keeps the emulated workspace busy, as a real inbox.

Each event picks one of the newest conversations (so sensor runs stay small) and applies a
mutation the sensor must notice: a new conversation, a reply, a close, a snooze, a redaction
or a deletion. Seeded, so the sequence of kinds and targets repeats for the same seed.
"""

from __future__ import annotations

import threading
from collections import Counter
from random import Random

from intercom_assets.emulator.config import ACTIVITY_KINDS as KINDS
from intercom_assets.emulator.store import Store

_WEIGHTS = {"new": 3, "reply": 6, "close": 2, "snooze": 1, "redact": 1, "delete": 1}
_RECENT = 100  # events target the newest conversations


def parse_kinds(text: str) -> tuple[str, ...]:
    """`new,reply,...` → a tuple of known kinds; raises ValueError naming the unknown one."""
    kinds = tuple(kind.strip() for kind in text.split(",") if kind.strip())
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"unknown activity kind {unknown[:1] or text!r}; use {','.join(KINDS)}")
    return kinds


class LiveActivity:
    """Applies `per_minute` events per minute (evenly spaced) until stopped."""

    def __init__(self, store: Store, per_minute: float, kinds: tuple[str, ...], seed: int):
        self.store = store
        self.kinds = kinds
        self.interval = 60.0 / per_minute
        self.events: Counter[str] = Counter()
        self._rng = Random(seed * 31 + 5)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="emulator-activity", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.step()

    def step(self) -> str:
        """Apply one event now; returns its kind (`new` when there is nothing to act on)."""
        weights = [_WEIGHTS[kind] for kind in self.kinds]
        kind = self._rng.choices(self.kinds, weights)[0]
        with self.store.lock:
            ids = self.store.live_ids()[-_RECENT:]
            if kind != "new" and ids:
                target = self._rng.choice(ids)
                kind = self._apply(kind, target)
            else:
                kind = "new"
                self.store.create_conversation(None, self._rng.randint(1, 4))
        self.events[kind] += 1
        return kind

    def _apply(self, kind: str, target: str) -> str:
        store = self.store
        if kind == "close":
            store.close(target)
        elif kind == "snooze":
            store.snooze(target, store.clock.now() + self._rng.randint(3_600, 86_400))
        elif kind == "delete":
            store.delete(target)
        elif kind == "redact" and (part := self._redactable(target)) is not None:
            store.redact_part(target, part)
        else:
            author = self._rng.choice(("user", "admin"))
            store.add_parts(target, 1, "comment", author)
            return "reply"
        return kind

    def _redactable(self, target: str) -> str | None:
        parts = self.store.parts(self.store.require(target))
        bodies = [p["id"] for p in parts if p["part_type"] == "comment" and not p["redacted"]]
        return bodies[-1] if bodies else None
