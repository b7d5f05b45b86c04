"""A queued messages batch holds compact frames, not decoded payloads, and writes the same."""

from datetime import UTC, datetime

import polars as pl

from intercom_assets.sync.batches import CHUNK, Batch
from intercom_assets.sync.transforms import conversation_versions, messages_frame
from intercom_assets_tests.support import conversation

T0 = datetime(2026, 11, 20, tzinfo=UTC)


def test_a_batch_keeps_no_part_lists_and_prepares_what_one_transform_would():
    payloads = [conversation(str(n), parts=3) for n in range(CHUNK + 5)]
    payloads.append(conversation("7", parts=4, updated_at=1_734_540_000))  # seen again, newer
    batch = Batch(T0)
    for payload in payloads:
        batch.add(payload)
    assert (batch.conversations, batch.parts) == (CHUNK + 6, 3 * (CHUNK + 5) + 4)
    assert len(batch.pending) == 6 and len(batch.chunks) == 1  # the first CHUNK are prepared
    prepared = batch.prepared()
    assert all("conversation_parts" not in c["conversation_parts"] for c in prepared.found)
    assert [c["conversation_parts"]["total_count"] for c in prepared.found[:1]] == [3]
    expected = messages_frame(payloads, T0).frame
    assert prepared.messages.sort("conversation_id", "id").equals(
        expected.sort("conversation_id", "id")
    )
    assert prepared.messages.filter(pl.col("conversation_id") == "7").height == 5
    assert prepared.versions.sort("id").equals(
        conversation_versions(payloads, digests=False).sort("id")
    )


def test_only_the_accepted_conversations_messages_are_kept_and_stamped():
    batch = Batch(T0)
    for n in ("1", "2"):
        batch.add(conversation(n, parts=2))
    later = datetime(2026, 11, 21, tzinfo=UTC)
    frame, rejected = batch.prepared().accepted({"2"}, later)
    assert frame["conversation_id"].unique().to_list() == ["2"]
    assert frame.height == 3 and rejected == []
    assert frame["synced_at"].unique().to_list() == [later]
