"""Fidelity knobs: behaviours the real Intercom may have, each off by default."""

from collections.abc import Iterator
from typing import Any

import pytest

from intercom_assets.emulator import Emulator, EmulatorConfig, FaultConfig, running_emulator
from intercom_assets.emulator.data import LONG_ID_BASE
from intercom_assets_tests.support import FIXED_NOW, Api, error_code

MIXED = EmulatorConfig(
    seed=7, days=2, conversations_per_day=6, window_seconds=1.0, now=FIXED_NOW, long_id_share=0.5
)


def with_config(**changes: Any) -> EmulatorConfig:
    base = {key: getattr(MIXED, key) for key in MIXED.__dataclass_fields__}
    return EmulatorConfig(**{**base, **changes})


@pytest.fixture
def mixed(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, Api]]:
    with running_emulator(with_config(**getattr(request, "param", {}))) as emu:
        api = Api(emu, emu.token)
        yield emu, api
        api.session.close()


def fetch(api: Api, cid: str) -> dict[str, Any]:
    response = api.get(f"/conversations/{cid}")
    assert response.status_code == 200, response.text
    return response.json()


def search_items(api: Api, query: dict[str, Any], **kwargs: Any) -> list[dict[str, Any]]:
    response = api.search(query, per_page=150, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["conversations"]


def since(second: int) -> dict[str, Any]:
    return {"field": "updated_at", "operator": ">=", "value": second}


def test_long_id_share_gives_the_newest_conversations_twelve_digit_ids() -> None:
    with running_emulator(MIXED) as emu:
        ids = emu.conversation_ids()
    assert [len(cid) for cid in ids] == [9] * 6 + [12] * 6
    assert sorted(ids, key=int) == ids
    assert int(ids[6]) > LONG_ID_BASE


ID_AFTER = {"field": "id", "operator": ">", "value": "100000020"}


@pytest.mark.parametrize("mixed", [{"id_comparison": "numeric"}], indirect=True)
def test_numeric_ids_compare_and_sort_as_numbers(mixed: tuple[Emulator, Api]) -> None:
    emu, api = mixed
    ids = emu.conversation_ids()
    expected = [cid for cid in ids if int(cid) > 100_000_020]
    assert api.search_ids(ID_AFTER, sort={"field": "id", "order": "ascending"}) == expected
    walked = api.search_ids(
        {"field": "created_at", "operator": ">=", "value": 0},
        per_page=5,
        sort={"field": "id", "order": "ascending"},
    )
    assert walked == ids


@pytest.mark.parametrize("mixed", [{"id_comparison": "string"}], indirect=True)
def test_string_ids_compare_and_sort_lexicographically(mixed: tuple[Emulator, Api]) -> None:
    emu, api = mixed
    ids = emu.conversation_ids()
    expected = sorted(cid for cid in ids if cid > "100000020")
    assert expected != [cid for cid in ids if int(cid) > 100_000_020]  # the knob matters here
    assert api.search_ids(ID_AFTER, sort={"field": "id", "order": "ascending"}) == expected
    walked = api.search_ids(
        {"field": "created_at", "operator": ">=", "value": 0},
        per_page=5,
        sort={"field": "id", "order": "ascending"},
    )
    assert walked == sorted(ids)
    descending = api.search_ids(
        {"field": "created_at", "operator": ">=", "value": 0},
        per_page=5,
        sort={"field": "id", "order": "descending"},
    )
    assert descending == sorted(ids, reverse=True)


@pytest.mark.parametrize("mixed", [{"id_comparison": "reject"}], indirect=True)
def test_rejected_id_ranges_are_a_400_but_equality_and_sorting_work(
    mixed: tuple[Emulator, Api],
) -> None:
    emu, api = mixed
    ids = emu.conversation_ids()
    for operator in (">", "<", ">=", "<="):
        response = api.search({"field": "id", "operator": operator, "value": ids[0]})
        assert error_code(response) == (400, "parameter_invalid")
    assert api.search_ids({"field": "id", "operator": "=", "value": ids[3]}) == [ids[3]]
    walked = api.search_ids(
        {"field": "created_at", "operator": ">=", "value": 0},
        per_page=5,
        sort={"field": "id", "order": "ascending"},
    )
    assert walked == ids


@pytest.mark.parametrize("mixed", [{"search_lag_seconds": 600}], indirect=True)
def test_search_lags_changes_while_get_sees_the_newest(mixed: tuple[Emulator, Api]) -> None:
    emu, api = mixed
    cid = emu.conversation_ids()[2]
    old_updated = fetch(api, cid)["updated_at"]
    emu.advance(60)
    changed_at = emu.now()
    emu.close(cid)
    created = emu.create_conversation(parts=1)
    gone = emu.conversation_ids()[0]
    emu.delete(gone)
    assert fetch(api, cid)["updated_at"] == changed_at
    assert fetch(api, cid)["state"] == "closed"
    assert search_items(api, since(changed_at)) == []
    everything = {item["id"]: item for item in search_items(api, since(0))}
    assert everything[cid]["updated_at"] == old_updated
    assert created not in everything
    assert gone in everything
    emu.advance(599)
    assert search_items(api, since(changed_at)) == []
    emu.advance(1)
    assert sorted(item["id"] for item in search_items(api, since(changed_at))) == sorted(
        [cid, created]
    )
    assert gone not in api.search_ids(since(0))


@pytest.mark.parametrize("mixed", [{"search_lag_seconds": 300}], indirect=True)
def test_search_lag_indexes_each_version_in_turn(mixed: tuple[Emulator, Api]) -> None:
    emu, api = mixed
    cid = emu.conversation_ids()[1]
    emu.advance(10)
    emu.add_parts(cid, 1)
    first = emu.now()
    emu.advance(100)
    emu.add_parts(cid, 1)
    second = emu.now()
    emu.advance(200)  # first change is 300 s old now, the second 200 s
    assert [item["updated_at"] for item in search_items(api, since(first))] == [first]
    emu.advance(100)
    assert [item["updated_at"] for item in search_items(api, since(first))] == [second]


def test_silent_changes_keep_updated_at(mixed: tuple[Emulator, Api]) -> None:
    emu, api = mixed
    cid = emu.conversation_ids()[4]
    before = fetch(api, cid)
    emu.advance(3_600)
    emu.set_attributes(
        cid,
        read=not before["read"],
        priority="urgent",
        tag_ids=["123458"],
        bump_updated_at=False,
    )
    after = fetch(api, cid)
    assert after["updated_at"] == before["updated_at"]
    assert (after["read"], after["priority"]) == (not before["read"], "urgent")
    assert [(tag["id"], tag["name"]) for tag in after["tags"]["tags"]] == [("123458", "VIP")]
    (listed,) = [item for item in search_items(api, since(0)) if item["id"] == cid]
    assert (listed["priority"], listed["updated_at"]) == ("urgent", before["updated_at"])
    tagged = api.search_ids({"field": "tag_ids", "operator": "=", "value": "123458"})
    assert cid in tagged
    assert sorted(tagged) == sorted(
        item["id"]
        for item in search_items(api, since(0))
        if "123458" in [tag["id"] for tag in item["tags"]["tags"]]
    )
    emu.set_attributes(cid, priority="low")
    assert fetch(api, cid)["updated_at"] == emu.now()


@pytest.mark.parametrize(
    "mixed", [{"faults": FaultConfig(stale_read_rate=1.0, stale_read_seconds=120)}], indirect=True
)
def test_stale_replica_reads_serve_the_version_before_the_latest_change(
    mixed: tuple[Emulator, Api],
) -> None:
    emu, api = mixed
    cid = emu.conversation_ids()[3]
    untouched = emu.conversation_ids()[5]
    assert fetch(api, untouched)["updated_at"] == emu.snapshot(untouched)["updated_at"]
    before = fetch(api, cid)
    part_id = before["conversation_parts"]["conversation_parts"][0]["id"]
    emu.advance(30)
    emu.redact_part(cid, part_id)
    stale = fetch(api, cid)
    assert stale["updated_at"] == before["updated_at"]
    assert stale["conversation_parts"]["conversation_parts"][0]["redacted"] is False
    emu.advance(121)
    fresh = fetch(api, cid)
    assert fresh["updated_at"] == emu.now() - 121
    assert fresh["conversation_parts"]["conversation_parts"][0]["redacted"] is True


@pytest.mark.parametrize("mixed", [{"faults": FaultConfig(html_404_rate=1.0)}], indirect=True)
def test_gateway_404s_are_html_and_only_hit_conversation_gets(
    mixed: tuple[Emulator, Api],
) -> None:
    emu, api = mixed
    response = api.get(f"/conversations/{emu.conversation_ids()[0]}")
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")
    assert len(api.search_ids(since(0))) == 12
    assert api.get("/me").status_code == 200


@pytest.mark.parametrize(
    ("order", "expected"),
    [("deleted_at", [1, 2, 0]), ("id", [0, 1, 2])],
)
def test_deleted_list_order(order: str, expected: list[int]) -> None:
    with running_emulator(with_config(deleted_order=order)) as emu:
        ids = emu.conversation_ids()
        victims = [ids[1], ids[7], ids[0]]  # deleted in this order, one second apart
        for victim in victims:
            emu.advance(1)
            emu.delete(victim)
        api = Api(emu, emu.token)
        listed = api.get("/conversations/deleted", order="asc").json()["conversations"]
        by_id = sorted(victims, key=int)
        assert [item["id"] for item in listed] == [by_id[i] for i in expected]
        newest_first = api.get("/conversations/deleted", order="desc").json()["conversations"]
        assert [item["id"] for item in newest_first] == [by_id[i] for i in expected][::-1]


def test_defaults_change_nothing() -> None:
    config = EmulatorConfig()
    assert (config.id_comparison, config.search_lag_seconds, config.deleted_order) == (
        "numeric",
        0,
        "deleted_at",
    )
    assert (config.long_id_share, config.faults.stale_read_rate, config.faults.html_404_rate) == (
        0.0,
        0.0,
        0.0,
    )
    with pytest.raises(ValueError, match="id_comparison"):
        EmulatorConfig(id_comparison="fuzzy")
