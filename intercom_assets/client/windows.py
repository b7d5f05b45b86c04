"""The pieces of a parallel window search that do no I/O: windows, pages held for the
consumer, how a window splits after its first page, and the ids a cursor chain repeats.

`IntercomClient.search_windows_tagged` runs the threads; what they pass around lives here,
so it can be read (and tested) without the transport.
"""

from __future__ import annotations

import itertools
import queue
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from intercom_assets.client import codec
from intercom_assets.client.errors import IntercomError, IntercomUnavailableError
from intercom_assets.client.scan import summarized

Conversation = dict[str, Any]


@dataclass(frozen=True)
class WindowFailed:
    """A window whose search failed for good, handed to the consumer's `on_window_error`."""

    window: tuple[int, int]
    error: IntercomError


def conversation_items(payload: dict[str, Any], request: str) -> list[dict[str, Any]]:
    """The `conversations` array of a list/search response, keeping only JSON objects."""
    items = payload.get("conversations")
    if not isinstance(items, list):
        raise IntercomUnavailableError(
            f"Intercom answered {request} without a `conversations` list; "
            "re-running resumes where this run stopped."
        )
    return [item for item in items if isinstance(item, dict)]


@dataclass(frozen=True)
class Window:
    """`start <= field < end`, less `exclude`: ids at `start` the parent window already had."""

    start: int
    end: int
    exclude: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HeldPage:
    """A search page waiting for the consumer: its body's bytes (counted in the payload
    budget) and which of its items are fresh (None: all). Decoded trees take ~3x their bytes,
    and every search thread blocked on a full queue held one: the start of a backfill, when
    the search outruns its writer, was the job's peak RSS."""

    span: tuple[int, int]
    content: bytes
    kept: list[int] | None
    summaries: list[Conversation]  # `scan.summarize`d: a few fields of each item

    @property
    def size(self) -> int:
        return len(self.content)

    def decoded(self) -> list[Conversation]:
        """The fresh items, decoded again (the same bytes give the same items in order)."""
        return self._fresh(
            conversation_items(codec.loads(self.content), "POST /conversations/search")
        )

    def summarized(self) -> list[Conversation]:
        """The fresh items as `scan.Summarized`: decoded in full only if they must be."""
        return self._fresh(summarized(self.summaries, self.content))

    def _fresh(self, items: list[Conversation]) -> list[Conversation]:
        return items if self.kept is None else [items[i] for i in self.kept]


@dataclass(frozen=True)
class Split:
    windows: list[Window]


# Pages each sub-window of a split is sized for. Counts over a range are uneven, so a piece of
# one expected page took two in about half the cases (a 10^6-conversation no-op made 9,711
# searches for 6,667 pages' worth); the waste is one partial page per piece, ~1/8 of a
# 4-page piece, while each window still searches its rest in parallel chains of ~4 pages.
PIECE_PAGES = 4


def split_window(
    window: Window, field: str, page: list[Conversation], total: int | None
) -> list[Window]:
    """Sub-windows for the rest of `window` after its first (ascending) page, each expected to
    hold at most `PIECE_PAGES` pages; none when fewer than two such pieces remain (so a
    sub-window is split again only when it holds more than it was sized for) or the range
    cannot be cut."""
    if total is None or not page or total - len(page) <= PIECE_PAGES * len(page):
        return []
    values = [item.get(field) for item in page]
    if not all(isinstance(value, int) for value in values):
        return []
    last = max(cast(list[int], values))
    pieces = min(-(-(total - len(page)) // (PIECE_PAGES * len(page))), window.end - last)
    if pieces < 2:
        return []
    at_last = frozenset(
        str(item["id"]) for item in page if item.get(field) == last and "id" in item
    )
    step = (window.end - last) / pieces
    cuts = [last + round(i * step) for i in range(pieces)] + [window.end]
    return [
        Window(lo, hi, at_last if i == 0 else frozenset())
        for i, (lo, hi) in enumerate(itertools.pairwise(cuts))
        if lo < hi
    ]


class RecentIds:
    """Ids of the last pages of one cursor chain: where a shifting index repeats an item.

    Remembering every id of a window would grow with history; a repeat comes from items
    moving across a page boundary, so the previous pages are enough.
    """

    def __init__(self, exclude: frozenset[str] = frozenset(), pages: int = 2) -> None:
        self._pages: deque[set[str]] = deque([set(exclude)], maxlen=pages)

    def unseen(self, page: list[Conversation]) -> list[Conversation]:
        """Items of `page` not on the remembered pages; id-less items pass through."""
        kept = self.kept(page)
        return page if kept is None else [page[i] for i in kept]

    def kept(self, page: list[Conversation]) -> list[int] | None:
        """`unseen` as positions in `page`; None when every item is kept."""
        kept, ids = [], set()
        recent = set().union(*self._pages)
        for position, item in enumerate(page):
            cid = item.get("id")
            if cid is not None:
                if cid in ids or cid in recent:
                    continue
                ids.add(cid)
            kept.append(position)
        self._pages.append(ids)
        return None if len(kept) == len(page) else kept


def disjoint(windows: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The windows sorted, each clipped to start where the previous one ended."""
    clipped: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if clipped:
            start = max(start, clipped[-1][1])
        if start < end:
            clipped.append((start, end))
    return clipped


def release_queued(target: queue.Queue[object], release: Callable[[int], None]) -> None:
    """Give back the budget of pages nobody will consume."""
    while True:
        try:
            item = target.get_nowait()
        except queue.Empty:
            return
        if isinstance(item, HeldPage):
            release(item.size)
