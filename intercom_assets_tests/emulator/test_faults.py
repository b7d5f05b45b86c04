"""Fault injection: every fault type, reproducible by seed, switchable at runtime."""

from __future__ import annotations

import json

import pytest
import requests

from intercom_assets.emulator import Emulator, EmulatorConfig, FaultConfig, running_emulator
from intercom_assets_tests.support import Api, error_code, everything


def test_html_503_has_an_html_body(api: Api, emulator: Emulator) -> None:
    emulator.config.faults.html_503_rate = 1.0
    response = api.get("/conversations")
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>")


def test_json_500_is_a_server_error_envelope(api: Api, emulator: Emulator) -> None:
    emulator.config.faults.json_500_rate = 1.0
    assert error_code(api.get("/conversations")) == (500, "server_error")


def test_drop_closes_the_connection_without_a_response(api: Api, emulator: Emulator) -> None:
    emulator.config.faults.drop_rate = 1.0
    with pytest.raises(requests.ConnectionError):
        api.get("/me")
    emulator.config.faults.drop_rate = 0.0
    assert api.get("/me").status_code == 200
    assert emulator.requests["me"] == 2
    assert emulator.status_counts == {200: 1}


def test_latency_is_added_to_every_request(api: Api, emulator: Emulator) -> None:
    emulator.config.faults.latency_ms = 150
    assert api.get("/me").elapsed.total_seconds() >= 0.15


def test_ghost_ids_are_listed_by_search_but_404_on_get(api: Api, emulator: Emulator) -> None:
    emulator.config.faults.ghost_404_rate = 0.5
    listed = api.search_ids(everything(), per_page=150)
    statuses = {cid: api.get(f"/conversations/{cid}").status_code for cid in listed}
    ghosts = {cid for cid, status in statuses.items() if status == 404}
    assert len(listed) == 24
    assert set(statuses.values()) == {200, 404}
    assert ghosts == {cid for cid in listed if api.get(f"/conversations/{cid}").status_code == 404}


def test_rate_limit_storm_returns_five_429s_every_nth_request(api: Api, emulator: Emulator) -> None:
    emulator.config.faults.rate_limit_storm_every = 10
    statuses = [api.get("/me").status_code for _ in range(16)]
    assert statuses == [200] * 9 + [429] * 5 + [200] * 2


def test_invalid_json_is_a_200_that_does_not_parse(api: Api, emulator: Emulator) -> None:
    emulator.config.faults.invalid_json_rate = 1.0
    response = api.get("/conversations")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        json.loads(response.content)


def test_truncated_json_is_a_prefix_of_the_real_body(api: Api, emulator: Emulator) -> None:
    whole = api.get("/conversations").content
    emulator.config.faults.truncated_json_rate = 1.0
    cut = api.get("/conversations").content
    assert len(cut) < len(whole)
    assert whole.startswith(cut)
    with pytest.raises(ValueError):
        json.loads(cut)


def test_wrong_types_turn_numbers_into_strings_and_add_unknowns(
    api: Api, emulator: Emulator
) -> None:
    cid = emulator.conversation_ids()[0]
    emulator.config.faults.wrong_types_rate = 1.0
    broken = api.get(f"/conversations/{cid}").json()
    first_part = broken["conversation_parts"]["conversation_parts"][0]
    assert isinstance(broken["created_at"], str)
    assert broken["admin_assignee_id"] is None
    assert isinstance(broken["statistics"]["count_conversation_parts"], str)
    assert first_part["part_type"] == "x_emulator_unknown_part_type"
    assert "x_emulator_unknown_field" in broken


def test_fault_sequence_is_reproducible_by_seed(emulator_config: EmulatorConfig) -> None:
    def statuses(seed: int) -> list[int]:
        emulator_config.faults = FaultConfig(seed=seed, json_500_rate=0.4)
        with running_emulator(emulator_config) as emulator:
            api = Api(emulator, emulator.token)
            return [api.get("/me").status_code for _ in range(30)]

    first, again, other = statuses(1), statuses(1), statuses(2)
    assert first == again
    assert first != other
    assert {200, 500} == set(first)


def test_faults_are_off_by_default(api: Api) -> None:
    assert FaultConfig() == FaultConfig(seed=0)
    assert {api.get("/me").status_code for _ in range(20)} == {200}
