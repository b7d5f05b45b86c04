"""Integrity checks: pass on a clean sync, and name exactly what is wrong when it is not."""

import logging

import dagster as dg

from intercom_assets.storage import transaction
from intercom_assets_tests.support import check_metadata, evaluation, run_job

INTEGRITY = (
    "conversation_ids_unique",
    "conversations_in_partition_day",
    "message_ids_unique",
    "messages_have_conversation",
)


def _sync(resources, instance) -> dg.ExecuteInProcessResult:
    return run_job("intercom_sync_job", resources, instance, partition_key="2026-11-19")


def _execute(database: str, sql: str) -> None:
    with transaction(database, logging.getLogger("test")) as conn:
        conn.execute(sql)


def test_a_clean_sync_passes_every_integrity_check(resources, _isolated_instance):
    result = _sync(resources, _isolated_instance)

    for name in INTEGRITY:
        assert evaluation(result, name).passed, name
    assert evaluation(result, "conversations_in_partition_day").description == (
        "Every stored conversation is filed on the day Intercom says it was created."
    )


def test_a_message_without_its_conversation_fails_and_is_named(resources, _isolated_instance):
    _sync(resources, _isolated_instance)
    _execute(
        resources["duckdb"].database,
        "INSERT INTO intercom.messages (conversation_id, id, part_type, synced_at)"
        " VALUES ('ghost', 'm1', 'comment', now())",
    )

    result = evaluation(_sync(resources, _isolated_instance), "messages_have_conversation")

    assert (result.passed, check_metadata(result)) == (
        False,
        {"problems": 1, "ids": "ghost", "days": ""},
    )
    assert result.description.startswith(
        "Messages of 1 conversation(s) are stored without their conversation (ghost)"
    )
    assert "DELETE FROM intercom.messages" in result.description


def test_a_conversation_filed_under_the_wrong_time_fails_and_is_named(
    emulator, resources, _isolated_instance
):
    _sync(resources, _isolated_instance)
    moved = emulator.conversation_ids()[10]
    _execute(
        resources["duckdb"].database,
        "UPDATE intercom.conversations SET created_at = created_at + INTERVAL 1 MINUTE"
        f" WHERE id = '{moved}'",
    )

    result = evaluation(_sync(resources, _isolated_instance), "conversations_in_partition_day")

    assert (result.passed, result.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert check_metadata(result) == {"problems": 1, "ids": moved, "days": "2026-11-19"}
    assert "sit in the wrong day" in result.description
