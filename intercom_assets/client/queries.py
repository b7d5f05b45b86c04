"""Pure builders for conversation-search request bodies.

Whether Intercom's `>`/`<` are inclusive is ambiguous, so windows are spelled out explicitly as
`>=` (inclusive lower bound) and `<` (exclusive upper bound): adjacent windows then neither
overlap nor leave a gap.
"""

from __future__ import annotations

from typing import Any

MAX_PER_PAGE = 150
MAX_FILTERS_PER_GROUP = 15


def window_query(
    field: str, start: int, end: int, extra_filters: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """`start <= field < end`, AND-ed with any extra filters."""
    if end <= start:
        raise ValueError(f"empty search window: {field} in [{start}, {end})")
    filters = [
        {"field": field, "operator": ">=", "value": int(start)},
        {"field": field, "operator": "<", "value": int(end)},
        *(extra_filters or []),
    ]
    if len(filters) > MAX_FILTERS_PER_GROUP:
        raise ValueError(
            f"Intercom allows at most {MAX_FILTERS_PER_GROUP} filters per group, got {len(filters)}"
        )
    return {"operator": "AND", "value": filters}


def match_all_query() -> dict[str, Any]:
    """A query every conversation matches (search requires a query)."""
    return {"field": "updated_at", "operator": ">", "value": 0}


def search_body(
    query: dict[str, Any],
    *,
    per_page: int,
    starting_after: str | None = None,
    sort: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The POST /conversations/search body for one page."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}, got {per_page}")
    pagination: dict[str, Any] = {"per_page": per_page}
    if starting_after:
        pagination["starting_after"] = starting_after
    body: dict[str, Any] = {"query": query, "pagination": pagination}
    if sort:
        body["sort"] = sort
    return body


def ascending(field: str) -> dict[str, str]:
    return {"field": field, "order": "ascending"}


def descending(field: str) -> dict[str, str]:
    return {"field": field, "order": "descending"}


def next_cursor(payload: dict[str, Any]) -> str | None:
    """`pages.next.starting_after`, or None on the last page."""
    pages = payload.get("pages")
    nxt = pages.get("next") if isinstance(pages, dict) else None
    cursor = nxt.get("starting_after") if isinstance(nxt, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None
