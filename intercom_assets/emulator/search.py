"""Search execution: sorting, opaque cursors and page cutting over the store's indexes.

A cursor encodes (sort value, id, next page), so walking pages returns each match exactly
once while data does not change, like Intercom's own cursors.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any

from intercom_assets.emulator.data import ConversationState
from intercom_assets.emulator.errors import ApiError, bad_request
from intercom_assets.emulator.query import (
    INDEXED,
    SORTABLE,
    TIMESTAMP_FIELDS,
    Document,
    compile_query,
    plan_query,
    state_getters,
)
from intercom_assets.emulator.store import Store

MAX_PER_PAGE = 150
DEFAULT_PER_PAGE = 20
BAD_CURSOR = (
    "Invalid starting_after param. Please try again using a starting_after value "
    "from a paginated response"
)


@dataclass(frozen=True)
class Page:
    """One page of results plus what `pages` / `total_count` report."""

    states: list[ConversationState]
    total_count: int
    page: int
    per_page: int
    next_cursor: str | None

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total_count / self.per_page)


def _decode_cursor(cursor: Any) -> tuple[int, int, int]:
    try:
        decoded = json.loads(base64.b64decode(str(cursor), validate=True))
    except (binascii.Error, ValueError):
        raise ApiError(400, "client_error", BAD_CURSOR) from None
    if (
        not isinstance(decoded, list)
        or len(decoded) != 3
        or not all(isinstance(item, int) and not isinstance(item, bool) for item in decoded)
    ):
        raise ApiError(400, "client_error", BAD_CURSOR)
    return decoded[0], decoded[1], decoded[2]


def _encode_cursor(field: str, key: tuple[Any, int], next_page: int) -> str:
    """Like Intercom's: base64 of [sort value (ms for timestamps), id, next page number]."""
    value = key[0] * 1000 if field in TIMESTAMP_FIELDS else key[1] if field == "id" else key[0]
    payload = json.dumps([value, key[1], next_page], separators=(",", ":"))
    return base64.b64encode(payload.encode()).decode()


def parse_sort(sort: Any) -> tuple[str, bool]:
    """(field, descending). Without `sort`: newest created first, NOT updated_at ascending."""
    if sort is None:
        return "created_at", True
    if not isinstance(sort, dict):
        raise bad_request("sort must be an object with field and order")
    field, order = sort.get("field", "updated_at"), sort.get("order", "descending")
    if order not in ("ascending", "descending"):
        raise ApiError(
            400,
            "invalid_sort_order",
            f"Invalid sort order '{order}'. Must be one of: ascending, descending",
        )
    if field not in SORTABLE:
        raise bad_request(f"Unsupported sort field: {field!r}")
    return field, order == "descending"


def parse_per_page(value: Any) -> int:
    """Out-of-range values are rejected (400), matching the spec's `maximum: 150`."""
    if value is None:
        return DEFAULT_PER_PAGE
    try:
        per_page = int(value) if not isinstance(value, bool) else 0
    except (TypeError, ValueError):
        per_page = 0
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise bad_request(f"per_page must be an integer between 1 and {MAX_PER_PAGE}")
    return per_page


def _sorted_keys(
    store: Store, query: Any, modern: bool, document: Document, sort_field: str
) -> list[tuple[Any, int]]:
    """All matches as ascending (sort value, id) keys, in the search index's versions."""
    id_comparison = store.config.id_comparison
    predicate = (
        compile_query(query, modern, document, id_comparison=id_comparison)
        if query is not None
        else None
    )
    plan = plan_query(query) if query is not None else None
    if plan is not None:
        index = store.index(plan.field)
        low = bisect_left(index, (plan.low, -1))
        high = bisect_right(index, (plan.high, math.inf))
        if plan.exact and plan.field == sort_field:
            return index[low:high]
        candidates = [store.search_state(cid) for _, cid in index[low:high]]
    elif query is None and sort_field in INDEXED:
        return list(store.index(sort_field))
    else:
        candidates = store.searchable()
    if predicate is not None and not (plan is not None and plan.exact):
        candidates = [state for state in candidates if predicate(state)]
    getter = state_getters(modern, id_comparison)[sort_field]
    return sorted((getter(state) or 0, state.id) for state in candidates)


def run_search(
    store: Store,
    query: Any,
    sort: Any,
    per_page: int,
    cursor: Any,
    modern: bool,
    document: Document,
) -> Page:
    """Evaluate a search (or the unfiltered list when `query` is None) and cut one page."""
    sort_field, descending = parse_sort(sort)
    after = _decode_cursor(cursor) if cursor else None
    store.catch_up()
    keys = _sorted_keys(store, query, modern, document, sort_field)
    page_number = after[2] if after else 1
    cursor_key: tuple[Any, int] | None = None
    if after is not None:
        value: Any = after[0] // 1000 if sort_field in TIMESTAMP_FIELDS else after[0]
        if sort_field == "id" and store.config.id_comparison == "string":
            value = str(value)
        cursor_key = (value, after[1])
    if descending:
        end = len(keys) if cursor_key is None else bisect_left(keys, cursor_key)
        start = max(0, end - per_page)
        chosen, more = keys[start:end][::-1], start > 0
    else:
        start = 0 if cursor_key is None else bisect_right(keys, cursor_key)
        chosen, more = keys[start : start + per_page], start + per_page < len(keys)
    next_cursor = _encode_cursor(sort_field, chosen[-1], page_number + 1) if more else None
    return Page(
        states=[store.search_state(cid) for _, cid in chosen],
        total_count=len(keys),
        page=page_number,
        per_page=per_page,
        next_cursor=next_cursor,
    )
