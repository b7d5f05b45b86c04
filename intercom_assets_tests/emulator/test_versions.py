"""Intercom-Version selects the payload shape; unknown versions and gated endpoints are 400."""

from __future__ import annotations

import pytest

from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets_tests.support import Api, error_code, everything


def all_items(api: Api) -> list[dict]:
    return api.search(everything(), per_page=150).json()["conversations"]


def test_2_16_renders_graded_priority_and_zero_for_unassigned(api: Api) -> None:
    items = all_items(api)
    assert {item["priority"] for item in items} <= {"none", "low", "medium", "high", "urgent"}
    assert any(item["admin_assignee_id"] == 0 for item in items)
    assert all(isinstance(item["admin_assignee_id"], int) for item in items)
    assert all(isinstance(item["team_assignee_id"], int) for item in items)


def test_2_15_renders_binary_priority_and_null_for_unassigned(api: Api, emulator: Emulator) -> None:
    modern = {item["id"]: item for item in all_items(api)}
    legacy = {item["id"]: item for item in all_items(Api(emulator, emulator.token, "2.15"))}
    assert modern.keys() == legacy.keys()
    for cid, item in legacy.items():
        expected = "not_priority" if modern[cid]["priority"] == "none" else "priority"
        assert item["priority"] == expected
        assert item["admin_assignee_id"] == (modern[cid]["admin_assignee_id"] or None)
        assert item["team_assignee_id"] == (modern[cid]["team_assignee_id"] or None)


def test_legacy_shape_applies_to_retrieve_too(emulator: Emulator) -> None:
    cid = emulator.conversation_ids()[0]
    conversation = Api(emulator, emulator.token, "2.11").get(f"/conversations/{cid}").json()
    assert conversation["priority"] in ("priority", "not_priority")
    assert "conversation_parts" in conversation


@pytest.mark.parametrize("version", ["2.17", "3.0", "latest", "2"])
def test_unknown_version_is_rejected(emulator: Emulator, version: str) -> None:
    response = Api(emulator, emulator.token, version).get("/conversations")
    assert error_code(response) == (400, "intercom_version_invalid")


def test_deleted_endpoint_needs_2_16(emulator: Emulator) -> None:
    response = Api(emulator, emulator.token, "2.15").get("/conversations/deleted")
    assert error_code(response) == (400, "intercom_version_invalid")
    assert response.json()["errors"][0]["message"] == (
        "Requested resource is not available in current API version."
    )
    assert Api(emulator, emulator.token, "2.16").get("/conversations/deleted").status_code == 200


def test_configured_default_version_applies_without_header(
    emulator_config: EmulatorConfig,
) -> None:
    emulator_config.api_version = "2.14"
    with running_emulator(emulator_config) as emulator:
        headerless = Api(emulator, emulator.token, version="")
        assert error_code(headerless.get("/conversations/deleted"))[1] == "intercom_version_invalid"
        priorities = {item["priority"] for item in all_items(headerless)}
    assert priorities <= {"priority", "not_priority"}
