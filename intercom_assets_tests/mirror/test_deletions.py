"""intercom/deleted_conversations: applies Intercom's deletion log to the mirror."""

import re
from datetime import UTC, datetime

import dagster as dg
import pytest

from intercom_assets_tests.support import (
    day_metadata,
    differences,
    make_resources,
    query,
    run_job,
)

_STORED_BY_DAY = """
SELECT strftime(c.created_at, '%Y-%m-%d'), count(DISTINCT c.id), count(m.id)
FROM intercom.conversations c LEFT JOIN intercom.messages m ON m.conversation_id = c.id
WHERE strftime(c.created_at, '%Y-%m-%d') IN (?, ?) GROUP BY 1
"""


def test_a_run_without_config_applies_every_listed_deletion(
    emulator, mirrored, duckdb_path, _isolated_instance
):
    ids = emulator.conversation_ids()
    days = sorted({_day(emulator, ids[3]), _day(emulator, ids[14])})
    deleted_at = emulator.advance(30)
    emulator.delete(ids[3])
    emulator.delete(ids[14])

    result = run_job("intercom_deletions_job", mirrored, _isolated_instance)

    # Each changed day gets a materialization of both sync assets with its own figures.
    stored = {day: (conv, msgs) for day, conv, msgs in query(duckdb_path, _STORED_BY_DAY, days)}
    conversations, messages = (day_metadata(result, a) for a in ("conversations", "messages"))
    assert days == ["2026-11-18", "2026-11-19"]
    assert sorted(conversations) == sorted(messages) == days
    for day in days:
        assert conversations[day]["dagster/row_count"] == stored[day][0]
        assert conversations[day]["conversations_deleted"] == 1
        assert messages[day]["dagster/row_count"] == stored[day][1]
    (materialization,) = [
        m
        for m in result.asset_materializations_for_node("intercom__deleted_conversations")
        if m.asset_key == dg.AssetKey(["intercom", "deleted_conversations"])
    ]
    assert materialization.metadata["deletions_listed"].value == 2
    assert materialization.metadata["conversations_removed"].value == 2
    assert query(
        duckdb_path,
        "SELECT id, epoch(deleted_at)::BIGINT, detected_via FROM intercom.deleted_conversations"
        " ORDER BY id",
    ) == [(ids[3], deleted_at, "deleted_endpoint"), (ids[14], deleted_at, "deleted_endpoint")]
    assert differences(emulator, duckdb_path) == []
    assert emulator.requests["get"] == 0


def _day(emulator, conversation_id: str) -> str:
    created = emulator.snapshot(conversation_id)["created_at"]
    return datetime.fromtimestamp(created, UTC).date().isoformat()


def test_on_api_2_15_the_run_fails_with_what_to_do(emulator, duckdb_path, _isolated_instance):
    resources = make_resources(emulator, duckdb_path, api_version="2.15")

    with pytest.raises(dg.Failure, match=re.escape("Set INTERCOM_API_VERSION=2.16")):
        run_job("intercom_deletions_job", resources, _isolated_instance)
