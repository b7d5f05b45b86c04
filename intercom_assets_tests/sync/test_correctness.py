"""Real Intercom semantics the mirror must survive: changes that keep `updated_at`, stale
replica reads, gateway 404s, conversations that come back after a deletion."""

from intercom_assets.emulator import Emulator
from intercom_assets.mirror.resources import IntercomResource
from intercom_assets_tests.support import differences, query, run_metadata, sync, sync_config

REDACTED = "<p><i>This message was deleted</i></p>"


def by_id(*ids: str) -> dict:
    """Run config of a sensor-style run: fetch exactly these conversations, search nothing."""
    return sync_config(conversation_ids=list(ids))


def stored(resources: dict, cid: str, columns: str) -> tuple:
    (row,) = query(resources, f"SELECT {columns} FROM intercom.conversations WHERE id = '{cid}'")
    return row


def small_conversations(emulator: Emulator) -> list[str]:
    return [
        cid
        for cid in emulator.conversation_ids()
        if 2 <= len(emulator.snapshot(cid)["conversation_parts"]["conversation_parts"]) < 100
    ]


def test_a_full_refresh_applies_changes_that_kept_updated_at_at_no_extra_cost(
    emulator, sync_resources
):
    sync(sync_resources)
    first, second = emulator.conversation_ids()[3], emulator.conversation_ids()[17]
    before = [emulator.snapshot(cid) for cid in (first, second)]
    emulator.advance(3_600)
    emulator.set_attributes(
        first, read=not before[0]["read"], priority="urgent", bump_updated_at=False
    )
    emulator.set_attributes(second, tag_ids=["123457", "123458"], bump_updated_at=False)
    emulator.reset_counters()

    result = sync(sync_resources)

    # One page per day, as a no-op re-run, plus the run's watermark search.
    assert dict(emulator.requests) == {"search": 4}
    conversations = run_metadata(result)
    assert (conversations["conversations_new"], conversations["conversations_changed"]) == (0, 2)
    assert conversations["conversations_unchanged"] == len(emulator.conversation_ids()) - 2
    assert run_metadata(result)["conversations_stale"] == 0
    assert stored(sync_resources, first, "read, priority, epoch(updated_at)::BIGINT") == (
        not before[0]["read"],
        "urgent",
        before[0]["updated_at"],
    )
    assert stored(sync_resources, second, "tags") == (["bug 🐛", "VIP"],)
    assert differences(emulator, sync_resources["duckdb"].database) == []
    emulator.reset_counters()
    rerun = run_metadata(sync(sync_resources))
    assert (rerun["conversations_changed"], dict(emulator.requests)) == (0, {"search": 4})


def test_a_redaction_survives_a_stale_replica_read(emulator, sync_resources):
    sync(sync_resources)
    cid = small_conversations(emulator)[0]
    part = emulator.snapshot(cid)["conversation_parts"]["conversation_parts"][0]["id"]
    emulator.advance(60)
    emulator.redact_part(cid, part)
    redacted_at = emulator.now()
    faults = emulator.config.faults
    faults.stale_read_rate, faults.stale_read_seconds = 1.0, 120

    sync(sync_resources)  # search sees the redaction's updated_at, GET the version before it

    assert stored(
        sync_resources,
        cid,
        "epoch(updated_at)::BIGINT, messages_synced_updated_at IS NULL"
        " OR messages_synced_updated_at <> updated_at",
    ) == (redacted_at, True)  # the newer row is kept and the conversation stays stale
    emulator.advance(121)  # the replica catches up
    emulator.reset_counters()

    result = sync(sync_resources, run_config=by_id(cid))  # searches nothing

    assert emulator.requests["get"] == 1
    assert run_metadata(result)["conversations_stale"] == 1
    assert query(
        sync_resources,
        f"SELECT redacted, body FROM intercom.messages WHERE id = '{part}'",
    ) == [(True, REDACTED)]
    assert differences(emulator, sync_resources["duckdb"].database) == []


def test_a_gateway_html_404_never_deletes_and_the_conversation_stays_stale(
    emulator, sync_resources
):
    sync(sync_resources)
    cid = small_conversations(emulator)[1]
    emulator.advance(60)
    new_parts = emulator.add_parts(cid, 2)
    emulator.config.faults.html_404_rate = 1.0
    impatient = {
        **sync_resources,
        "intercom": IntercomResource(
            access_token=emulator.token, base_url=emulator.base_url, max_retries=1
        ),
    }

    result = sync(impatient)

    assert result.success
    assert run_metadata(result)["conversations_not_found"] == 0
    assert query(sync_resources, "SELECT count(*) FROM intercom.deleted_conversations") == [(0,)]
    assert stored(sync_resources, cid, "messages_synced_updated_at <> updated_at") == (True,)
    emulator.config.faults.html_404_rate = 0.0
    emulator.reset_counters()

    sync(sync_resources, run_config=by_id(cid))

    assert emulator.requests["get"] == 1
    assert {row[0] for row in query(sync_resources, "SELECT id FROM intercom.messages")} >= set(
        new_parts
    )
    assert differences(emulator, sync_resources["duckdb"].database) == []


def test_a_conversation_that_reappears_is_restored_and_its_deletion_record_cleared(
    emulator, sync_resources
):
    """A JSON 404 that later proves wrong (a ghost id, an undelete) costs one round trip."""
    faults = emulator.config.faults
    faults.ghost_404_rate, faults.seed = 0.1, 2  # 3 ghosts
    sync(sync_resources)
    ghosts = sorted(
        r[0] for r in query(sync_resources, "SELECT id FROM intercom.deleted_conversations")
    )
    assert len(ghosts) == 3 and set(ghosts) <= set(emulator.conversation_ids())
    faults.ghost_404_rate = 0.0
    emulator.reset_counters()

    result = sync(sync_resources)

    assert run_metadata(result)["conversations_new"] == len(ghosts)
    assert emulator.requests["get"] == len(ghosts)
    assert query(sync_resources, "SELECT count(*) FROM intercom.deleted_conversations") == [(0,)]
    assert differences(emulator, sync_resources["duckdb"].database) == []


def test_with_privacy_scrubbing_an_unchanged_refresh_still_rewrites_nothing(
    emulator, sync_resources, monkeypatch
):
    """The digest is of the payload as received, so scrubbing cannot make every row differ."""
    monkeypatch.setenv("INTERCOM_PRIVACY", "drop_personal")
    sync(sync_resources)
    emulator.reset_counters()

    conversations = run_metadata(sync(sync_resources))

    assert (conversations["conversations_new"], conversations["conversations_changed"]) == (0, 0)
    assert dict(emulator.requests) == {"search": 4}  # a page per day + the watermark
