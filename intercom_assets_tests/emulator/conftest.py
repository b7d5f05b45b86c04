"""HTTP helpers for talking to the emulator the way a real client does (no mocks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from intercom_assets.emulator import Emulator

NEWEST = "2.16"


class Api:
    """A thin requests wrapper: bearer token and Intercom-Version set once."""

    def __init__(self, emulator: Emulator, token: str | None = None, version: str = NEWEST):
        self.base_url = emulator.base_url
        self.session = requests.Session()
        self.session.headers["Accept"] = "application/json"
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if version:
            self.session.headers["Intercom-Version"] = version

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.base_url + path, params=params, timeout=10)

    def search(
        self,
        query: dict[str, Any],
        per_page: int | None = None,
        starting_after: str | None = None,
        sort: dict[str, Any] | None = None,
    ) -> requests.Response:
        body: dict[str, Any] = {"query": query}
        pagination = {"per_page": per_page, "starting_after": starting_after}
        body["pagination"] = {key: value for key, value in pagination.items() if value is not None}
        if sort is not None:
            body["sort"] = sort
        return self.session.post(self.base_url + "/conversations/search", json=body, timeout=10)

    def search_ids(self, query: dict[str, Any], **kwargs: Any) -> list[str]:
        """Every matching id, walking all pages."""
        ids: list[str] = []
        cursor = None
        while True:
            response = self.search(query, starting_after=cursor, **kwargs)
            assert response.status_code == 200, response.text
            payload = response.json()
            ids.extend(item["id"] for item in payload["conversations"])
            next_page = payload["pages"].get("next")
            if next_page is None:
                return ids
            cursor = next_page["starting_after"]


def error_code(response: requests.Response) -> tuple[int, str]:
    """(status, first error code): what clients branch on."""
    return response.status_code, response.json()["errors"][0]["code"]


@pytest.fixture(autouse=True)
def _isolated_instance() -> None:
    """Overrides the suite-wide Dagster instance: the emulator never touches Dagster,
    and building an instance per test would triple this package's runtime."""


@pytest.fixture
def api(emulator: Emulator) -> Iterator[Api]:
    client = Api(emulator, emulator.token)
    yield client
    client.session.close()


def everything() -> dict[str, Any]:
    """A query matching every conversation."""
    return {"field": "created_at", "operator": ">=", "value": 0}
