"""Seeded fault injection, so a flaky run can be replayed exactly."""

from __future__ import annotations

import json
import threading
from random import Random
from typing import Any

from intercom_assets.emulator.config import EmulatorConfig, FaultConfig

STORM_LENGTH = 5
HTML_503 = (
    b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head>"
    b"<body><h1>503 Service Unavailable</h1><p>No server is available to handle this request."
    b"</p></body></html>"
)
HTML_404 = (
    b"<!DOCTYPE html><html><head><title>404 Not Found</title></head>"
    b"<body><h1>404 Not Found</h1><p>The requested URL was not found on this server.</p>"
    b"<hr><address>gateway</address></body></html>"
)


class FaultInjector:
    """Rolls the configured fault rates; reads `config.faults` live so tests can flip them."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._seed = config.faults.seed
        self._rng = Random(self._seed)
        self._requests = 0
        self._storm_left = 0

    @property
    def faults(self) -> FaultConfig:
        return self._config.faults

    def roll(self, rate: float) -> bool:
        """True with probability `rate`; the RNG only advances for enabled faults."""
        if rate <= 0:
            return False
        with self._lock:
            if self.faults.seed != self._seed:
                self._seed = self.faults.seed
                self._rng = Random(self._seed)
            return self._rng.random() < rate

    def latency_seconds(self, endpoint: str) -> float:
        """This request's latency: the endpoint's base, jittered (seeded)."""
        faults = self.faults
        base = faults.latency_ms
        if endpoint == "search" and faults.search_latency_ms > 0:
            base = faults.search_latency_ms
        if base <= 0:
            return 0.0
        if faults.latency_jitter <= 0:
            return base / 1000
        with self._lock:
            spread = self._rng.uniform(-faults.latency_jitter, faults.latency_jitter)
        return max(0.0, base * (1 + spread)) / 1000

    def in_storm(self) -> bool:
        """Every Nth authenticated request starts a burst of STORM_LENGTH 429s."""
        every = self.faults.rate_limit_storm_every
        with self._lock:
            self._requests += 1
            if every > 0 and self._requests % every == 0:
                self._storm_left = STORM_LENGTH
            if self._storm_left > 0:
                self._storm_left -= 1
                return True
            return False

    def is_ghost(self, conversation_id: int) -> bool:
        """A stable, seed-chosen fraction of ids that 404 on GET although search lists them."""
        rate = self.faults.ghost_404_rate
        return rate > 0 and Random(f"ghost:{self.faults.seed}:{conversation_id}").random() < rate


def break_types(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy with documented numbers as strings, nulls, unknown part types and fields."""
    broken: dict[str, Any] = json.loads(json.dumps(payload))
    conversations = broken.get("conversations")
    targets = conversations if isinstance(conversations, list) else [broken]
    for item in targets:
        if item.get("type") != "conversation" or "created_at" not in item:
            continue
        item["created_at"] = str(item["created_at"])
        item["admin_assignee_id"] = None
        if isinstance(item.get("statistics"), dict):
            item["statistics"]["count_conversation_parts"] = str(
                item["statistics"].get("count_conversation_parts")
            )
        for part in (item.get("conversation_parts") or {}).get("conversation_parts", [])[:1]:
            part["part_type"] = "x_emulator_unknown_part_type"
            part["updated_at"] = str(part["updated_at"])
    broken["x_emulator_unknown_field"] = {"nested": [1, "two", None]}
    return broken
