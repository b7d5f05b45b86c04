"""Bad input gets a clear error and loses nothing; the next run completes the work."""

import dagster as dg
import pytest

from intercom_assets.mirror.resources import IntercomResource
from intercom_assets_tests.support import query, run_metadata, sync, sync_config


def _event_text(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(
        f"{event.message} {event.event_specific_data!r}" for event in result.all_events
    )


def test_revoked_token_fails_at_the_first_request_with_the_advice(emulator, sync_resources):
    emulator.set_token("revoked-secret-token-123", "revoked")
    resources = {
        **sync_resources,
        "intercom": IntercomResource(
            access_token="revoked-secret-token-123", base_url=emulator.base_url
        ),
    }
    result = sync(resources, raise_on_error=False)

    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    assert "token_revoked" in message and "copied correctly" in message
    # the watermark and at most one request per day window (3) in flight when the first 401
    # lands; none retried
    assert set(emulator.requests) == {"search"} and emulator.requests["search"] <= 4
    assert "revoked-secret-token-123" not in _event_text(result)


def test_token_never_appears_in_the_run_log(emulator, sync_resources):
    result = sync(sync_resources)
    assert result.success
    assert emulator.token not in _event_text(result)


def test_conversation_deleted_between_search_and_get_is_skipped_and_recorded(
    emulator, sync_resources
):
    sync(sync_resources)
    victim = emulator.conversation_ids()[0]
    emulator.delete(victim)

    # A sensor run that saw it change fetches it and finds it gone.
    result = sync(sync_resources, run_config=sync_config(conversation_ids=[victim]))

    assert run_metadata(result)["conversations_not_found"] == 1
    assert query(
        sync_resources, f"SELECT count(*) FROM intercom.conversations WHERE id = '{victim}'"
    ) == [(0,)]
    assert query(
        sync_resources, f"SELECT count(*) FROM intercom.messages WHERE conversation_id = '{victim}'"
    ) == [(0,)]
    assert query(sync_resources, "SELECT id, detected_via FROM intercom.deleted_conversations") == [
        (victim, "404")
    ]


@pytest.mark.parametrize("fault", ["wrong_types_rate", "invalid_json_rate", "truncated_json_rate"])
def test_schema_breaking_payloads_never_crash_and_the_next_run_completes(
    emulator, sync_resources, fault
):
    setattr(emulator.config.faults, fault, 0.3)
    first = sync(sync_resources)
    assert first.success
    setattr(emulator.config.faults, fault, 0.0)
    sync(sync_resources)

    ids = sorted(emulator.conversation_ids())
    assert (
        sorted(r[0] for r in query(sync_resources, "SELECT id FROM intercom.conversations")) == ids
    )
    assert query(
        sync_resources,
        "SELECT count(*) FROM intercom.conversations"
        " WHERE messages_synced_updated_at IS DISTINCT FROM updated_at",
    ) == [(0,)]
    expected = sum(
        min(len(emulator.snapshot(i)["conversation_parts"]["conversation_parts"]), 500) + 1
        for i in ids
    )
    assert query(sync_resources, "SELECT count(*) FROM intercom.messages") == [(expected,)]
