"""IntercomClient: the endpoints the sync needs, with pagination and bounded concurrency.

Search pages within one window form a sequential cursor chain, and Intercom's search can take
seconds per page, so long ranges are split into windows searched in parallel. Parts come only
from one GET per conversation, so those run on a bounded pool too. Everything shares one
transport, hence one rate limiter and one set of counters.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote

from intercom_assets.client.errors import (
    IntercomError,
    IntercomNotFoundError,
    IntercomRequestError,
    IntercomUnavailableError,
)
from intercom_assets.client.http import Transport
from intercom_assets.client.queries import (
    ascending,
    descending,
    match_all_query,
    next_cursor,
    search_body,
    window_query,
)
from intercom_assets.client.ratelimit import RateLimiter
from intercom_assets.client.stats import RequestStats

Conversation = dict[str, Any]
DELETED_PER_PAGE = 60
# How long a blocked worker waits before re-checking whether the consumer went away.
_POLL_SECONDS = 0.1
_DONE = object()


class IntercomClient:
    """Thread-safe Intercom API client. Use it as a context manager or call `close()`.

    `backoff_*` set the retry delays for 5xx/connection faults; tests shrink them to stay fast.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        api_version: str = "2.16",
        timeout: float = 30.0,
        max_requests_per_minute: int = 10_000,
        max_retries: int = 8,
        concurrency: int = 16,
        logger: logging.Logger | None = None,
        backoff_base_seconds: float = 0.5,
        backoff_max_seconds: float = 30.0,
    ) -> None:
        _require(timeout > 0, f"timeout must be > 0 seconds, got {timeout}")
        _require(max_requests_per_minute >= 1, "max_requests_per_minute must be >= 1")
        _require(max_retries >= 0, f"max_retries must be >= 0, got {max_retries}")
        _require(concurrency >= 1, f"concurrency must be >= 1, got {concurrency}")
        self.concurrency = concurrency
        self.stats = RequestStats()
        self._http = Transport(
            base_url,
            token,
            api_version=api_version,
            timeout=timeout,
            limiter=RateLimiter(max_requests_per_minute, concurrency=concurrency),
            stats=self.stats,
            max_retries=max_retries,
            concurrency=concurrency,
            logger=logger or logging.getLogger(__name__),
            backoff_base=backoff_base_seconds,
            backoff_max=backoff_max_seconds,
        )

    @property
    def base_url(self) -> str:
        return self._http.base_url

    @property
    def api_version(self) -> str:
        return self._http.api_version

    def __repr__(self) -> str:
        return f"IntercomClient(base_url={self.base_url!r}, api_version={self.api_version!r})"

    def __enter__(self) -> IntercomClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def me(self) -> dict[str, Any]:
        """The admin and app the token belongs to (needs no particular permission)."""
        return self._http.request("GET", "/me", endpoint="me")

    def search_pages(
        self, query: dict[str, Any], *, per_page: int = 150, sort: dict[str, str] | None = None
    ) -> Iterator[list[Conversation]]:
        """Every page of a search, following `pages.next.starting_after` to the last page."""
        cursor: str | None = None
        while True:
            body = search_body(query, per_page=per_page, starting_after=cursor, sort=sort)
            payload = self._http.request(
                "POST", "/conversations/search", endpoint="search", body=body
            )
            yield _items(payload, "POST /conversations/search")
            cursor = next_cursor(payload)
            if cursor is None:
                return

    def search_window(
        self,
        field: str,
        start: int,
        end: int,
        *,
        extra_filters: list[dict[str, Any]] | None = None,
    ) -> Iterator[list[Conversation]]:
        """Conversations with `start <= field < end`, ascending by `field`, each id once."""
        seen: set[str] = set()
        query = window_query(field, start, end, extra_filters)
        for page in self.search_pages(query, sort=ascending(field)):
            fresh = _unseen(page, seen)
            if fresh:
                yield fresh

    def search_windows(
        self,
        field: str,
        windows: Sequence[tuple[int, int]],
        *,
        extra_filters: list[dict[str, Any]] | None = None,
        on_window_error: Callable[[tuple[int, int], IntercomError], None] | None = None,
    ) -> Iterator[list[Conversation]]:
        """`search_window` for many windows at once (up to `concurrency` in parallel).

        Pages are yielded as they arrive, so pages of different windows interleave; each id is
        yielded once across all windows. The first error stops every window and is raised,
        unless `on_window_error` is given: then a window whose search fails for good (retries
        exhausted, a rejected request) is reported to it and the other windows go on; auth,
        permission and version errors are still raised.
        """
        for _, page in self.search_windows_tagged(
            field, windows, extra_filters=extra_filters, on_window_error=on_window_error
        ):
            yield page

    def search_windows_tagged(
        self,
        field: str,
        windows: Sequence[tuple[int, int]],
        *,
        extra_filters: list[dict[str, Any]] | None = None,
        on_window_error: Callable[[tuple[int, int], IntercomError], None] | None = None,
    ) -> Iterator[tuple[tuple[int, int], list[Conversation]]]:
        """`search_windows`, each page with the window it came from."""
        if not windows:
            return
        workers = min(self.concurrency, len(windows))
        # Searching outpaces the DuckDB writer: a short queue keeps at most ~workers + 4 pages
        # of decoded conversations in memory instead of letting them pile up.
        pages: queue.Queue[object] = queue.Queue(maxsize=4)
        stop = threading.Event()  # the consumer went away or raised
        failed = threading.Event()  # a window failed: start no further windows

        def run(start: int, end: int) -> None:
            if failed.is_set():
                return  # the failure is already queued; the consumer raises it
            try:
                # Raw pages: the consumer's one `seen` set dedupes within and across windows.
                query = window_query(field, start, end, extra_filters)
                for page in self.search_pages(query, sort=ascending(field)):
                    if not _put(pages, ((start, end), page), stop):
                        return
            except (IntercomRequestError, IntercomUnavailableError) as exc:
                if on_window_error is None:
                    failed.set()
                _put(pages, _WindowFailed((start, end), exc) if on_window_error else exc, stop)
                return
            except Exception as exc:
                failed.set()
                _put(pages, exc, stop)
                return
            _put(pages, _DONE, stop)

        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="intercom-search")
        try:
            for start, end in windows:
                pool.submit(run, start, end)
            seen: set[str] = set()
            finished = 0
            while finished < len(windows):
                item = pages.get()
                if item is _DONE:
                    finished += 1
                elif isinstance(item, _WindowFailed) and on_window_error is not None:
                    finished += 1
                    on_window_error(item.window, item.error)
                elif isinstance(item, Exception):
                    raise item
                else:
                    window, page = cast(tuple[tuple[int, int], list[Conversation]], item)
                    if fresh := _unseen(page, seen):
                        yield window, fresh
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)

    def get_conversation(self, conversation_id: str) -> Conversation | None:
        """The full conversation with its (newest 500) parts; None if it no longer exists."""
        path = f"/conversations/{quote(str(conversation_id), safe='')}"
        try:
            return self._http.request("GET", path, endpoint="get")
        except IntercomNotFoundError:
            self.stats.count("not_found")
            return None

    def get_conversations(
        self, ids: Iterable[str]
    ) -> Iterator[tuple[str, Conversation | IntercomError | None]]:
        """GET many conversations concurrently; yields (id, result) in completion order.

        At most 2 x `concurrency` ids are in flight, so millions of ids cost constant memory.
        A per-id failure (retries exhausted, a rejected request) is yielded as the value so the
        caller can record it and go on; auth / permission / version errors are raised.
        """
        ids_left = iter(ids)
        in_flight = 2 * self.concurrency
        pending: dict[Future[Any], str] = {}
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="intercom-get") as pool:
            try:
                for cid in itertools.islice(ids_left, in_flight):
                    pending[pool.submit(self._get_or_error, cid)] = cid
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield pending.pop(future), future.result()
                    for cid in itertools.islice(ids_left, in_flight - len(pending)):
                        pending[pool.submit(self._get_or_error, cid)] = cid
            finally:
                for future in pending:
                    future.cancel()

    def _get_or_error(self, conversation_id: str) -> Conversation | IntercomError | None:
        try:
            return self.get_conversation(conversation_id)
        except (IntercomRequestError, IntercomUnavailableError) as exc:
            return exc

    def deleted_conversations(self, since: int | None = None) -> Iterator[dict[str, Any]]:
        """Deletion records (`id`, `deleted_at`) with `deleted_at >= since`, every page read.

        The spec says only "ascending or descending order", not by which field: if Intercom
        orders by id, an older deletion can sit on any page, so no page is skipped (records
        without a usable `deleted_at` are passed on for the caller to reject). API 2.16+ only:
        older versions raise IntercomVersionError.
        """
        for page in itertools.count(1):
            params = {"page": page, "per_page": DELETED_PER_PAGE, "order": "desc"}
            payload = self._http.request(
                "GET", "/conversations/deleted", endpoint="deleted", params=params
            )
            for item in _items(payload, "GET /conversations/deleted"):
                deleted_at = item.get("deleted_at")
                if since is not None and isinstance(deleted_at, int) and deleted_at < since:
                    continue
                yield item
            pages = payload.get("pages")
            if not (isinstance(pages, dict) and pages.get("next")):
                return

    def admins(self) -> list[dict[str, Any]]:
        """Every admin of the workspace (`GET /admins`, one call; needs *Read admins*)."""
        return _list(self._http.request("GET", "/admins", endpoint="admins"), "admins", "/admins")

    def teams(self) -> list[dict[str, Any]]:
        """Every team (`GET /teams`, one call; needs *Read admins*)."""
        return _list(self._http.request("GET", "/teams", endpoint="teams"), "teams", "/teams")

    def tags(self) -> list[dict[str, Any]]:
        """Every tag (`GET /tags`, one call; needs *Read tags*)."""
        return _list(self._http.request("GET", "/tags", endpoint="tags"), "data", "/tags")

    def first_match(self, query: dict[str, Any], sort: dict[str, str]) -> Conversation | None:
        """The first conversation `query` finds in `sort` order (one search call)."""
        pages = self.search_pages(query, per_page=1, sort=sort)
        first = next(pages)
        pages.close()
        return first[0] if first else None

    def newest_updated_at(self) -> int | None:
        """`updated_at` of the most recently updated conversation (one search call)."""
        newest = self.first_match(match_all_query(), descending("updated_at"))
        return int(newest["updated_at"]) if newest else None


@dataclass(frozen=True)
class _WindowFailed:
    """A window whose search failed for good, handed to the consumer's `on_window_error`."""

    window: tuple[int, int]
    error: IntercomError


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _items(payload: dict[str, Any], request: str) -> list[dict[str, Any]]:
    """The `conversations` array of a list/search response, keeping only JSON objects."""
    items = payload.get("conversations")
    if not isinstance(items, list):
        raise IntercomUnavailableError(
            f"Intercom answered {request} without a `conversations` list; "
            "re-running resumes where this run stopped."
        )
    return [item for item in items if isinstance(item, dict)]


def _list(payload: dict[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    """The objects of a one-page list response (admin.list, team.list, tag list)."""
    items = payload.get(key)
    if not isinstance(items, list):
        raise IntercomUnavailableError(
            f"Intercom answered GET {path} without a `{key}` list; the next run retries."
        )
    return [item for item in items if isinstance(item, dict)]


def _unseen(page: list[Conversation], seen: set[str]) -> list[Conversation]:
    """Items whose id is not in `seen` (which is updated); id-less items pass through."""
    fresh = []
    for item in page:
        cid = item.get("id")
        if cid is not None:
            if cid in seen:
                continue
            seen.add(cid)
        fresh.append(item)
    return fresh


def _put(target: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    """Put `item`, giving up (False) once `stop` is set so workers never block forever."""
    while not stop.is_set():
        try:
            target.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False
