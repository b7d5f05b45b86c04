"""What the UI's catalog says about each table asset of one workspace, applied in one pass.

Every asset `build_defs` makes gets the `intercom` kind, the component's owners and a code
reference to the function that writes it. The mirror's own tables also get
`dagster/table_name`, `dagster/column_schema` (from `storage/columns.py`, the one column list
that also drives the DDL and the polars schemas) and a description saying what a row is, its
key and what keeps it current. The analytics tables carry theirs from their own column list.
"""

import dagster as dg

from intercom_assets.mirror.spec import MirrorSpec
from intercom_assets.storage.columns import TABLES, Table

KIND = "intercom"
STUB = "dagster/auto_created_stub_asset"


def table_metadata(table: Table) -> dict[str, object]:
    """`dagster/table_name` and `dagster/column_schema` of `intercom.<table>`."""
    columns = [
        dg.TableColumn(
            column.name,
            column.duckdb,
            description=column.description,
            constraints=dg.TableColumnConstraints(nullable=not column.not_null),
        )
        for column in table.columns
    ]
    constraints = dg.TableConstraints(other=[f"unique ({', '.join(table.key)})"])
    return {
        "dagster/table_name": f"intercom.{table.name}",
        "dagster/column_schema": dg.TableSchema(columns=columns, constraints=constraints),
    }


def descriptions(spec: MirrorSpec) -> dict[str, str]:
    """Per mirror table: what a row is, its key, and what keeps it current."""
    conversations, messages = (
        spec.conversations_key.to_user_string(),
        spec.messages_key.to_user_string(),
    )
    keeps_current = (
        f"Kept current by {spec.sync_job_name} runs: {spec.updates_sensor_name} syncs what "
        f"changed since its last tick, {spec.daily_schedule_name} fully refreshes yesterday, "
        f"{spec.reconcile_schedule_name} repairs every day weekly."
    )
    return {
        "conversations": (
            "One row per Intercom conversation, filed under its created_at UTC day (the "
            "partition); key `id`. What search returns, without parts (those are in "
            f"{messages}), the whole object in `raw`. {keeps_current}"
        ),
        "messages": (
            "One row per message; key (`conversation_id`, `id`): each conversation's opening "
            "message (`part_type` 'source') and every part, the body as the API returns it. "
            f"Synced with {conversations} by the same runs, re-fetching only conversations "
            "whose updated_at moved; parts beyond Intercom's newest-500 window are never "
            f"deleted. {keeps_current}"
        ),
        "deleted_conversations": (
            "One row per conversation removed from the mirror because Intercom deleted it; "
            "key `id`, with `deleted_at` and `detected_via`. Written when a GET confirms a "
            f"404, by the weekly {spec.reconcile_schedule_name}, and by "
            f"{spec.deletions_job_name}, which {spec.updates_sensor_name} requests when "
            "GET /conversations/deleted lists new entries (API 2.16+)."
        ),
    }


def describe_assets(spec: MirrorSpec, defs: dg.Definitions) -> dg.Definitions:
    """`defs` with the catalog metadata above on every asset of this workspace."""
    references = {
        asset.key: asset.metadata["dagster/code_references"]
        for assets_def in dg.with_source_code_references(list(defs.assets or []))
        if isinstance(assets_def, dg.AssetsDefinition)
        for asset in assets_def.specs
        if "dagster/code_references" in asset.metadata
    }
    tables = {table.name: table for table in TABLES}
    texts = descriptions(spec)

    def describe(asset: dg.AssetSpec) -> dg.AssetSpec:
        if STUB in asset.metadata:  # a dependency defined elsewhere, not an asset of ours
            return asset
        metadata = dict(asset.metadata)
        if asset.key in references:
            metadata["dagster/code_references"] = references[asset.key]
        name = asset.key.path[-1]
        if name in tables:
            metadata |= table_metadata(tables[name])
        return asset.replace_attributes(
            kinds={*asset.kinds, KIND},
            owners=list(asset.owners) or list(spec.owners),
            metadata=metadata,
            description=texts.get(name, asset.description),
        )

    return defs.map_resolved_asset_specs(func=describe)
