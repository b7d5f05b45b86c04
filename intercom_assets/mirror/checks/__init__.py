"""Asset checks: data checks run inside the sync job; freshness checks run on their own."""

from intercom_assets.mirror.checks.completeness import messages_complete
from intercom_assets.mirror.checks.freshness import sync_lag, yesterday_synced
from intercom_assets.mirror.checks.integrity import (
    conversation_ids_unique,
    conversations_in_partition_day,
    message_ids_unique,
    messages_have_conversation,
)

# Read DuckDB, so they run in the sync job right after its writes (never beside a writer).
DATA_CHECKS = [
    messages_complete,
    conversation_ids_unique,
    conversations_in_partition_day,
    message_ids_unique,
    messages_have_conversation,
]
# Never open DuckDB; evaluated hourly by `intercom_freshness_schedule` (on by default).
FRESHNESS_CHECKS = [sync_lag, yesterday_synced]

__all__ = ["DATA_CHECKS", "FRESHNESS_CHECKS"]
