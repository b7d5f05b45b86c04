"""Deployment settings read from the environment, validated once with one-line errors.

Every contract env var is parsed here so a typo fails at load or run start with a sentence
naming the variable, not deep inside a run with a traceback.
"""

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from intercom_assets.client.concurrency import DEFAULT_MAX_CONCURRENCY

REGIONS = ("us", "eu", "au")
DEFAULT_START_DATE = "2020-01-01"
DEFAULT_DUCKDB_PATH = "data/intercom.duckdb"
DEFAULT_API_VERSION = "2.16"
DEFAULT_SENSOR_INTERVAL_SECONDS = 300
DEFAULT_MAX_REQUESTS_PER_MINUTE = 10_000
DEFAULT_MAX_SYNC_LAG_MINUTES = 60


class ConfigError(ValueError):
    """A setting is invalid; the message is one line naming the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    start_date: str
    duckdb_path: str
    region: str
    base_url: str | None
    api_version: str
    sensor_interval_seconds: int
    max_requests_per_minute: int
    max_sync_lag_minutes: int = DEFAULT_MAX_SYNC_LAG_MINUTES
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"{name}={raw!r} is not a whole number; set it to e.g. {default}."
        ) from None
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be greater than zero; e.g. {default}.")
    return value


def parse_start_date(raw: str, *, today: date | None = None) -> str:
    """Validate INTERCOM_START_DATE: an ISO day, not in the future."""
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(
            f"INTERCOM_START_DATE={raw!r} is not a date; use YYYY-MM-DD, e.g. 2020-01-01."
        ) from None
    if day > (today or datetime.now(UTC).date()):
        raise ConfigError(
            f"INTERCOM_START_DATE={raw} is in the future; use your workspace's first day."
        )
    return day.isoformat()


def parse_region(raw: str) -> str:
    region = raw.strip().lower()
    if region not in REGIONS:
        raise ConfigError(
            f"INTERCOM_REGION={raw!r} is unknown; use one of {', '.join(REGIONS)}"
            " (or set INTERCOM_BASE_URL)."
        )
    return region


def check_duckdb_path(raw: str) -> str:
    """Create the parent folder and prove it is writable; MotherDuck (`md:`) paths pass through."""
    if raw.startswith("md:") or raw == ":memory:":
        return raw
    parent = Path(raw).expanduser().resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = parent / f".write-probe-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"INTERCOM_DUCKDB_PATH={raw!r} is not writable ({exc.strerror}); "
            "choose a folder you can write to."
        ) from None
    return raw


def load_settings() -> Settings:
    """Read and validate every setting; raises ConfigError with a one-line message."""
    env = os.environ
    return Settings(
        start_date=parse_start_date(env.get("INTERCOM_START_DATE") or DEFAULT_START_DATE),
        duckdb_path=env.get("INTERCOM_DUCKDB_PATH") or DEFAULT_DUCKDB_PATH,
        region=parse_region(env.get("INTERCOM_REGION") or "us"),
        base_url=(env.get("INTERCOM_BASE_URL") or "").rstrip("/") or None,
        api_version=env.get("INTERCOM_API_VERSION") or DEFAULT_API_VERSION,
        sensor_interval_seconds=_positive_int(
            "INTERCOM_SENSOR_INTERVAL_SECONDS", DEFAULT_SENSOR_INTERVAL_SECONDS
        ),
        max_requests_per_minute=_positive_int(
            "INTERCOM_MAX_REQUESTS_PER_MINUTE", DEFAULT_MAX_REQUESTS_PER_MINUTE
        ),
        max_sync_lag_minutes=_positive_int(
            "INTERCOM_MAX_SYNC_LAG_MINUTES", DEFAULT_MAX_SYNC_LAG_MINUTES
        ),
        max_concurrency=_positive_int("INTERCOM_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY),
    )
