"""Re-sync a given list of conversations: one GET each, row and messages rewritten together.

The operator's tool for conversations a check named or a support agent reported; the same
batch write as the messages step, so a 404 removes the conversation and records it.
"""

import logging

from intercom_assets.client import IntercomClient, IntercomError
from intercom_assets.storage import WriteSession
from intercom_assets.sync.engine import (
    MESSAGES_BATCH_CONVERSATIONS,
    MessagesResult,
    _Batch,
    _write_batch,
)
from intercom_assets.sync.progress import Progress


def resync_conversations(
    client: IntercomClient, database: str, ids: list[str], log: logging.Logger
) -> MessagesResult:
    result = MessagesResult(stale=len(ids))
    progress = Progress(log, "conversations re-synced", len(ids))
    batch = _Batch()
    with WriteSession(database, log) as session:
        for conversation_id, payload in client.get_conversations(ids):
            progress.advance()
            if payload is None:
                batch.gone.append(conversation_id)
            elif isinstance(payload, IntercomError):
                log.warning("Skipping conversation %s: %s", conversation_id, payload)
                result.unusable.append(conversation_id)
            else:
                batch.found.append(payload)
            if batch.size >= MESSAGES_BATCH_CONVERSATIONS:
                _write_batch(session, batch, result, log)
                batch = _Batch()
        if batch.size:
            _write_batch(session, batch, result, log)
    return result
