"""A backfill lands exactly what Intercom holds; a re-run is free; changes are picked up."""

from datetime import UTC, datetime

from intercom_assets_tests.support import day_metadata, query, run_metadata, sync


def _expected_messages(snapshot: dict) -> list[tuple[str, str]]:
    """What one GET can show: the opening message plus the newest 500 parts."""
    source_id = snapshot["source"]["id"] or f"{snapshot['id']}-source"
    parts = snapshot["conversation_parts"]["conversation_parts"][-500:]
    return sorted([(snapshot["id"], source_id)] + [(snapshot["id"], p["id"]) for p in parts])


def _day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).date().isoformat()


def test_backfill_lands_every_conversation_and_message(emulator, sync_resources):
    result = sync(sync_resources)

    ids = sorted(emulator.conversation_ids())
    snapshots = [emulator.snapshot(i) for i in ids]
    assert (
        sorted(r[0] for r in query(sync_resources, "SELECT id FROM intercom.conversations")) == ids
    )
    stored = query(
        sync_resources, "SELECT conversation_id, id FROM intercom.messages ORDER BY 1, 2"
    )
    assert stored == sorted(m for s in snapshots for m in _expected_messages(s))
    assert emulator.requests["get"] == len(ids)
    days = day_metadata(result, "conversations")
    assert sum(day["conversations_new"] for day in days.values()) == len(ids)
    assert sum(day["messages_written"] for day in day_metadata(result, "messages").values()) == (
        len(stored)
    )
    assert run_metadata(result)["messages_written"] == len(stored)


def test_stored_fields_equal_the_api_values(emulator, sync_resources):
    sync(sync_resources)
    rows = query(
        sync_resources,
        "SELECT id, epoch(created_at)::BIGINT, epoch(updated_at)::BIGINT, state, priority,"
        " parts_reported, admin_assignee_id FROM intercom.conversations",
    )
    for conv_id, created, updated, state, priority, reported, admin in rows:
        snap = emulator.snapshot(conv_id)
        assert (created, updated, state, priority) == (
            snap["created_at"],
            snap["updated_at"],
            snap["state"],
            snap["priority"],
        )
        assert reported == snap["statistics"]["count_conversation_parts"] - 1
        assert admin == (str(snap["admin_assignee_id"]) if snap["admin_assignee_id"] else None)
    bodies = dict(
        ((c, i), b)
        for c, i, b in query(
            sync_resources, "SELECT conversation_id, id, body FROM intercom.messages"
        )
    )
    for conv_id, *_ in rows:
        for part in emulator.snapshot(conv_id)["conversation_parts"]["conversation_parts"][-500:]:
            assert bodies[(conv_id, part["id"])] == part["body"]


def test_conversations_land_in_their_created_at_day_including_midnight(emulator, sync_resources):
    sync(sync_resources, "2026-11-19", "2026-11-19")
    stored = {r[0] for r in query(sync_resources, "SELECT id FROM intercom.conversations")}
    expected = {
        i
        for i in emulator.conversation_ids()
        if _day(emulator.snapshot(i)["created_at"]) == "2026-11-19"
    }
    assert stored == expected
    midnight = int(datetime(2026, 11, 19, tzinfo=UTC).timestamp())
    next_midnight = midnight + 86_400
    on_boundary = emulator.create_conversation(created_at=midnight, parts=1)
    after_boundary = emulator.create_conversation(created_at=next_midnight, parts=1)
    sync(sync_resources, "2026-11-19", "2026-11-19")
    stored = {r[0] for r in query(sync_resources, "SELECT id FROM intercom.conversations")}
    assert on_boundary in stored and after_boundary not in stored


def test_today_partition_receives_conversations_created_today(emulator, sync_resources):
    created = emulator.create_conversation(parts=2)
    sync(sync_resources, "2026-11-20", "2026-11-20")
    assert (created,) in query(sync_resources, "SELECT id FROM intercom.conversations")


def test_rerun_with_nothing_changed_makes_zero_gets(emulator, sync_resources, _isolated_instance):
    sync(sync_resources, instance=_isolated_instance)
    emulator.reset_counters()
    result = sync(sync_resources, instance=_isolated_instance)
    assert emulator.requests["get"] == 0
    assert emulator.requests["search"] >= 3  # one window per day
    # Nothing changed, every day was recorded before: the run records no materialization.
    assert day_metadata(result, "conversations") == {} == day_metadata(result, "messages")
    run = run_metadata(result)
    assert (run["conversations_seen"], run["conversations_synced"]) == (
        len(emulator.conversation_ids()),
        0,
    )


def test_changed_conversations_are_refreshed_with_one_get_each(emulator, sync_resources):
    sync(sync_resources)
    small = [
        i
        for i in emulator.conversation_ids()
        if len(emulator.snapshot(i)["conversation_parts"]["conversation_parts"]) in range(2, 100)
    ]
    grown, closed, redacted = small[:3]
    emulator.advance(60)
    new_parts = emulator.add_parts(grown, count=2)
    emulator.close(closed)
    redacted_part = emulator.snapshot(redacted)["conversation_parts"]["conversation_parts"][0]["id"]
    emulator.redact_part(redacted, redacted_part)
    emulator.reset_counters()

    sync(sync_resources)

    assert emulator.requests["get"] == 3
    stored_parts = {
        r[0]
        for r in query(
            sync_resources, f"SELECT id FROM intercom.messages WHERE conversation_id = '{grown}'"
        )
    }
    assert set(new_parts) <= stored_parts
    assert query(
        sync_resources, f"SELECT state FROM intercom.conversations WHERE id = '{closed}'"
    ) == [("closed",)]
    assert query(
        sync_resources,
        f"SELECT redacted, body FROM intercom.messages WHERE id = '{redacted_part}'"
        f" AND conversation_id = '{redacted}'",
    ) == [(True, "<p><i>This message was deleted</i></p>")]


def test_conversation_growing_past_500_parts_keeps_the_parts_synced_before(
    emulator, sync_resources
):
    target = min(
        emulator.conversation_ids(),
        key=lambda i: len(emulator.snapshot(i)["conversation_parts"]["conversation_parts"]),
    )
    existing = len(emulator.snapshot(target)["conversation_parts"]["conversation_parts"])
    emulator.add_parts(target, count=495 - existing)
    sync(sync_resources)
    emulator.advance(60)
    emulator.add_parts(target, count=20)
    sync(sync_resources)

    total = len(emulator.snapshot(target)["conversation_parts"]["conversation_parts"])
    assert total == 515
    stored = query(
        sync_resources,
        f"SELECT count(*) FROM intercom.messages WHERE conversation_id = '{target}'"
        " AND part_type <> 'source'",
    )
    assert stored == [(515,)]  # one GET shows only 500; the 15 oldest were kept from the first sync
