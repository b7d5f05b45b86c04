"""Jobs: the partitioned sync, the deletions log, and the freshness checks; each in one process.

Sync steps are sequential (messages depend on conversations) and their parallelism lives in the
client's bounded thread pool, so the in-process executor costs nothing and avoids two processes
contending for the DuckDB file. The data checks run in the sync job, right after its writes.
"""

import dagster as dg

from intercom_assets.assets import conversations, messages
from intercom_assets.checks import DATA_CHECKS, FRESHNESS_CHECKS
from intercom_assets.deletions import deleted_conversations

intercom_sync_job = dg.define_asset_job(
    "intercom_sync_job",
    selection=dg.AssetSelection.assets(conversations, messages).without_checks()
    | dg.AssetSelection.checks(*DATA_CHECKS),
    executor_def=dg.in_process_executor,
    description="Sync Intercom conversations and their messages for the selected day(s).",
)

intercom_deletions_job = dg.define_asset_job(
    "intercom_deletions_job",
    selection=dg.AssetSelection.assets(deleted_conversations),
    executor_def=dg.in_process_executor,
    description="Remove conversations Intercom lists as deleted (API 2.16+).",
)

intercom_freshness_job = dg.define_asset_job(
    "intercom_freshness_job",
    selection=dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    executor_def=dg.in_process_executor,
    description="Check that the mirror is current; never opens DuckDB.",
)
