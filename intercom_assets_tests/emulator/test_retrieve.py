"""GET /conversations/{id}: the 500-part cap, counts, ordering, plaintext and 404s."""

from __future__ import annotations

from typing import Any

import pytest

from intercom_assets.emulator import Emulator, EmulatorConfig, running_emulator
from intercom_assets.emulator.render import to_plaintext
from intercom_assets_tests.support import Api, error_code


def large_ids(emulator: Emulator) -> list[str]:
    return [
        cid
        for cid in emulator.conversation_ids()
        if emulator.snapshot(cid)["conversation_parts"]["total_count"] > 500
    ]


def parts_of(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    return conversation["conversation_parts"]["conversation_parts"]


def test_large_conversation_returns_only_the_500_most_recent_parts(
    api: Api, emulator: Emulator
) -> None:
    (first, _) = large_ids(emulator)
    truth = parts_of(emulator.snapshot(first))
    returned = api.get(f"/conversations/{first}").json()
    assert len(truth) > 500
    assert [p["id"] for p in parts_of(returned)] == [p["id"] for p in truth[-500:]]
    assert returned["conversation_parts"]["total_count"] == len(truth)
    assert returned["statistics"]["count_conversation_parts"] == len(truth) + 1


def test_total_count_can_be_configured_to_report_the_capped_count(
    emulator_config: EmulatorConfig,
) -> None:
    emulator_config.total_count_capped = True
    with running_emulator(emulator_config) as emulator:
        (first, _) = large_ids(emulator)
        true_total = emulator.snapshot(first)["conversation_parts"]["total_count"]
        returned = Api(emulator, emulator.token).get(f"/conversations/{first}").json()
    assert returned["conversation_parts"]["total_count"] == 500
    assert returned["statistics"]["count_conversation_parts"] == true_total + 1


def test_body_scale_repeats_each_part_body_in_gets(emulator_config: EmulatorConfig) -> None:
    emulator_config.body_scale = 10
    with running_emulator(emulator_config) as emulator:
        cid = emulator.conversation_ids()[0]
        truth = parts_of(emulator.snapshot(cid))
        returned = parts_of(Api(emulator, emulator.token).get(f"/conversations/{cid}").json())
    assert [p["body"] for p in returned] == [
        p["body"] * 10 if isinstance(p["body"], str) else None for p in truth
    ]
    assert any(isinstance(p["body"], str) and p["body"] for p in truth)


def test_small_conversation_returns_all_parts_oldest_first(api: Api, emulator: Emulator) -> None:
    cid = next(
        cid
        for cid in emulator.conversation_ids()
        if 3 <= emulator.snapshot(cid)["conversation_parts"]["total_count"] <= 500
    )
    returned = api.get(f"/conversations/{cid}").json()
    created = [part["created_at"] for part in parts_of(returned)]
    assert parts_of(returned) == parts_of(emulator.snapshot(cid))
    assert created == sorted(created)
    assert returned["statistics"]["count_conversation_parts"] == len(created) + 1


def test_plaintext_strips_html_from_part_bodies_and_source(api: Api, emulator: Emulator) -> None:
    cid = emulator.conversation_ids()[0]
    html = api.get(f"/conversations/{cid}").json()
    plain = api.get(f"/conversations/{cid}", display_as="plaintext").json()
    assert html["source"]["body"].startswith("<")
    assert "<" not in plain["source"]["body"].replace("&lt;", "")
    for rich, text in zip(parts_of(html), parts_of(plain), strict=True):
        if rich["body"] is None:
            assert text["body"] is None
        else:
            assert "<p>" not in text["body"]


def test_plaintext_renders_links_as_label_then_url() -> None:
    html = '<p>See <a href="https://example.com/help">the help article</a>.<br>Bye &amp; thanks</p>'
    assert to_plaintext(html) == "See the help article (https://example.com/help).\nBye & thanks"


@pytest.mark.parametrize(
    "path", ["/conversations/1", "/conversations/abc", "/conversations/999999999"]
)
def test_unknown_conversation_is_404_not_found(api: Api, path: str) -> None:
    response = api.get(path)
    assert error_code(response) == (404, "not_found")
    assert response.json()["errors"][0]["message"] == "Resource Not Found"


def test_conversation_ids_are_numeric_strings(api: Api, emulator: Emulator) -> None:
    cid = emulator.conversation_ids()[3]
    payload = api.get(f"/conversations/{cid}").json()
    assert payload["id"] == cid
    assert cid.isdigit()
    assert all(isinstance(part["id"], str) for part in parts_of(payload))
