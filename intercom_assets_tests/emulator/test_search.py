"""POST /conversations/search: filters, operators, groups, limits, sorting and validation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import Api, error_code, everything


@pytest.fixture
def truth(emulator: Emulator) -> dict[str, dict[str, Any]]:
    """Ground truth: every live conversation as the emulator would render it."""
    return {cid: emulator.snapshot(cid) for cid in emulator.conversation_ids()}


def matching(truth: dict[str, dict[str, Any]], keep: Callable[[dict[str, Any]], bool]) -> set[str]:
    return {cid for cid, conversation in truth.items() if keep(conversation)}


def single(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def test_equals_on_id_returns_exactly_that_conversation(api: Api, emulator: Emulator) -> None:
    target = emulator.conversation_ids()[5]
    assert api.search_ids(single("id", "=", target)) == [target]


def test_greater_than_is_strict(api: Api, truth: dict[str, dict[str, Any]]) -> None:
    pivot = sorted(c["updated_at"] for c in truth.values())[10]
    expected = matching(truth, lambda c: c["updated_at"] > pivot)
    assert set(api.search_ids(single("updated_at", ">", pivot))) == expected
    assert all(truth[cid]["updated_at"] != pivot for cid in expected)


def test_greater_or_equal_includes_the_bound(api: Api, truth: dict[str, dict[str, Any]]) -> None:
    pivot = sorted(c["updated_at"] for c in truth.values())[10]
    expected = matching(truth, lambda c: c["updated_at"] >= pivot)
    assert set(api.search_ids(single("updated_at", ">=", pivot))) == expected


def test_less_than_is_strict_and_less_or_equal_inclusive(
    api: Api, truth: dict[str, dict[str, Any]]
) -> None:
    pivot = sorted(c["created_at"] for c in truth.values())[7]
    strict = matching(truth, lambda c: c["created_at"] < pivot)
    inclusive = matching(truth, lambda c: c["created_at"] <= pivot)
    assert set(api.search_ids(single("created_at", "<", pivot))) == strict
    assert set(api.search_ids(single("created_at", "<=", pivot))) == inclusive
    assert len(inclusive) == len(strict) + 1


def test_timestamps_may_be_sent_as_numeric_strings(
    api: Api, truth: dict[str, dict[str, Any]]
) -> None:
    pivot = sorted(c["updated_at"] for c in truth.values())[3]
    as_int = api.search_ids(single("updated_at", ">=", pivot))
    assert api.search_ids(single("updated_at", ">=", str(pivot))) == as_int


def test_and_group_selects_a_half_open_window(api: Api, truth: dict[str, dict[str, Any]]) -> None:
    low, high = sorted(c["updated_at"] for c in truth.values())[4:20:15]
    query = {
        "operator": "AND",
        "value": [single("updated_at", ">=", low), single("updated_at", "<", high)],
    }
    assert set(api.search_ids(query)) == matching(truth, lambda c: low <= c["updated_at"] < high)


def test_or_of_greater_and_equal_acts_like_greater_or_equal(
    api: Api, truth: dict[str, dict[str, Any]]
) -> None:
    pivot = sorted(c["updated_at"] for c in truth.values())[12]
    query = {
        "operator": "OR",
        "value": [single("updated_at", ">", pivot), single("updated_at", "=", pivot)],
    }
    assert set(api.search_ids(query)) == matching(truth, lambda c: c["updated_at"] >= pivot)


def test_two_levels_of_groups_are_allowed(api: Api, truth: dict[str, dict[str, Any]]) -> None:
    query = {
        "operator": "AND",
        "value": [
            {"operator": "OR", "value": [single("state", "=", "open"), single("read", "=", True)]},
            {"operator": "OR", "value": [single("created_at", ">", 0)]},
        ],
    }
    expected = matching(truth, lambda c: c["state"] == "open" or c["read"])
    assert set(api.search_ids(query)) == expected


def test_three_levels_of_groups_are_rejected(api: Api) -> None:
    innermost = {"operator": "OR", "value": [everything()]}
    query = {"operator": "AND", "value": [{"operator": "OR", "value": [innermost]}]}
    assert error_code(api.search(query)) == (400, "parameter_invalid")


def test_a_group_takes_at_most_15_filters(api: Api) -> None:
    fifteen = {"operator": "OR", "value": [everything()] * 15}
    sixteen = {"operator": "OR", "value": [everything()] * 16}
    assert api.search(fifteen).status_code == 200
    assert error_code(api.search(sixteen)) == (400, "parameter_invalid")


def test_in_and_nin_take_arrays_of_ids(api: Api, emulator: Emulator) -> None:
    ids = emulator.conversation_ids()
    assert set(api.search_ids(single("id", "IN", ids[:3]))) == set(ids[:3])
    assert set(api.search_ids(single("id", "NIN", ids[:3]))) == set(ids[3:])
    assert error_code(api.search(single("id", "IN", ids[0]))) == (400, "parameter_invalid")


def test_not_equals_excludes_the_value(api: Api, truth: dict[str, dict[str, Any]]) -> None:
    expected = matching(truth, lambda c: c["state"] != "closed")
    assert set(api.search_ids(single("state", "!=", "closed"))) == expected
    assert set(api.search_ids(single("open", "=", True))) == expected


@pytest.mark.parametrize(
    ("operator", "keep"),
    [
        ("~", lambda body: "help" in body.lower()),
        ("!~", lambda body: "help" not in body.lower()),
        ("^", lambda body: body.lower().startswith("<p>help")),
        ("$", lambda body: body.lower().endswith("help")),
    ],
)
def test_string_operators_on_source_body(
    api: Api, truth: dict[str, dict[str, Any]], operator: str, keep: Callable[[str], bool]
) -> None:
    needle = "<p>help" if operator == "^" else "help"
    expected = matching(truth, lambda c: keep(c["source"]["body"]))
    assert set(api.search_ids(single("source.body", operator, needle))) == expected


def test_source_author_and_statistics_fields_are_searchable(
    api: Api, truth: dict[str, dict[str, Any]]
) -> None:
    users = matching(truth, lambda c: c["source"]["author"]["type"] == "user")
    big = matching(truth, lambda c: c["statistics"]["count_conversation_parts"] > 501)
    assert set(api.search_ids(single("source.author.type", "=", "user"))) == users
    assert set(api.search_ids(single("statistics.count_conversation_parts", ">", 501))) == big
    assert len(big) == 2


def test_priority_and_unassigned_admin_use_2_16_values(
    api: Api, truth: dict[str, dict[str, Any]]
) -> None:
    urgent = matching(truth, lambda c: c["priority"] in ("high", "urgent"))
    unassigned = matching(truth, lambda c: c["admin_assignee_id"] == 0)
    assert set(api.search_ids(single("priority", "IN", ["high", "urgent"]))) == urgent
    assert set(api.search_ids(single("admin_assignee_id", "=", 0))) == unassigned
    assert unassigned


@pytest.mark.parametrize(
    "query",
    [
        single("no_such_field", "=", 1),
        single("updated_at", "LIKE", 1),
        single("updated_at", ">", "yesterday"),
        single("source.body", "~", 5),
        {"operator": "XOR", "value": [everything()]},
        {"operator": "AND", "value": []},
    ],
)
def test_malformed_queries_are_rejected_with_400(api: Api, query: dict[str, Any]) -> None:
    assert error_code(api.search(query)) == (400, "parameter_invalid")


def test_missing_query_and_invalid_json_are_rejected(api: Api) -> None:
    url = api.base_url + "/conversations/search"
    assert error_code(api.session.post(url, json={"pagination": {}})) == (400, "parameter_invalid")
    garbage = api.session.post(url, data=b"{not json", headers={"Content-Type": "application/json"})
    assert error_code(garbage) == (400, "parameter_invalid")


def test_per_page_defaults_to_20_and_allows_150(api: Api) -> None:
    assert api.search(everything()).json()["pages"]["per_page"] == 20
    assert len(api.search(everything()).json()["conversations"]) == 20
    assert api.search(everything(), per_page=150).json()["pages"]["per_page"] == 150


@pytest.mark.parametrize("per_page", [0, 151, 1000])
def test_per_page_outside_1_to_150_is_rejected(api: Api, per_page: int) -> None:
    assert error_code(api.search(everything(), per_page=per_page)) == (400, "parameter_invalid")


@pytest.mark.parametrize("cursor", ["garbage!", "WzEsMl0=", "bm90IGpzb24="])
def test_invalid_cursor_is_a_client_error(api: Api, cursor: str) -> None:
    assert error_code(api.search(everything(), starting_after=cursor)) == (400, "client_error")


@pytest.mark.parametrize("order", ["asc", "desc", "up"])
def test_sort_order_must_be_ascending_or_descending(api: Api, order: str) -> None:
    response = api.search(everything(), sort={"field": "updated_at", "order": order})
    assert error_code(response) == (400, "invalid_sort_order")
    assert response.json()["errors"][0]["message"] == (
        f"Invalid sort order '{order}'. Must be one of: ascending, descending"
    )


def test_sort_by_updated_at_in_both_directions(api: Api, truth: dict[str, dict[str, Any]]) -> None:
    by_update = sorted(truth, key=lambda cid: (truth[cid]["updated_at"], int(cid)))
    ascending = {"field": "updated_at", "order": "ascending"}
    descending = {"field": "updated_at", "order": "descending"}
    assert api.search_ids(everything(), sort=ascending, per_page=7) == by_update
    assert api.search_ids(everything(), sort=descending, per_page=7) == by_update[::-1]


def test_default_order_is_newest_created_first_not_updated_ascending(
    api: Api, truth: dict[str, dict[str, Any]]
) -> None:
    by_creation = sorted(truth, key=lambda cid: (truth[cid]["created_at"], int(cid)), reverse=True)
    by_update = sorted(truth, key=lambda cid: (truth[cid]["updated_at"], int(cid)))
    assert api.search_ids(everything(), per_page=9) == by_creation
    assert by_creation != by_update


def test_search_results_never_include_conversation_parts(api: Api) -> None:
    conversations = api.search(everything(), per_page=150).json()["conversations"]
    assert len(conversations) == 24
    assert all("conversation_parts" not in item for item in conversations)


def test_empty_result_reports_zero_pages_and_no_next(api: Api) -> None:
    payload = api.search(single("created_at", "<", 0)).json()
    assert payload["total_count"] == 0
    assert payload["conversations"] == []
    assert payload["pages"] == {"type": "pages", "page": 1, "per_page": 20, "total_pages": 0}
