"""Transient faults are retried until the data is exactly what a clean run returns."""

import pytest

from intercom_assets.client import IntercomClient, IntercomUnavailableError
from intercom_assets.client.queries import match_all_query
from intercom_assets.emulator import Emulator
from intercom_assets_tests.support import make_client


def full_read(client: IntercomClient, ids: list[str]) -> tuple[list[dict], dict]:
    searched = [c for page in client.search_pages(match_all_query(), per_page=5) for c in page]
    fetched = dict(client.get_conversations(ids))
    return sorted(searched, key=lambda c: c["id"]), fetched


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ("html_503_rate", 503),
        ("json_500_rate", 500),
        ("drop_rate", None),
        ("invalid_json_rate", 200),
        ("truncated_json_rate", 200),
    ],
)
def test_faults_are_retried_to_identical_data(
    emulator: Emulator, fault: str, status: int | None
) -> None:
    ids = emulator.conversation_ids()
    with make_client(emulator) as clean_client:
        clean = full_read(clean_client, ids)

    setattr(emulator.config.faults, fault, 0.3)
    with make_client(emulator) as client:
        faulty = full_read(client, ids)

    assert faulty == clean
    assert client.stats.retries > 0
    if status in (500, 503):
        assert client.stats.server_errors == emulator.status_counts[status] > 0


def test_html_error_bodies_end_in_an_actionable_error(emulator: Emulator) -> None:
    emulator.config.faults.html_503_rate = 1.0

    with (
        make_client(emulator, max_retries=2) as client,
        pytest.raises(IntercomUnavailableError) as caught,
    ):
        client.me()

    assert str(caught.value) == (
        "Intercom did not answer GET /me after 3 attempts (last: HTTP 503 server error). "
        "Check https://www.intercomstatus.com and the network; "
        "re-running resumes where this run stopped."
    )
    assert caught.value.status == 503
    assert emulator.requests["me"] == 3
