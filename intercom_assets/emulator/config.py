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
ACTIVITY_KINDS = ("new", "reply", "close", "snooze", "redact", "delete")
ID_COMPARISONS = ("numeric", "string", "reject")
DELETED_ORDERS = ("deleted_at", "id")


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
    # A gateway in front of Intercom answering GET /conversations/{id} with an HTML 404 page.
    html_404_rate: float = 0.0
    # A lagging replica: GET serves the version before the latest change, for changes made
    # within the last `stale_read_seconds` (data clock).
    stale_read_rate: float = 0.0
    stale_read_seconds: int = 300


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
    # Anchored history (`YYYY-MM-DD`): from this day on, independent of when it starts, so the
    # same seed and anchor always serve the same workspace; `days` is then ignored.
    first_day: str | None = None
    # Live activity (`LiveActivity`): events per minute (0 = off) and which kinds occur.
    activity_per_minute: float = 0.0
    activity_kinds: tuple[str, ...] = ACTIVITY_KINDS
    # How search compares `id` with `>` / `<` / `>=` / `<=` (the 2.16 spec allows ranges on
    # integers and dates only, and `id` is a string): "numeric", "string" (lexicographic) or
    # "reject" (400 parameter_invalid). Sorting by `id` follows the same order ("reject" sorts
    # numerically).
    id_comparison: str = "numeric"
    # Search (and the list endpoint) sees each conversation as it was this many seconds ago
    # (data clock); GET always sees the newest version. New conversations appear, and deleted
    # ones vanish, from search after the same delay.
    search_lag_seconds: int = 0
    # Order of GET /conversations/deleted: by "deleted_at" (then id) or by conversation "id".
    deleted_order: str = "deleted_at"
    # Share of the generated history (the newest conversations) with 12-digit ids instead of
    # 9-digit ones, as in a workspace whose id space grew.
    long_id_share: float = 0.0
    # Each part's body repeated this many times in GET /conversations/{id}: the "10x larger
    # bodies" mix the memory benchmarks run with.
    body_scale: int = 1

    def __post_init__(self) -> None:
        if self.id_comparison not in ID_COMPARISONS:
            raise ValueError(f"id_comparison must be one of {ID_COMPARISONS}")
        if self.deleted_order not in DELETED_ORDERS:
            raise ValueError(f"deleted_order must be one of {DELETED_ORDERS}")
        if self.body_scale < 1:
            raise ValueError("body_scale must be >= 1")
        if not 0.0 <= self.long_id_share <= 1.0:
            raise ValueError("long_id_share must be between 0 and 1")
