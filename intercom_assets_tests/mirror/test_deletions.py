"""intercom/deleted_conversations: applies Intercom's deletion log to the mirror."""

import re

import dagster as dg
import pytest

from intercom_assets_tests.support import differences, make_resources, query, run_job


def test_a_run_without_config_applies_every_listed_deletion(
    emulator, mirrored, duckdb_path, _isolated_instance
):
    ids = emulator.conversation_ids()
    deleted_at = emulator.advance(30)
    emulator.delete(ids[3])
    emulator.delete(ids[14])

    result = run_job("intercom_deletions_job", mirrored, _isolated_instance)

    materialization = result.asset_materializations_for_node("intercom__deleted_conversations")[0]
    assert materialization.metadata["deletions_listed"].value == 2
    assert materialization.metadata["conversations_removed"].value == 2
    assert query(
        duckdb_path,
        "SELECT id, epoch(deleted_at)::BIGINT, detected_via FROM intercom.deleted_conversations"
        " ORDER BY id",
    ) == [(ids[3], deleted_at, "deleted_endpoint"), (ids[14], deleted_at, "deleted_endpoint")]
    assert differences(emulator, duckdb_path) == []
    assert emulator.requests["get"] == 0


def test_on_api_2_15_the_run_fails_with_what_to_do(emulator, duckdb_path, _isolated_instance):
    resources = make_resources(emulator, duckdb_path, api_version="2.15")

    with pytest.raises(dg.Failure, match=re.escape("Set INTERCOM_API_VERSION=2.16")):
        run_job("intercom_deletions_job", resources, _isolated_instance)
