"""Jobs: the partitioned sync, the deletions log, and the freshness checks.

All run in one process (the code location's executor, see definitions.py). The data checks are
part of the sync op, so they run in every sync run right after its writes.
"""

import dagster as dg

from intercom_assets.mirror import keys
from intercom_assets.mirror.checks import FRESHNESS_CHECKS

intercom_sync_job = dg.define_asset_job(
    "intercom_sync_job",
    # Both assets and the sync op's own checks; the freshness checks run in their own job.
    selection=dg.AssetSelection.assets(keys.CONVERSATIONS, keys.MESSAGES)
    - dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    description="Sync Intercom conversations and their messages for the selected day(s).",
)

intercom_deletions_job = dg.define_asset_job(
    "intercom_deletions_job",
    selection=dg.AssetSelection.assets(keys.DELETED_CONVERSATIONS),
    description="Remove conversations Intercom lists as deleted (API 2.16+).",
)

intercom_freshness_job = dg.define_asset_job(
    "intercom_freshness_job",
    selection=dg.AssetSelection.checks(*FRESHNESS_CHECKS),
    description="Check that the mirror is current; never opens DuckDB.",
)
