"""Configuration of the emulator: data shape, auth, rate limits and fault injection."""

from __future__ import annotations

from dataclasses import dataclass, field

NEWEST_VERSION = "2.16"
# Every value the 2.16 spec's `intercom_version` enum accepts, plus the preview aliases.
KNOWN_VERSIONS = frozenset(
    [f"1.{minor}" for minor in range(5)]
    + [f"2.{minor}" for minor in range(17)]
    + ["Preview", "Unstable"]
)
PART_CAP = 500


def is_modern(version: str) -> bool:
    """True when the version renders the 2.16 payload shape (graded priority, 0 assignees)."""
    if version in ("Preview", "Unstable"):
        return True
    major, minor = (int(piece) for piece in version.split("."))
    return (major, minor) >= (2, 16)


@dataclass
class FaultConfig:
    """Per-request fault probabilities (seeded, reproducible); everything off by default."""

    seed: int = 0
    latency_ms: float = 0.0
    html_503_rate: float = 0.0
    json_500_rate: float = 0.0
    drop_rate: float = 0.0
    ghost_404_rate: float = 0.0
    rate_limit_storm_every: int = 0
    invalid_json_rate: float = 0.0
    truncated_json_rate: float = 0.0
    wrong_types_rate: float = 0.0
    # Latency is `latency_ms` (`search_latency_ms` for search pages when set), each request
    # drawn uniformly within +/- `latency_jitter` of it (0.5: 50 % jitter).
    latency_jitter: float = 0.0
    search_latency_ms: float = 0.0
    # Charge a request to the rate-limit window when it arrives (latency = processing time)
    # instead of when it is answered (latency = the way in).
    charge_on_arrival: bool = False


@dataclass
class EmulatorConfig:
    """What the emulated workspace looks like and how strict the emulated API is."""

    seed: int = 7
    days: int = 30
    conversations_per_day: int = 50
    token: str = "demo-token"
    rate_limit_per_window: int = 1667
    window_seconds: float = 10.0
    api_version: str = NEWEST_VERSION
    large_conversations: int = 2
    mean_parts: float = 8.0
    total_count_capped: bool = False
    now: int | None = None
    faults: FaultConfig = field(default_factory=FaultConfig)
