"""Jobs: the partitioned sync of both assets, run in one process.

Both steps are sequential (messages depend on conversations) and their parallelism lives in the
client's bounded thread pool, so the in-process executor costs nothing and avoids two processes
contending for the DuckDB file.
"""

import dagster as dg

from intercom_assets.assets import conversations, messages

intercom_sync_job = dg.define_asset_job(
    "intercom_sync_job",
    selection=dg.AssetSelection.assets(conversations, messages),
    executor_def=dg.in_process_executor,
    description="Sync Intercom conversations and their messages for the selected day(s).",
)
