"""Non-retryable failures: one request, a typed error, an actionable message, never the token."""

import logging

import pytest

from intercom_assets.client import (
    IntercomAuthError,
    IntercomError,
    IntercomNotFoundError,
    IntercomPermissionError,
    IntercomRequestError,
    IntercomUnavailableError,
    IntercomVersionError,
)
from intercom_assets.client.queries import match_all_query
from intercom_assets.emulator import Emulator, EmulatorConfig
from intercom_assets_tests.support import FIXED_NOW, make_client

SECRET = "tok_SECRET_4f9b2c7e"


@pytest.mark.parametrize(
    ("mode", "code"), [("revoked", "token_revoked"), ("unknown", "unauthorized")]
)
def test_401_is_fatal_and_never_retried(emulator: Emulator, mode: str, code: str) -> None:
    emulator.set_token("bad-token", mode)

    with make_client(emulator, token="bad-token") as client, pytest.raises(IntercomAuthError) as e:
        client.me()

    assert (e.value.status, e.value.code) == (401, code)
    assert str(e.value).startswith(
        f"Intercom rejected the access token (401 {code}). Check that the token was copied "
        "correctly, has not been revoked, and that the app is still active in the Developer "
        "Hub; then set INTERCOM_ACCESS_TOKEN."
    )
    assert "Failed request: GET /me." in str(e.value)
    assert emulator.requests["me"] == 1
    assert client.stats.retries == 0


def test_403_names_the_read_conversations_permission(emulator: Emulator) -> None:
    emulator.set_token("scopeless", "no_scope")

    with make_client(emulator, token="scopeless") as client:
        assert client.me()["type"] == "admin"  # /me needs no permission
        with pytest.raises(IntercomPermissionError) as e:
            next(client.search_pages(match_all_query(), per_page=1))

    assert (e.value.status, e.value.code) == (403, "forbidden")
    assert str(e.value).startswith(
        "The Intercom access token is missing the *Read conversations* permission (403 forbidden)."
    )
    assert emulator.requests["search"] == 1


def test_bad_query_is_a_request_error_not_retried(emulator: Emulator, client) -> None:
    bad = {"field": "created_at", "operator": "??", "value": 1}

    with pytest.raises(IntercomRequestError) as e:
        next(client.search_pages(bad))

    assert e.value.status == 400
    assert not isinstance(e.value, IntercomNotFoundError)
    assert "Failed request: POST /conversations/search." in str(e.value)
    assert emulator.requests["search"] == 1


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(
        seed=7, days=1, conversations_per_day=4, token=SECRET, window_seconds=1.0, now=FIXED_NOW
    )


def provoke_every_error(emulator: Emulator) -> list[IntercomError]:
    """One instance of each error type, all raised by a client holding SECRET."""
    raised: list[IntercomError] = []
    conversation_id = emulator.conversation_ids()[0]

    def capture(call) -> None:
        try:
            call()
        except IntercomError as err:
            raised.append(err)

    with make_client(emulator, token=SECRET, max_retries=1) as client:
        capture(lambda: next(client.search_pages({"field": "id", "operator": "??", "value": 1})))
        emulator.config.faults.html_503_rate = 1.0
        capture(client.me)
        emulator.config.faults.html_503_rate = 0.0
        emulator.set_token(SECRET, "no_scope")
        capture(lambda: client.get_conversation(conversation_id))
        emulator.set_token(SECRET, "revoked")
        capture(client.me)
    with make_client(emulator, token=SECRET, api_version="2.15") as old:
        emulator.set_token(SECRET, "valid")
        capture(lambda: list(old.deleted_conversations()))
    return raised


def test_the_token_never_appears_in_errors_or_logs(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    raised = provoke_every_error(emulator)

    assert [type(err) for err in raised] == [
        IntercomRequestError,
        IntercomUnavailableError,
        IntercomPermissionError,
        IntercomAuthError,
        IntercomVersionError,
    ]
    for err in raised:
        for text in (str(err), repr(err), *map(str, err.args), str(err.__cause__)):
            assert SECRET not in text
    assert "retry 1/1" in caplog.text
    assert SECRET not in caplog.text
