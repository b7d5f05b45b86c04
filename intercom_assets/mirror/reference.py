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

from intercom_assets.analytics import metrics as analytics
from intercom_assets.analytics.reference import reference_frame, replace_reference
from intercom_assets.client import IntercomAuthError, IntercomPermissionError, IntercomVersionError
from intercom_assets.mirror.metrics import table_spec
from intercom_assets.mirror.resources import duckdb_resource, intercom_resource
from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.mirror.step_resources import api_metadata, prepared_database
from intercom_assets.storage import transaction

REFERENCE_CRON = "30 0 * * *"
_LISTS = ("admins", "teams", "tags")


def build_reference_defs(spec: MirrorSpec) -> dg.Definitions:
    """`{prefix}/admins`, `/teams`, `/tags`, `/admin_metrics`, their job and daily schedule."""
    reference = build_reference_assets(spec)
    job = dg.define_asset_job(
        spec.name("reference_job"),
        selection=dg.AssetSelection.assets(reference),
        description="Refresh admins, teams and tags from Intercom, then admin_metrics.",
    )
    schedule = dg.ScheduleDefinition(
        name=spec.name("reference_schedule"),
        job=job,
        cron_schedule=REFERENCE_CRON,
        execution_timezone="UTC",
        description=(
            "Daily at 00:30 UTC: admins, teams, tags and admin_metrics (off until started, like"
            " the daily sync schedule)."
        ),
    )
    return dg.Definitions(assets=[reference], jobs=[job], schedules=[schedule])


def build_reference_assets(spec: MirrorSpec) -> dg.AssetsDefinition:
    """The reference multi-asset of one workspace."""
    specs = {table: table_spec(spec, table, skippable=True) for table in _LISTS}
    specs["admin_metrics"] = table_spec(
        spec,
        "admin_metrics",
        deps=[specs["admins"].key, specs["teams"].key, spec.asset_key("conversation_metrics")],
        skippable=True,
    )

    @dg.multi_asset(
        name=spec.name("reference"),
        specs=list(specs.values()),
        can_subset=True,
        required_resource_keys=spec.resource_keys,
        description="Admins, teams and tags from Intercom, then admin_metrics.",
    )
    def reference(context: dg.AssetExecutionContext) -> Iterator[dg.MaterializeResult]:
        started = time.monotonic()
        database = prepared_database(duckdb_resource(context, spec), context.log)
        refused: list[str] = []
        client = intercom_resource(context, spec).get_client(logger=context.log)
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
