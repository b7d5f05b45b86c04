"""intercom_reference_job: admins, teams, tags and admin_metrics from the emulator, and a
token without the optional permissions failing exactly those assets with the advice."""

import logging
from typing import Any

import dagster as dg

from intercom_assets.analytics.metrics import recompute_all
from intercom_assets.definitions import defs
from intercom_assets.emulator import Emulator
from intercom_assets.mirror.resources import IntercomResource
from intercom_assets.storage import transaction
from intercom_assets_tests.support import make_resources, query

KEYS = {name: dg.AssetKey(["intercom", name]) for name in ("admins", "teams", "tags")}
ADMIN_METRICS = dg.AssetKey(["intercom", "admin_metrics"])
# The emulator's teams per admin, sorted by name: several, one, or none.
TEAM_NAMES = {
    "991267401": ["Support 🛟"],
    "991267402": ["Billing", "Support 🛟"],
    "991267403": ["Billing", "Onboarding ✈️"],
    "991267404": [],
    "991267405": ["Onboarding ✈️"],
    "991267406": [],
}


def _run(resources: dict[str, Any], instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("intercom_reference_job")
    return job.execute_in_process(resources=resources, instance=instance, raise_on_error=False)


def _materialized(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    return {event.asset_key for event in result.get_asset_materialization_events()}


def test_reference_job_stores_the_lists_and_names_the_closing_admins(
    mirrored: dict[str, Any], emulator: Emulator, _isolated_instance: dg.DagsterInstance
) -> None:
    with transaction(mirrored["duckdb"].database, logging.getLogger("test")) as conn:
        recompute_all(conn)  # what the sync runs keep current
    result = _run(mirrored, _isolated_instance)

    assert result.success
    assert _materialized(result) == {*KEYS.values(), ADMIN_METRICS}
    assert emulator.requests["admins"] == emulator.requests["teams"] == 1
    assert emulator.requests["tags"] == 1
    assert emulator.requests["search"] == emulator.requests["get"] == 0
    assert query(mirrored, "SELECT id, team_ids FROM intercom.admins ORDER BY id")[:4] == [
        ("991267401", ["5017691"]),
        ("991267402", ["5017691", "5017692"]),
        ("991267403", ["5017692", "5017693"]),
        ("991267404", []),
    ]
    assert query(mirrored, "SELECT name FROM intercom.tags ORDER BY id") == [
        ("billing",), ("bug 🐛",), ("VIP",), ("عاجل",)
    ]  # fmt: skip
    names = query(
        mirrored,
        "SELECT m.admin_id, m.admin_name, m.team_names, a.name FROM intercom.admin_metrics m"
        " LEFT JOIN intercom.admins a ON a.id = m.admin_id ORDER BY 1",
    )
    assert names and all(admin_name == name for _, admin_name, _, name in names)
    teams = {admin_id: team_names for admin_id, _, team_names, _ in names}
    assert len(teams) >= 4
    assert teams == {admin_id: TEAM_NAMES[admin_id] for admin_id in teams}


def test_a_token_without_read_admins_fails_only_admins_and_teams(
    emulator: Emulator, duckdb_path: Any, _isolated_instance: dg.DagsterInstance
) -> None:
    emulator.set_token("no-admins", "no_admins")
    resources = make_resources(emulator, duckdb_path)
    resources["intercom"] = IntercomResource(access_token="no-admins", base_url=emulator.base_url)

    result = _run(resources, _isolated_instance)

    assert not result.success
    assert _materialized(result) == {KEYS["tags"], ADMIN_METRICS}
    (failure,) = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.error.message
    assert "missing the *Read admins* permission (403 forbidden)" in message
    assert "Failed request: GET /admins." in message and "Failed request: GET /teams." in message
    assert "conversations, messages and metrics keep syncing with ids" in message
    assert "no-admins" not in message
    assert query(resources, "SELECT count(*) FROM intercom.tags") == [(4,)]
