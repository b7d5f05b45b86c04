"""Reference data and admin metrics: `intercom/admins`, `/teams`, `/tags`, `/admin_metrics`.

One multi-asset (subsettable) in its own job, `intercom_reference_job`, with a daily schedule:
a job mixing unpartitioned assets with the partitioned sync would run them on every sync run.
Each list is one API call. A token without *Read admins* or *Read tags* fails exactly those
assets, with the advice, after the others are written: `admin_metrics` is still refreshed
(with ids, and names from the last successful refresh), and the sync never needs them.
"""

import time
from collections.abc import Iterator

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster_duckdb import DuckDBResource

from intercom_assets.analytics import metrics as analytics
from intercom_assets.analytics.reference import reference_frame, replace_reference
from intercom_assets.client import IntercomAuthError, IntercomPermissionError, IntercomVersionError
from intercom_assets.mirror.metrics import table_spec
from intercom_assets.mirror.resources import IntercomResource
from intercom_assets.mirror.step_resources import api_metadata, prepared_database
from intercom_assets.storage import transaction

REFERENCE_CRON = "30 0 * * *"
_LISTS = ("admins", "teams", "tags")


def build_reference_assets(
    prefix: str, conversation_metrics_key: dg.AssetKey
) -> dg.AssetsDefinition:
    """The reference multi-asset of one workspace (`prefix` names its keys)."""
    specs = {table: table_spec(prefix, table, skippable=True) for table in _LISTS}
    specs["admin_metrics"] = table_spec(
        prefix,
        "admin_metrics",
        deps=[specs["admins"].key, specs["teams"].key, conversation_metrics_key],
        skippable=True,
    )

    @dg.multi_asset(
        name=f"{prefix}_reference",
        specs=list(specs.values()),
        can_subset=True,
        description="Admins, teams and tags from Intercom, then admin_metrics.",
    )
    def reference(
        context: dg.AssetExecutionContext, intercom: IntercomResource, duckdb: DuckDBResource
    ) -> Iterator[dg.MaterializeResult]:
        started = time.monotonic()
        database = prepared_database(duckdb, context.log)
        refused: list[str] = []
        client = intercom.get_client(logger=context.log)
        try:
            for table in _LISTS:
                if specs[table].key not in context.selected_asset_keys:
                    continue
                try:
                    items = getattr(client, table)()
                except IntercomPermissionError as error:
                    context.log.error(str(error))
                    refused.append(str(error))
                    continue
                frame = reference_frame(table, items)
                with transaction(database, context.log) as conn:
                    replace_reference(conn, table, frame)
                yield dg.MaterializeResult(
                    asset_key=specs[table].key,
                    metadata={"dagster/row_count": frame.height, "listed": len(items)},
                )
            api = api_metadata(client, started)
        except (IntercomAuthError, IntercomVersionError) as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
        finally:
            client.close()
        if specs["admin_metrics"].key in context.selected_asset_keys:
            with transaction(database, context.log) as conn:
                rows = analytics.recompute_admin_metrics(conn)
            yield dg.MaterializeResult(
                asset_key=specs["admin_metrics"].key,
                metadata={"dagster/row_count": rows, **api},
            )
        if refused:
            raise dg.Failure(description="\n".join(refused), allow_retries=False)

    return reference


def build_reference_job(
    prefix: str, reference: dg.AssetsDefinition
) -> UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        f"{prefix}_reference_job",
        selection=dg.AssetSelection.assets(reference),
        description="Refresh admins, teams and tags from Intercom, then admin_metrics.",
    )


def build_reference_schedule(
    prefix: str, job: UnresolvedAssetJobDefinition
) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"{prefix}_reference_schedule",
        job=job,
        cron_schedule=REFERENCE_CRON,
        execution_timezone="UTC",
        description=(
            "Daily at 00:30 UTC: admins, teams, tags and admin_metrics (off until started, like"
            " the daily sync schedule)."
        ),
    )
