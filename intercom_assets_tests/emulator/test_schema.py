"""Every endpoint's responses validate against Intercom's official 2.16 OpenAPI schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from intercom_assets.emulator import Emulator, EmulatorConfig, FaultConfig, running_emulator
from intercom_assets_tests.support import Api, everything

jsonschema = pytest.importorskip("jsonschema")
referencing = pytest.importorskip("referencing")
yaml = pytest.importorskip("yaml")

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT.parent / "shared" / "intercom-openapi" / "api.intercom.io-2.16.yaml"
BASE_URI = "urn:intercom:2.16"


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 -> JSON Schema: `nullable: true` becomes a union with null."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: to_json_schema(value) for key, value in node.items()}
    converted.pop("example", None)
    if "$ref" in converted:
        converted["$ref"] = BASE_URI + converted["$ref"]
    if not converted.pop("nullable", False):
        return converted
    if "type" in converted and "$ref" not in converted and "allOf" not in converted:
        converted["type"] = [converted["type"], "null"]
        if "enum" in converted and None not in converted["enum"]:
            converted["enum"] = [*converted["enum"], None]
        return converted
    return {"anyOf": [converted, {"type": "null"}]}


@pytest.fixture(scope="module")
def validator_for() -> Any:
    if not SPEC.exists():
        pytest.skip(f"official OpenAPI spec not found at {SPEC} (shared/ must sit beside the repo)")
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    document = {"components": {"schemas": to_json_schema(spec["components"]["schemas"])}}
    resource = referencing.Resource.from_contents(
        document, default_specification=referencing.jsonschema.DRAFT202012
    )
    registry = referencing.Registry().with_resource(BASE_URI, resource)

    def validator(name: str) -> Any:
        schema = {"$ref": f"{BASE_URI}#/components/schemas/{name}"}
        return jsonschema.Draft202012Validator(schema, registry=registry)

    return validator


def assert_valid(validator_for: Any, name: str, response: requests.Response) -> None:
    errors = sorted(validator_for(name).iter_errors(response.json()), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def test_me_is_an_admin_with_app(api: Api, validator_for: Any) -> None:
    assert_valid(validator_for, "admin_with_app", api.get("/me"))


def test_search_pages_are_conversation_lists(api: Api, validator_for: Any) -> None:
    first = api.search(everything())
    cursor = first.json()["pages"]["next"]["starting_after"]
    last = api.search(everything(), starting_after=cursor)
    empty = api.search({"field": "created_at", "operator": "<", "value": 0})
    assert "next" not in last.json()["pages"]
    for response in (first, last, empty):
        assert_valid(validator_for, "conversation_list", response)


def test_list_is_a_conversation_list(api: Api, validator_for: Any) -> None:
    assert_valid(validator_for, "conversation_list", api.get("/conversations", per_page=150))


def test_every_conversation_validates_including_large_ones(
    api: Api, emulator: Emulator, validator_for: Any
) -> None:
    for cid in emulator.conversation_ids():
        assert_valid(validator_for, "conversation", api.get(f"/conversations/{cid}"))
        plain = api.get(f"/conversations/{cid}", display_as="plaintext")
        assert_valid(validator_for, "conversation", plain)


def test_mutated_conversations_still_validate(
    api: Api, emulator: Emulator, validator_for: Any
) -> None:
    cid = emulator.conversation_ids()[0]
    part_ids = emulator.add_parts(cid, 2)
    emulator.redact_part(cid, part_ids[0])
    emulator.snooze(cid, emulator.now() + 60)
    created = emulator.create_conversation(parts=2)
    for target in (cid, created):
        assert_valid(validator_for, "conversation", api.get(f"/conversations/{target}"))


def test_deleted_list_validates(api: Api, emulator: Emulator, validator_for: Any) -> None:
    for cid in emulator.conversation_ids()[:3]:
        emulator.delete(cid)
    response = api.get("/conversations/deleted", per_page=2)
    assert_valid(validator_for, "deleted_conversation_list", response)


def test_every_error_is_an_error_object(api: Api, emulator: Emulator, validator_for: Any) -> None:
    emulator.set_token("scopeless", "no_scope")
    emulator.set_token("revoked", "revoked")
    errors = [
        Api(emulator).get("/me"),
        Api(emulator, "revoked").get("/me"),
        Api(emulator, "scopeless").get("/conversations"),
        api.get("/conversations/1"),
        api.search({"field": "nope", "operator": "=", "value": 1}),
        api.search(everything(), sort={"field": "updated_at", "order": "desc"}),
        api.search(everything(), starting_after="bad"),
        Api(emulator, emulator.token, "2.15").get("/conversations/deleted"),
        Api(emulator, emulator.token, "9.9").get("/me"),
    ]
    emulator.config.faults = FaultConfig(json_500_rate=1.0)
    errors.append(api.get("/me"))
    emulator.config.faults = FaultConfig(rate_limit_storm_every=1)
    errors.append(api.get("/me"))
    assert [response.status_code for response in errors] == [
        401, 401, 403, 404, 400, 400, 400, 400, 400, 500, 429
    ]  # fmt: skip
    for response in errors:
        assert_valid(validator_for, "error", response)


def test_legacy_2_15_shape_is_what_the_2_16_schema_rejects(
    emulator: Emulator, validator_for: Any
) -> None:
    """Guards the validator itself: null assignees/legacy priority must NOT pass 2.16."""
    legacy = Api(emulator, emulator.token, "2.15").get("/conversations", per_page=150)
    assert list(validator_for("conversation_list").iter_errors(legacy.json()))


def test_fidelity_knob_responses_validate(validator_for: Any) -> None:
    """Lagged search, stale reads, silent tag changes, long ids and id-sorted pages."""
    config = EmulatorConfig(
        days=2,
        conversations_per_day=5,
        now=1_795_188_600,
        long_id_share=0.5,
        id_comparison="string",
        search_lag_seconds=60,
        faults=FaultConfig(stale_read_rate=1.0),
    )
    with running_emulator(config) as emulator:
        api = Api(emulator, emulator.token)
        cid = emulator.conversation_ids()[-1]
        emulator.advance(5)
        emulator.set_attributes(cid, tag_ids=["123456", "123459"], bump_updated_at=False)
        emulator.add_parts(cid, 2)
        emulator.create_conversation(parts=1)
        sort = {"field": "id", "order": "ascending"}
        responses = [
            api.search(everything(), per_page=3, sort=sort),
            api.search({"field": "id", "operator": ">", "value": "1"}, sort=sort),
        ]
        for response in responses:
            assert_valid(validator_for, "conversation_list", response)
        assert_valid(validator_for, "conversation", api.get(f"/conversations/{cid}"))
        emulator.advance(60)
        assert_valid(validator_for, "conversation", api.get(f"/conversations/{cid}"))
        emulator.config.faults = FaultConfig(html_404_rate=1.0)
        assert api.get(f"/conversations/{cid}").status_code == 404
