"""IntercomClient.admins / teams / tags: one call each; a missing permission says which."""

import pytest

from intercom_assets.client import IntercomPermissionError
from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import make_client


def test_each_list_is_one_call(emulator: Emulator) -> None:
    emulator.reset_counters()
    with make_client(emulator) as client:
        admins, teams, tags = client.admins(), client.teams(), client.tags()
    assert [a["id"] for a in admins] == [str(991267401 + i) for i in range(6)]
    assert [t["name"] for t in teams] == ["Support 🛟", "Billing", "Onboarding ✈️"]
    assert [t["name"] for t in tags] == ["billing", "bug 🐛", "VIP", "عاجل"]
    assert [emulator.requests[name] for name in ("admins", "teams", "tags")] == [1, 1, 1]
    assert client.stats.requests["admins"] == 1


@pytest.mark.parametrize(
    ("mode", "call", "permission"),
    [("no_admins", "admins", "Read admins"), ("no_admins", "teams", "Read admins"),
     ("no_tags", "tags", "Read tags")],
)  # fmt: skip
def test_missing_permission_names_it_and_what_still_works(
    emulator: Emulator, mode: str, call: str, permission: str
) -> None:
    emulator.set_token("limited", mode)
    with (
        make_client(emulator, token="limited") as client,
        pytest.raises(IntercomPermissionError) as error,
    ):
        getattr(client, call)()
    message = str(error.value)
    assert message.startswith(f"The Intercom access token is missing the *{permission}* permission")
    assert "conversations, messages and metrics keep syncing with ids" in message
    assert message.endswith(f"Failed request: GET /{call}.")
    assert emulator.requests[call] == 1  # never retried
