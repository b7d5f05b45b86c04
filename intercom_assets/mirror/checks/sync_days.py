"""`days_synced`: names the days a range run could not sync (ERROR), left unrecorded.

A failing day does not fail the run: the other days are written and recorded, the failed
ones keep their previous materialization, and the next run of those days retries them.
"""

import dagster as dg

from intercom_assets.mirror.checks.naming import id_list

NAME = "days_synced"
DESCRIPTION = (
    "Every day the run was asked to sync was synced; failed days are named (and not recorded, "
    "so the next run of those days retries them)."
)


def evaluate_days_synced(
    failed: dict[str, str], attempted: int, asset_key: dg.AssetKey
) -> dg.AssetCheckResult:
    days = sorted(failed)
    metadata: dict[str, dg.RawMetadataValue] = {
        "days_attempted": attempted,
        "days_failed": len(days),
        "failed_days": id_list(days),
        "reasons": dg.MetadataValue.md(
            "\n".join(f"- {day}: {failed[day]}" for day in days[:50]) or "none"
        ),
    }
    if not days:
        return dg.AssetCheckResult(
            check_name=NAME,
            asset_key=asset_key,
            passed=True,
            metadata=metadata,
            description=f"All {attempted} day(s) of the run were synced.",
        )
    return dg.AssetCheckResult(
        check_name=NAME,
        asset_key=asset_key,
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=(
            f"{len(days)} of {attempted} day(s) could not be synced this run: "
            f"{id_list(days, 20)} (first reason: {failed[days[0]]}). The other days were "
            "synced and recorded. These days are left as they were; materialize their "
            "partitions again (or wait for the next daily or weekly run) once Intercom answers."
        ),
    )
