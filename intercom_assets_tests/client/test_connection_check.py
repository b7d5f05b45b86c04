"""The connection test: each check, and advice matched to the way it failed."""

import socket

import pytest

from intercom_assets.client import IntercomClient
from intercom_assets.client.connection_check import (
    ADVICE_AUTH,
    ADVICE_PARTS,
    ADVICE_PERMISSION,
    ADVICE_REVOKED,
    ADVICE_VERSION,
    ConnectionReport,
    check_connection,
)
from intercom_assets.emulator import Emulator


@pytest.fixture(autouse=True)
def _isolated_instance() -> None:
    """No Dagster here: skip the parent conftest's temporary instance."""


CHECKS = ["token (/me)", "read conversations (search)", "read conversation parts (GET)"]


def run_check(base_url: str, token: str, api_version: str = "2.16") -> ConnectionReport:
    with IntercomClient(
        base_url, token, api_version=api_version, max_retries=1, backoff_base_seconds=0.01
    ) as client:
        return check_connection(client, base_url=base_url, api_version=api_version)


def test_a_good_token_passes_every_check(emulator: Emulator) -> None:
    report = run_check(emulator.base_url, emulator.token)

    assert report.ok
    assert (report.workspace, report.app_id, report.region) == (
        "Emulated Workspace",
        "emulated",
        "US",
    )
    assert [name for name, _, _ in report.checks] == CHECKS
    assert all(passed for _, passed, _ in report.checks)
    assert report.advice is None
    assert report.render().splitlines()[:3] == [
        "Intercom connection: OK",
        "  workspace: Emulated Workspace (app id emulated, region US)",
        f"  endpoint:  {emulator.base_url} (Intercom-Version 2.16)",
    ]
    assert report.render().splitlines()[3] == "  [PASS] token (/me): authenticated as Ciarán Lee"
    assert [passed for _, passed, _ in report.optional] == [True, True]
    assert emulator.requests == {"me": 1, "search": 1, "get": 1, "admins": 1, "tags": 1}


@pytest.mark.parametrize(
    ("mode", "code", "advice", "hints"),
    [
        ("revoked", "token_revoked", ADVICE_REVOKED, ["Generate a new token if the old one"]),
        (
            "unknown",
            "unauthorized",
            ADVICE_AUTH,
            ["copied correctly", "revoked", "still active", "INTERCOM_REGION"],
        ),
    ],
)
def test_a_rejected_token_fails_the_first_check(
    emulator: Emulator, mode: str, code: str, advice: str, hints: list[str]
) -> None:
    emulator.set_token("bad-token", mode)

    report = run_check(emulator.base_url, "bad-token")

    assert not report.ok
    assert report.checks == [
        ("token (/me)", False, f"Intercom rejected the access token (401 {code}).")
    ]
    assert report.advice == advice
    for hint in hints:
        assert report.render().count(hint) == 1  # the advice is printed once
    assert "bad-token" not in report.render()
    assert emulator.requests == {"me": 1}


def test_a_token_without_read_conversations_fails_the_search(emulator: Emulator) -> None:
    emulator.set_token("scopeless", "no_scope")

    report = run_check(emulator.base_url, "scopeless")

    assert not report.ok
    assert [(name, passed) for name, passed, _ in report.checks] == [
        ("token (/me)", True),
        ("read conversations (search)", False),
    ]
    assert report.workspace == "Emulated Workspace"
    assert report.advice == ADVICE_PERMISSION
    assert "*Read conversations*" in report.render()


def test_a_token_that_cannot_read_parts_fails_the_get(emulator: Emulator) -> None:
    emulator.set_token("partless", "no_parts")

    report = run_check(emulator.base_url, "partless")

    assert not report.ok
    assert [(name, passed) for name, passed, _ in report.checks] == [
        ("token (/me)", True),
        ("read conversations (search)", True),
        ("read conversation parts (GET)", False),
    ]
    assert "according to its statistics, but the GET returned none" in report.checks[2][2]
    assert report.advice == ADVICE_PARTS
    assert report.advice.startswith(
        "The token cannot read conversation parts: "
        "grant *Read conversations* (with conversation parts)"
    )


def test_an_unsupported_version_gets_version_advice(emulator: Emulator) -> None:
    report = run_check(emulator.base_url, emulator.token, api_version="9.99")

    assert not report.ok
    assert report.checks[0][:2] == ("token (/me)", False)
    assert report.advice == ADVICE_VERSION


def test_an_unreachable_endpoint_gets_network_advice() -> None:
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{probe.getsockname()[1]}"

    report = run_check(base_url, "any-token")

    assert not report.ok
    assert report.checks[0][:2] == ("token (/me)", False)
    assert report.advice == (
        f"Intercom could not be reached at {base_url}: check the network or proxy, "
        "INTERCOM_REGION / INTERCOM_BASE_URL, and https://www.intercomstatus.com."
    )


def test_an_empty_workspace_passes_without_a_get(emulator: Emulator) -> None:
    for conversation_id in emulator.conversation_ids():
        emulator.delete(conversation_id)
    emulator.reset_counters()

    report = run_check(emulator.base_url, emulator.token)

    assert report.ok
    assert report.checks[2] == (
        "read conversation parts (GET)",
        True,
        "skipped: no conversation to read",
    )
    assert emulator.requests == {"me": 1, "search": 1, "admins": 1, "tags": 1}


@pytest.mark.parametrize(("mode", "missing"), [("no_admins", 0), ("no_tags", 1)])
def test_missing_optional_permissions_warn_but_pass(
    emulator: Emulator, mode: str, missing: int
) -> None:
    emulator.set_token("limited", mode)

    report = run_check(emulator.base_url, "limited")

    assert report.ok and report.advice is None
    assert [passed for _, passed, _ in report.optional] == [i != missing for i in range(2)]
    name, _, detail = report.optional[missing]
    permission = ("Read admins", "Read tags")[missing]
    assert f"[WARN] {name}: The Intercom access token is missing the *{permission}*" in (
        report.render()
    )
    assert "metrics keep syncing with ids" in detail
