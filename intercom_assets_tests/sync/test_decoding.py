"""Bodies decoded in a helper process write what decoding in process writes, batch by batch."""

import json
import logging
import shutil
from datetime import UTC, datetime, timedelta

from intercom_assets.storage import prepare_database
from intercom_assets.sync.batches import FetchLimits
from intercom_assets.sync.decoding import Decoder, helper_pool
from intercom_assets.sync.engine import SyncWindow, sync_conversations
from intercom_assets.sync.messages import sync_messages
from intercom_assets_tests.support import (
    FIXED_NOW,
    conversation,
    differences,
    make_client,
    query,
)

LOG = logging.getLogger("test_decoding")
_END = datetime.fromtimestamp(FIXED_NOW, UTC).replace(hour=0, minute=0, second=0) + timedelta(1)
HISTORY = SyncWindow(_END - timedelta(days=3), _END)  # the emulator fixture's 3 days


def _body(cid: str, parts: int = 3) -> bytes:
    return json.dumps(conversation(cid, parts=parts)).encode()


def test_batches_close_at_the_conversation_count_and_after_the_chunk_reaching_a_limit():
    refetched: list[str] = []
    with helper_pool() as helper:
        decoder = Decoder(
            helper, FetchLimits(7, 10**6, 10**9), lambda cid, _: refetched.append(cid)
        )
        batches = [b for n in range(20) for b in decoder.add(str(n), _body(str(n)))]
        batches += list(decoder.finish())
        assert [b.conversations for b in batches] == [7, 7, 6]
        assert [c["id"] for c in batches[0].prepared().found] == [str(n) for n in range(7)]

        decoder = Decoder(helper, FetchLimits(250, 30, 10**9), lambda cid, _: refetched.append(cid))
        bodies = [
            ("gone-1", None),
            ("x", b"<html>"),
            *((str(n), _body(str(n))) for n in range(150)),
        ]
        batches = [b for cid, body in bodies for b in decoder.add(cid, body)]
        batches += list(decoder.finish())
    # A chunk holds up to 100 conversations (a 404 too) and is weighed once decoded.
    assert [b.size for b in batches] == [99, 52]
    assert batches[0].gone == ["gone-1"] and batches[0].parts == 98 * 3
    assert refetched == ["x"]  # not JSON: fetched again the usual way


def test_a_messages_step_decoded_in_a_helper_stores_exactly_what_one_decoded_here_does(
    emulator, tmp_path
):
    here, helper = tmp_path / "here.duckdb", tmp_path / "helper.duckdb"
    prepare_database(str(here), LOG)
    sync_conversations(make_client(emulator), str(here), HISTORY, LOG)
    shutil.copy(here, helper)
    found = {}
    for database, helper_from in ((here, 10**9), (helper, 1)):
        result = sync_messages(
            make_client(emulator),
            str(database),
            HISTORY.start,
            HISTORY.end,
            LOG,
            batch_conversations=9,
            helper_from=helper_from,
        )
        assert result.conversations_synced == result.stale == len(emulator.conversation_ids())
        assert differences(emulator, database) == []
        found[helper_from] = query(
            database,
            "SELECT * EXCLUDE (synced_at) FROM intercom.messages ORDER BY conversation_id, id",
        )
    assert found[1] == found[10**9]
