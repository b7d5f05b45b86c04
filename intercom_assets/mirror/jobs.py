"""Jobs: the partitioned sync, the deletions log, and the freshness checks.

All run in one process (the code location's executor, see definitions.py). The data checks run
in the sync job, right after its writes.
"""

import dagster as dg

from intercom_assets.mirror.assets import conversations, messages
from intercom_assets.mirror.checks import DATA_CHECKS, FRESHNESS_CHECKS
from intercom_assets.mirror.deletions import deleted_conversations

intercom_sync_job = dg.define_asset_job(
    "intercom_sync_job",
    selection=dg.AssetSelection.assets(conversations, messages).without_checks()
    | dg.AssetSelection.checks(*DATA_CHECKS),
    description="Sync Intercom conversations and their messages for the selected day(s).",
)

intercom_deletions_job = dg.define_asset_job(
    "intercom_deletions_job",
    selection=dg.AssetSelection.assets(deleted_conversations),
    description="Remove conversations Intercom lists as deleted (API 2.16+).",
)

intercom_freshness_job = dg.define_asset_job(
    "intercom_freshness_job",
    selection=dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    description="Check that the mirror is current; never opens DuckDB.",
)
