"""The five emulated endpoints, independent of HTTP plumbing, auth and faults."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intercom_assets.emulator.config import KNOWN_VERSIONS, EmulatorConfig, is_modern
from intercom_assets.emulator.data import ConversationState
from intercom_assets.emulator.errors import ApiError, bad_request, not_found, version_unavailable
from intercom_assets.emulator.faults import FaultInjector
from intercom_assets.emulator.reference import admin_list, tag_list, team_list
from intercom_assets.emulator.render import ADMIN, render_conversation, render_item
from intercom_assets.emulator.search import Page, parse_per_page, run_search
from intercom_assets.emulator.store import Store

CONVERSATION_ENDPOINTS = frozenset({"search", "list", "get", "deleted"})
# Reference lists: one call each, needing *Read admins* (admins, teams) or *Read tags*.
REFERENCE_ENDPOINTS = {"admins": admin_list, "teams": team_list, "tags": tag_list}
DELETED_MAX_PER_PAGE = 60
_CONVERSATION_PATH = re.compile(r"^/conversations/([^/]+)$")


def endpoint_of(method: str, path: str) -> str:
    """The counter key for a request: me, search, list, get, deleted (or unknown)."""
    path = path.rstrip("/") or "/"
    if method == "GET" and path == "/me":
        return "me"
    if method == "POST" and path == "/conversations/search":
        return "search"
    if method == "GET" and path == "/conversations":
        return "list"
    if method == "GET" and path == "/conversations/deleted":
        return "deleted"
    if method == "GET" and path.lstrip("/") in REFERENCE_ENDPOINTS:
        return path.lstrip("/")
    if method == "GET" and _CONVERSATION_PATH.match(path):
        return "get"
    return "unknown"


@dataclass(frozen=True)
class Request:
    """What an endpoint needs to know about one HTTP request."""

    endpoint: str
    path: str
    query: dict[str, str]
    body: bytes
    version: str
    can_read_parts: bool
    base_url: str


def check_version(version: str) -> None:
    if version not in KNOWN_VERSIONS:
        raise ApiError(
            400,
            "intercom_version_invalid",
            f"The requested version '{version}' is not a valid Intercom API version.",
        )


class Api:
    """Endpoint logic over the store; `faults` picks ghost ids (404 although search lists them)
    and stale replica reads."""

    def __init__(self, store: Store, config: EmulatorConfig, faults: FaultInjector):
        self.store = store
        self.config = config
        self.faults = faults

    def handle(self, request: Request) -> dict[str, Any]:
        check_version(request.version)
        modern = is_modern(request.version)
        with self.store.lock:
            self.store.reveal_history()
            if request.endpoint == "me":
                return ADMIN
            if request.endpoint in REFERENCE_ENDPOINTS:
                return REFERENCE_ENDPOINTS[request.endpoint]()
            if request.endpoint == "search":
                return self._search(request, modern)
            if request.endpoint == "list":
                page = run_search(
                    self.store,
                    None,
                    None,
                    parse_per_page(request.query.get("per_page")),
                    request.query.get("starting_after"),
                    modern,
                    self._document(modern),
                )
                return self._conversation_list(page, modern)
            if request.endpoint == "deleted":
                return self._deleted(request, modern)
            if request.endpoint == "get":
                return self._retrieve(request, modern)
        raise not_found()

    def _document(self, modern: bool) -> Callable[[ConversationState], dict[str, Any]]:
        """Renders list items for filters outside the compact state, remembering the last one."""
        last: list[Any] = [None, None]

        def document(state: ConversationState) -> dict[str, Any]:
            if last[0] is not state:
                last[0], last[1] = state, render_item(self.store, state, modern)
            return last[1]

        return document

    def _search(self, request: Request, modern: bool) -> dict[str, Any]:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise bad_request("Request body is not valid JSON") from None
        if not isinstance(body, dict) or "query" not in body:
            raise bad_request("query is required")
        pagination = body.get("pagination") or {}
        if not isinstance(pagination, dict):
            raise bad_request("pagination must be an object")
        page = run_search(
            self.store,
            body["query"],
            body.get("sort"),
            parse_per_page(pagination.get("per_page")),
            pagination.get("starting_after"),
            modern,
            self._document(modern),
        )
        return self._conversation_list(page, modern)

    def _conversation_list(self, page: Page, modern: bool) -> dict[str, Any]:
        pages: dict[str, Any] = {
            "type": "pages",
            "page": page.page,
            "per_page": page.per_page,
            "total_pages": page.total_pages,
        }
        if page.next_cursor is not None:
            pages["next"] = {"page": page.page + 1, "starting_after": page.next_cursor}
        return {
            "type": "conversation.list",
            "pages": pages,
            "total_count": page.total_count,
            "conversations": [render_item(self.store, state, modern) for state in page.states],
        }

    def _retrieve(self, request: Request, modern: bool) -> dict[str, Any]:
        match = _CONVERSATION_PATH.match(request.path.rstrip("/"))
        state = self.store.find(match.group(1)) if match else None
        if state is None or self.faults.is_ghost(state.id):
            raise not_found()
        faults = self.config.faults
        if self.faults.roll(faults.stale_read_rate):
            state = self.store.stale_version(state.id, faults.stale_read_seconds) or state
        return render_conversation(
            self.store,
            state,
            modern,
            plaintext=request.query.get("display_as") == "plaintext",
            include_parts=request.can_read_parts,
            total_count_capped=self.config.total_count_capped,
            body_scale=self.config.body_scale,
        )

    def _deleted(self, request: Request, modern: bool) -> dict[str, Any]:
        if not modern:
            raise version_unavailable()
        per_page = _int_param(request.query, "per_page", 20, DELETED_MAX_PER_PAGE)
        page = _int_param(request.query, "page", 1, None)
        order = request.query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise bad_request("order must be asc or desc")
        by_id = self.config.deleted_order == "id"
        entries = sorted(
            ((deleted_at, cid) for cid, deleted_at in self.store.deleted.items()),
            key=(lambda entry: entry[1]) if by_id else None,
            reverse=order == "desc",
        )
        total_pages = math.ceil(len(entries) / per_page)
        chosen = entries[(page - 1) * per_page : page * per_page]
        pages: dict[str, Any] = {
            "type": "pages",
            "page": page,
            "per_page": per_page,
            "total_pages": total_pages,
        }
        if page < total_pages:
            pages["next"] = (
                f"{request.base_url}/conversations/deleted"
                f"?per_page={per_page}&order={order}&page={page + 1}"
            )
        return {
            "type": "conversations.list",
            "total_count": len(entries),
            "pages": pages,
            "conversations": [
                {
                    "type": "conversation",
                    "id": str(cid),
                    "metrics_retained": True,
                    "deleted_at": deleted_at,
                }
                for deleted_at, cid in chosen
            ],
        }


def _int_param(query: dict[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
    if value < 1 or (maximum is not None and value > maximum):
        bounds = f"between 1 and {maximum}" if maximum is not None else "at least 1"
        raise bad_request(f"{name} must be {bounds}")
    return value
