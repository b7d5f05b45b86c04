"""GET /me: the connection test endpoint."""

from __future__ import annotations

from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import Api, error_code


def test_me_returns_the_admin_and_its_app(api: Api) -> None:
    me = api.get("/me").json()
    assert me["type"] == "admin"
    assert me["app"]["name"] == "Emulated Workspace"
    assert me["app"]["region"] == "US"
    assert me["app"]["type"] == "app"


def test_me_is_counted_per_endpoint(api: Api, emulator: Emulator) -> None:
    api.get("/me")
    api.get("/me")
    assert emulator.requests["me"] == 2


def test_unknown_paths_are_404(api: Api) -> None:
    assert error_code(api.get("/contacts")) == (404, "not_found")
    assert error_code(api.session.delete(api.base_url + "/conversations/1")) == (404, "not_found")
