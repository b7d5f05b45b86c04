"""A bounded, resumable walk over Intercom's search in (`updated_at`, `created_at`) order.

Search sorts by one field only and its order inside one second is not specified, so a page
boundary inside a second cannot be resumed by `updated_at` alone. When a tick's budget ends
inside a second, the next tick walks that second by creation time
(`updated_at = S AND created_at >= C`, sorted by `created_at`).

Not by id: the 2.16 spec allows `>` / `<` only on integers and dates, and `id` is a string, so
Intercom may reject `id >` (every tick would fail), compare ids as text (ids of different
lengths would be skipped) or as numbers. `created_at` is a date field, so the walk is the same
under all three. It always advances: a page that ends on a later creation second than it
started from moves the position there; a creation second crowded past a whole tick's budget is
read to its end in that tick (bounded by its size), and an empty page ends a walk whatever the
budget says, so the cursor never stalls.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from intercom_assets.client import IntercomClient
from intercom_assets.mirror.updates.cursor import Position


@dataclass(frozen=True)
class Budget:
    """How much one tick may read: pages of `page_size`, and seconds of wall time."""

    page_size: int = 150
    max_pages: int = 10
    max_seconds: float = 30.0


@dataclass
class Scan:
    """What a tick read, where the next tick resumes, and whether the walk reached the end."""

    position: Position
    conversations: list[dict[str, Any]] = field(default_factory=list)
    finished: bool = False
    pages: int = 0


def _second_query(second: int, created_from: int, created_to: int | None = None) -> dict:
    filters: list[dict[str, Any]] = [
        {"field": "updated_at", "operator": "=", "value": second},
        {"field": "created_at", "operator": ">=", "value": created_from},
    ]
    if created_to is not None:
        filters.append({"field": "created_at", "operator": "<", "value": created_to})
    return {"operator": "AND", "value": filters}


def _since_query(second: int) -> dict[str, Any]:
    return {"field": "updated_at", "operator": ">=", "value": second}


class _Reader:
    """Reads pages against one budget shared by both kinds of walk in a tick.

    `cut` tells whether the last walk stopped for the budget rather than at the end of the
    results; a budget that runs out exactly on a full last page counts as cut (re-reading a
    little next tick is cheaper than a request to find out), an empty page never does.
    """

    def __init__(self, client: IntercomClient, budget: Budget, scan: Scan) -> None:
        self._client, self._budget, self._scan = client, budget, scan
        self._deadline = time.monotonic() + budget.max_seconds
        self.cut = False

    def _exhausted(self) -> bool:
        return self._scan.pages >= self._budget.max_pages or time.monotonic() >= self._deadline

    def pages(
        self, query: dict[str, Any], sort_field: str, *, bounded: bool = True
    ) -> Iterator[list[dict[str, Any]]]:
        if bounded:
            self.cut = self._exhausted()
            if self.cut:
                return
        sort = {"field": sort_field, "order": "ascending"}
        pages = self._client.search_pages(query, per_page=self._budget.page_size, sort=sort)
        try:
            for page in pages:
                self._scan.pages += 1
                self._scan.conversations.extend(page)
                yield page
                if bounded and page and self._exhausted():
                    self.cut = True
                    return
        finally:
            pages.close()


def _walk_second(reader: _Reader, position: Position) -> Position:
    """Walk one crowded second from `position`; where to resume if the budget cut it."""
    second, start = position.second, position.created_from or 0
    last: int | None = None
    for page in reader.pages(_second_query(second, start), "created_at"):
        if page:
            last = int(page[-1]["created_at"])
    if not reader.cut or last is None:
        return position
    if last > start:
        return Position(second, True, last)  # re-reads the conversations created at `last`
    # Everything read was created in the second `start` itself: finish that creation second
    # now, beyond the budget, or every tick would stop at the same place.
    for _ in reader.pages(_second_query(second, start, start + 1), "created_at", bounded=False):
        pass
    return Position(second, True, start + 1)


def scan_updates(client: IntercomClient, start: Position, budget: Budget) -> Scan:
    """Read forward from `start` until the end of the index or the budget, whichever first."""
    scan = Scan(position=start)
    reader = _Reader(client, budget, scan)
    position = start
    if position.tie:
        position = _walk_second(reader, position)
        if reader.cut:
            scan.position = position
            return scan
        position = Position(position.second + 1)
    last_second: int | None = None
    for page in reader.pages(_since_query(position.second), "updated_at"):
        if page:
            last_second = int(page[-1]["updated_at"])
    if not reader.cut:
        scan.position, scan.finished = position, True
    elif last_second is not None:
        scan.position = Position(last_second, True)
    else:
        scan.position = position
    return scan
