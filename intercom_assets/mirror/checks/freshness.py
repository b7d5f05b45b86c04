"""Freshness checks that never open DuckDB, run hourly by `{prefix}_freshness_schedule`.

`yesterday_synced` reads Dagster's own materialization records (only a full refresh of
yesterday counts); `sync_lag` compares the `newest_updated_at` of recent sync runs' run-wide
observations with Intercom (one search call). Neither touches the DuckDB file, so they can
run while a sync holds its write lock.
"""

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from intercom_assets.client import IntercomClient, IntercomError
from intercom_assets.client.queries import ascending
from intercom_assets.mirror.resources import intercom_resource
from intercom_assets.mirror.spec import MirrorSpec

# Yesterday must have been synced after midnight by this many hours past midnight (UTC).
DEADLINE_HOURS = 4
# Recent run observations whose `newest_updated_at` tells how far the mirror reaches.
RECENT_RUNS = 100
# Recent materializations of yesterday's partition searched for a full refresh.
RECENT_DAY_RECORDS = 50


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def deadline_day(now: datetime) -> date:
    """The latest day whose sync deadline (its end + DEADLINE_HOURS) has passed at `now`."""
    return (now.astimezone(UTC) - timedelta(hours=DEADLINE_HOURS)).date() - timedelta(days=1)


def newest_synced_updated_at(instance: dg.DagsterInstance, key: dg.AssetKey) -> int | None:
    """The newest `updated_at` any recent sync run stored (its run-wide observation)."""
    records = instance.fetch_observations(key, limit=RECENT_RUNS).records
    values = []
    for record in records:
        observation = record.asset_observation
        entry = observation.metadata.get("newest_updated_at") if observation else None
        if isinstance(entry, dg.TimestampMetadataValue):
            values.append(int(entry.value))
        elif isinstance(getattr(entry, "value", None), int):  # runs of earlier releases
            values.append(entry.value)
    return max(values, default=None)


def oldest_update_after(client: IntercomClient, second: int) -> int | None:
    """`updated_at` of the earliest change Intercom has after `second` (one search call)."""
    query = {"field": "updated_at", "operator": ">=", "value": second + 1}
    first = client.first_match(query, ascending("updated_at"))
    return int(first["updated_at"]) if first else None


def _full_refresh(record: dg.EventLogRecord) -> bool:
    materialization = record.asset_materialization
    entry = materialization.metadata.get("full_refresh") if materialization else None
    return getattr(entry, "value", None) is True


def build_freshness_checks(spec: MirrorSpec) -> list[dg.AssetChecksDefinition]:
    """`yesterday_synced` on `{prefix}/messages` and `sync_lag` on `{prefix}/conversations`."""

    @dg.asset_check(
        asset=spec.messages_key,
        name="yesterday_synced",
        description=(
            "Yesterday's partition was fully refreshed after the day ended, by "
            f"{DEADLINE_HOURS:02d}:00 UTC (a sensor run of a few conversations does not count)."
        ),
    )
    def yesterday_synced(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        day = deadline_day(datetime.now(UTC))
        messages = spec.messages_key.to_user_string()
        key = day.isoformat()
        first_key = spec.partitions_def.get_first_partition_key()
        if first_key is None or key < first_key:
            return dg.AssetCheckResult(
                passed=True, description=f"{key} is before the start date: nothing to check."
            )
        day_end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=spec.messages_key, asset_partitions=[key]),
            limit=RECENT_DAY_RECORDS,
        ).records
        full = [record for record in records if _full_refresh(record)]
        synced = datetime.fromtimestamp(full[0].timestamp, UTC) if full else None
        metadata = {"day": key, "last_synced": _utc(synced) if synced else "never"}
        if synced is not None and synced >= day_end:
            return dg.AssetCheckResult(
                passed=True,
                metadata=metadata,
                description=f"{key} was synced at {_utc(synced)}, after the day ended.",
            )
        when = (
            f"was last fully refreshed at {_utc(synced)}, before it ended"
            if synced
            else "was never fully refreshed"
        )
        return dg.AssetCheckResult(
            passed=False,
            metadata=metadata,
            description=(
                f"The day {key} {when}, so its last conversations and messages may be missing. "
                f"Turn on {spec.daily_schedule_name} (it refreshes yesterday shortly after "
                f"midnight UTC) or materialize partition {key} of {messages} now; if the schedule "
                "is on, look at its latest run for the error."
            ),
        )

    @dg.asset_check(
        asset=spec.conversations_key,
        name="sync_lag",
        required_resource_keys={spec.intercom_resource_key},
        description=(
            "The mirror has every change Intercom has, except ones newer than "
            f"{spec.max_sync_lag_minutes} minutes (INTERCOM_MAX_SYNC_LAG_MINUTES)."
        ),
    )
    def sync_lag(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        intercom = intercom_resource(context, spec)
        threshold = timedelta(minutes=spec.max_sync_lag_minutes)
        synced = newest_synced_updated_at(context.instance, spec.conversations_key)
        if synced is None:
            return dg.AssetCheckResult(
                passed=False,
                description=(
                    "Nothing has been synced yet. Backfill "
                    f"{spec.conversations_key.to_user_string()} and "
                    f"{spec.messages_key.to_user_string()} from the Dagster UI, then turn on "
                    f"{spec.updates_sensor_name}."
                ),
            )
        try:
            with intercom.get_client(logger=context.log) as client:
                missed = oldest_update_after(client, synced)
        except IntercomError as error:
            return dg.AssetCheckResult(
                passed=False,
                description=f"Could not ask Intercom how current the mirror is. {error}",
            )
        synced_at = datetime.fromtimestamp(synced, UTC)
        metadata: dict[str, dg.RawMetadataValue] = {
            "newest_synced_update": _utc(synced_at),
            "threshold_minutes": int(threshold.total_seconds() // 60),
        }
        if missed is None:
            return dg.AssetCheckResult(
                passed=True,
                metadata={**metadata, "lag_minutes": 0},
                description=(
                    f"The mirror is current: Intercom has no change newer than {_utc(synced_at)}."
                ),
            )
        missed_at = datetime.fromtimestamp(missed, UTC)
        lag = datetime.now(UTC) - missed_at
        lag_minutes = int(lag.total_seconds() // 60)
        metadata |= {"oldest_missing_update": _utc(missed_at), "lag_minutes": lag_minutes}
        if lag <= threshold:
            return dg.AssetCheckResult(
                passed=True,
                metadata=metadata,
                description=(
                    f"The mirror is {lag_minutes} minutes behind Intercom, within the limit."
                ),
            )
        return dg.AssetCheckResult(
            passed=False,
            metadata=metadata,
            description=(
                f"The mirror is behind Intercom: a change made at {_utc(missed_at)} is not synced "
                f"yet (allowed lag: {metadata['threshold_minutes']} minutes). Turn on "
                f"{spec.updates_sensor_name}, or, if it is on, open its latest runs to see why "
                "they failed; the next successful run catches up."
            ),
        )

    return [sync_lag, yesterday_synced]
