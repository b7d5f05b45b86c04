"""Bearer-token auth: missing, unknown, revoked, missing scope, and no access to parts."""

from __future__ import annotations

import pytest

from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import Api, error_code


@pytest.mark.parametrize("token", [None, "wrong-token"])
@pytest.mark.parametrize("path", ["/me", "/conversations"])
def test_missing_or_unknown_token_is_401_unauthorized(
    emulator: Emulator, token: str | None, path: str
) -> None:
    response = Api(emulator, token).get(path)
    assert error_code(response) == (401, "unauthorized")
    assert response.json()["errors"][0]["message"] == "Access Token Invalid"


def test_non_bearer_scheme_is_401(emulator: Emulator) -> None:
    api = Api(emulator)
    api.session.headers["Authorization"] = f"Basic {emulator.token}"
    assert error_code(api.get("/me")) == (401, "unauthorized")


def test_revoked_token_is_401_token_revoked_everywhere(emulator: Emulator) -> None:
    emulator.set_token(emulator.token, "revoked")
    for path in ("/me", "/conversations"):
        response = Api(emulator, emulator.token).get(path)
        assert error_code(response) == (401, "token_revoked")
        assert response.json()["errors"][0]["message"] == "The token or API Key has been revoked"


def test_token_marked_unknown_stops_working(emulator: Emulator) -> None:
    emulator.set_token(emulator.token, "unknown")
    assert error_code(Api(emulator, emulator.token).get("/me")) == (401, "unauthorized")


def test_missing_scope_is_403_on_conversations_but_me_works(emulator: Emulator) -> None:
    emulator.set_token("scopeless", "no_scope")
    api = Api(emulator, "scopeless")
    assert api.get("/me").status_code == 200
    cid = emulator.conversation_ids()[0]
    responses = [
        api.get("/conversations"),
        api.get(f"/conversations/{cid}"),
        api.get("/conversations/deleted"),
        api.search({"field": "id", "operator": "=", "value": cid}),
    ]
    for response in responses:
        assert error_code(response) == (403, "forbidden")
        assert response.json()["errors"][0]["message"] == (
            "You do not have the required scope (read_conversations) to access this resource"
        )


def test_no_parts_token_gets_empty_parts_but_true_counts(emulator: Emulator) -> None:
    emulator.set_token("partless", "no_parts")
    cid = emulator.conversation_ids()[0]
    truth = emulator.snapshot(cid)["conversation_parts"]["total_count"]
    conversation = Api(emulator, "partless").get(f"/conversations/{cid}").json()
    assert conversation["conversation_parts"]["conversation_parts"] == []
    assert conversation["conversation_parts"]["total_count"] == truth
    assert conversation["statistics"]["count_conversation_parts"] == truth + 1


def test_set_token_rejects_unknown_modes(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        emulator.set_token("x", "admin")


def test_errors_use_the_error_list_envelope_with_20_char_request_id(emulator: Emulator) -> None:
    body = Api(emulator).get("/me").json()
    assert set(body) == {"type", "request_id", "errors"}
    assert body["type"] == "error.list"
    assert len(body["request_id"]) == 20
    assert body["request_id"].isalnum()
