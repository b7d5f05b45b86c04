"""GET /admins, /teams, /tags: schema-valid and consistent with the conversations' parts."""

from typing import Any

from intercom_assets.emulator import Emulator
from intercom_assets_tests.emulator.test_schema import assert_valid, validator_for
from intercom_assets_tests.support import Api, error_code

__all__ = ["validator_for"]  # the schema fixture, shared with test_schema.py


def test_reference_lists_validate(api: Api, validator_for: Any) -> None:
    assert_valid(validator_for, "admin_list", api.get("/admins"))
    assert_valid(validator_for, "team_list", api.get("/teams"))
    assert_valid(validator_for, "tag_list", api.get("/tags"))


def test_reference_data_is_consistent_with_conversations(api: Api, emulator: Emulator) -> None:
    admins = {a["id"]: a for a in api.get("/admins").json()["admins"]}
    teams = {t["id"]: t for t in api.get("/teams").json()["teams"]}
    tags = {t["name"] for t in api.get("/tags").json()["data"]}
    authors, assignees, team_ids, used_tags, bot_replies, rated = set(), set(), set(), set(), 0, 0
    for cid in emulator.conversation_ids():
        snap = emulator.snapshot(cid)
        for part in snap["conversation_parts"]["conversation_parts"]:
            if part["author"]["type"] == "admin":
                authors.add(part["author"]["id"])
            if "assign" in part["part_type"]:
                assignees.add(part["assigned_to"]["id"])
            bot_replies += part["author"]["type"] == "bot" and part["part_type"] == "comment"
        if snap["admin_assignee_id"]:
            assignees.add(str(snap["admin_assignee_id"]))
        if snap["team_assignee_id"]:
            team_ids.add(str(snap["team_assignee_id"]))
        used_tags |= {tag["name"] for tag in snap["tags"]["tags"]}
        rated += snap["conversation_rating"] is not None
    assert authors and authors | assignees <= set(admins)
    assert team_ids and team_ids <= set(teams)
    assert used_tags and used_tags <= tags
    assert bot_replies > 0 and rated > 0
    memberships = sorted(len(a["team_ids"]) for a in admins.values())
    assert memberships[0] == 0 and memberships[-1] >= 2  # some in no team, some in several
    for team in teams.values():
        members = {aid for aid, a in admins.items() if int(team["id"]) in a["team_ids"]}
        assert {str(aid) for aid in team["admin_ids"]} == members


def test_missing_optional_permissions_refuse_only_their_endpoints(emulator: Emulator) -> None:
    emulator.set_token("no-admins", "no_admins")
    emulator.set_token("no-tags", "no_tags")
    no_admins, no_tags = Api(emulator, "no-admins"), Api(emulator, "no-tags")
    assert error_code(no_admins.get("/admins")) == (403, "forbidden")
    assert error_code(no_admins.get("/teams")) == (403, "forbidden")
    assert no_admins.get("/tags").status_code == 200
    assert no_admins.get("/conversations").status_code == 200
    assert error_code(no_tags.get("/tags")) == (403, "forbidden")
    assert no_tags.get("/admins").status_code == 200
    assert emulator.requests["admins"] == 2 and emulator.requests["tags"] == 2
