"""Asset keys and op names of the mirror (the ★ contract names)."""

import dagster as dg

CONVERSATIONS = dg.AssetKey(["intercom", "conversations"])
MESSAGES = dg.AssetKey(["intercom", "messages"])
DELETED_CONVERSATIONS = dg.AssetKey(["intercom", "deleted_conversations"])
# The op of the sync multi-asset: sensor run config lives under ops.<SYNC_OP>.config.
SYNC_OP = "intercom__sync"
DELETIONS_OP = "intercom__deleted_conversations"
