"""One Intercom workspace's mirror, described once: its settings and every Dagster name.

`build_defs(spec)` (mirror/build.py) turns a `MirrorSpec` into that workspace's assets, checks,
jobs, schedules and sensor. Every name derives from `key_prefix`, so the default (`intercom`)
reproduces the ★ contract and a second workspace (`intercom_eu`) gets its own asset keys, job,
sensor and schedule names and resource keys that cannot collide. Values are validated here, in
one place, with one-line errors naming the field; nothing here reads the environment.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cached_property

import dagster as dg

from intercom_assets.client import REGION_BASE_URLS

DEFAULT_PREFIX = "intercom"
REGIONS = tuple(REGION_BASE_URLS)
_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class ConfigError(ValueError):
    """A setting is invalid; the message is one line naming the setting and the fix."""


def parse_start_date(raw: str, *, today: date | None = None, name: str = "start_date") -> str:
    """An ISO day, not in the future: the first daily partition."""
    try:
        day = date.fromisoformat(str(raw).strip())
    except ValueError:
        raise ConfigError(
            f"{name}={raw!r} is not a date; use YYYY-MM-DD, e.g. 2020-01-01."
        ) from None
    if day > (today or datetime.now(UTC).date()):
        raise ConfigError(f"{name}={raw} is in the future; use your workspace's first day.")
    return day.isoformat()


def parse_region(raw: str, *, name: str = "region", base_url_name: str = "base_url") -> str:
    region = raw.strip().lower()
    if region not in REGIONS:
        raise ConfigError(
            f"{name}={raw!r} is unknown; use one of {', '.join(REGIONS)} (or set {base_url_name})."
        )
    return region


def parse_base_url(raw: str | None, *, name: str = "base_url") -> str | None:
    """An http(s) URL without a trailing slash, or None (the region's host)."""
    base_url = (raw or "").strip().rstrip("/") or None
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"{name}={base_url!r} must start with http:// or https://.")
    return base_url


@dataclass(frozen=True)
class MirrorSpec:
    """Everything that differs between two mirrored Intercom workspaces."""

    key_prefix: str = DEFAULT_PREFIX
    start_date: str = "2020-01-01"
    duckdb_path: str = "data/intercom.duckdb"
    region: str = "us"
    base_url: str | None = None
    api_version: str = "2.16"
    max_requests_per_minute: int = 10_000
    max_concurrency: int | None = None
    sensor_interval_seconds: int = 300
    max_sync_lag_minutes: int = 60
    owners: tuple[str, ...] = ()
    access_token_env: str = "INTERCOM_ACCESS_TOKEN"

    def __post_init__(self) -> None:
        if not _PREFIX.match(self.key_prefix):
            raise ConfigError(
                f"key_prefix={self.key_prefix!r} must be letters, digits and underscores, "
                "starting with a letter (e.g. intercom_eu)."
            )
        object.__setattr__(self, "start_date", parse_start_date(self.start_date))
        object.__setattr__(self, "region", parse_region(self.region))
        object.__setattr__(self, "base_url", parse_base_url(self.base_url))
        object.__setattr__(self, "owners", tuple(self.owners))
        positive = {
            "max_requests_per_minute": self.max_requests_per_minute,
            "sensor_interval_seconds": self.sensor_interval_seconds,
            "max_sync_lag_minutes": self.max_sync_lag_minutes,
            "max_concurrency": 1 if self.max_concurrency is None else self.max_concurrency,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ConfigError(f"{name}={value} must be greater than zero.")
        for name in ("duckdb_path", "api_version", "access_token_env"):
            if not str(getattr(self, name)).strip():
                raise ConfigError(f"{name} is empty; see the README's settings table.")

    # -- Asset keys and the names Dagster derives from them -----------------------------------

    def asset_key(self, table: str) -> dg.AssetKey:
        """`{prefix}/{table}`: the mirror's table `intercom.{table}` in this workspace's file."""
        return dg.AssetKey([self.key_prefix, table])

    def op_name(self, table: str) -> str:
        """The op Dagster derives from `asset_key(table)` (what run config is keyed by)."""
        return f"{self.key_prefix}__{table}"

    @property
    def conversations_key(self) -> dg.AssetKey:
        return self.asset_key("conversations")

    @property
    def messages_key(self) -> dg.AssetKey:
        return self.asset_key("messages")

    @property
    def deleted_conversations_key(self) -> dg.AssetKey:
        return self.asset_key("deleted_conversations")

    @property
    def group_name(self) -> str:
        return self.key_prefix

    # -- Jobs, automation and resources -------------------------------------------------------

    def name(self, suffix: str) -> str:
        """`{prefix}_{suffix}`, e.g. `intercom_sync_job`, `intercom_eu_updates_sensor`."""
        return f"{self.key_prefix}_{suffix}"

    @property
    def sync_job_name(self) -> str:
        return self.name("sync_job")

    @property
    def deletions_job_name(self) -> str:
        return self.name("deletions_job")

    @property
    def freshness_job_name(self) -> str:
        return self.name("freshness_job")

    @property
    def updates_sensor_name(self) -> str:
        return self.name("updates_sensor")

    @property
    def daily_schedule_name(self) -> str:
        """`intercom_daily_schedule` for the default prefix (the ★ contract name)."""
        return self.name("daily_schedule")

    @property
    def reconcile_schedule_name(self) -> str:
        return self.name("reconcile_schedule")

    @property
    def freshness_schedule_name(self) -> str:
        return self.name("freshness_schedule")

    @property
    def is_default(self) -> bool:
        return self.key_prefix == DEFAULT_PREFIX

    @property
    def intercom_resource_key(self) -> str:
        """`intercom` for the default workspace, else the prefix (`intercom_eu`)."""
        return self.key_prefix

    @property
    def duckdb_resource_key(self) -> str:
        """`duckdb` for the default workspace, else `{prefix}_duckdb`."""
        return "duckdb" if self.is_default else self.name("duckdb")

    @property
    def resource_keys(self) -> set[str]:
        return {self.intercom_resource_key, self.duckdb_resource_key}

    # -- Partitions ---------------------------------------------------------------------------

    @cached_property
    def partitions_def(self) -> dg.DailyPartitionsDefinition:
        """Daily by the conversation's `created_at` UTC day, shared by both sync assets.

        A conversation's creation day never changes, so a partition's membership is fixed and
        re-materializing it is idempotent. `end_offset=1` makes today's partition exist so a
        conversation created minutes ago can land.
        """
        return dg.DailyPartitionsDefinition(
            start_date=self.start_date, timezone="UTC", end_offset=1
        )

    def partition_bounds(self) -> tuple[str, str]:
        """First and last partition keys (the last is today: `end_offset=1`)."""
        first = self.partitions_def.get_first_partition_key()
        last = self.partitions_def.get_last_partition_key()
        if first is None or last is None:
            raise ValueError(f"the daily partitions of {self.key_prefix} have no keys")
        return first, last
